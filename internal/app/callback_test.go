package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
)

// TestSandboxFollowerGetsTheRule goes the whole way a follower's message goes: the emulator signs and
// encrypts it as WeChat does, the console's callback answers with the rule added through the API, the
// inbox lists it, and /metrics counts it.
func TestSandboxFollowerGetsTheRule(t *testing.T) {
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	_, out := c.postJSON("/apis/user/login", map[string]string{"username": "demo", "password": "demo-password"}, nil)
	tok := url.QueryEscape(out["access_token"].(string))
	code, out := c.postJSON("/apis/wxreplymanage/addReply?access_token="+tok,
		map[string]any{"type": "text", "request": "hello", "reply": map[string]string{"content": "你好，沙盒"}}, nil)
	require.Equal(t, 200, code, "%v", out)

	emu := con.Emulator()
	demo := emu.Demo()
	d, err := emu.SendText(context.Background(), demo.AppID, "", "hello")
	require.NoError(t, err)
	require.Equal(t, 200, d.Status, string(d.Body))
	require.NotNil(t, d.Reply, "an encrypted passive reply: %s", d.Body)
	require.Equal(t, "text", d.Reply.MsgType)
	require.Equal(t, "你好，沙盒", d.Reply.Content)
	require.Contains(t, string(d.Body), "<Encrypt>", "safe mode answers encrypted")

	code, out = c.postJSON("/apis/wxplatform/messages?access_token="+tok, map[string]any{}, nil)
	require.Equal(t, 200, code, "%v", out)
	require.EqualValues(t, 1, out["total"])
	msg := out["messages"].([]any)[0].(map[string]any)
	require.Equal(t, "hello", msg["content"])
	require.Equal(t, "hello", msg["rule"])

	code, _, body := c.do("GET", "/metrics", nil, nil)
	require.Equal(t, 200, code, "loopback clients may read the metrics")
	text := string(body)
	require.Contains(t, text, `socialinzen_callback_messages_total{outcome="replied"} 1`)
	require.Contains(t, text, `route="/wxplatform/callback/:appid"`)
	require.False(t, strings.Contains(text, demo.AppID), "no appid in a label")
}

// TestMenuClickAnsweredByItsRule publishes a menu whose click button has a key, adds the keyword rule for
// that key, and has the emulator's follower click the button: the CLICK event comes back with the rule's
// reply (issue 9).
func TestMenuClickAnsweredByItsRule(t *testing.T) {
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	_, out := c.postJSON("/apis/user/login", map[string]string{"username": "demo", "password": "demo-password"}, nil)
	tok := url.QueryEscape(out["access_token"].(string))
	menu := map[string]any{"button": []any{
		map[string]any{"type": "click", "name": "今日推荐", "key": "TODAY"},
		map[string]any{"name": "更多", "sub_button": []any{
			map[string]any{"type": "view", "name": "官网", "url": "https://example.com/?a=1&b=2"},
		}},
	}}
	code, out := c.postJSON("/apis/wxplatform/saveMenu?access_token="+tok, map[string]any{"menu": menu}, nil)
	require.Equal(t, 200, code, "%v", out)
	code, out = c.postJSON("/apis/wxplatform/publishMenu?access_token="+tok, map[string]any{}, nil)
	require.Equal(t, 200, code, "%v", out)
	require.Equal(t, true, out["published"])
	code, out = c.postJSON("/apis/wxreplymanage/addReply?access_token="+tok,
		map[string]any{"type": "text", "request": "TODAY", "reply": map[string]string{"content": "今天推荐：沙盒"}}, nil)
	require.Equal(t, 200, code, "%v", out)

	emu := con.Emulator()
	demo := emu.Demo()
	require.Contains(t, string(emu.Menu(demo.AppID)), "今日推荐", "the menu reached WeChat")
	d, err := emu.SendEvent(context.Background(), demo.AppID, "", "CLICK", "TODAY")
	require.NoError(t, err)
	require.NotNil(t, d.Reply, "%s", d.Body)
	require.Equal(t, "今天推荐：沙盒", d.Reply.Content)

	// The bad menu never reaches WeChat and the error names the button.
	before := len(emu.Requests())
	bad := map[string]any{"button": []any{map[string]any{"type": "click", "name": "这个名字实在是太长了", "key": "X"}}}
	code, out = c.postJSON("/apis/wxplatform/publishMenu?access_token="+tok, map[string]any{"menu": bad}, nil)
	require.Equal(t, 400, code, "%v", out)
	require.Contains(t, out["msg"], "button[0].name")
	for _, r := range emu.Requests()[before:] {
		require.NotEqual(t, "/cgi-bin/menu/create", r.Path)
	}
}

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

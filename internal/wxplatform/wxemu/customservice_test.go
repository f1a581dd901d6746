package wxemu

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// csEnv is an emulator whose follower simulator delivers to a callback that answers "success".
func csEnv(t *testing.T) (*env, []string) {
	t.Helper()
	v := newEnv(t, Options{DemoFollowers: 3})
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("success")) }))
	t.Cleanup(cb.Close)
	v.emu.SetCallback(v.demo.AppID, cb.URL, ModePlain)
	var ids []string
	for _, f := range v.emu.Followers(v.demo.AppID) {
		ids = append(ids, f.OpenID)
	}
	return v, ids
}

func (v *env) send(body string) map[string]any {
	v.t.Helper()
	return v.post("/cgi-bin/message/custom/send", v.q(), body)
}

// TestCustomSendWindow follows WeChat's rules: nothing before the follower acts (45015); a message opens
// five sends for 48 hours (the sixth is 45047); the window closes after 48 hours (45015); a menu click
// opens three for one minute.
func TestCustomSendWindow(t *testing.T) {
	v, ids := csEnv(t)
	ctx := context.Background()
	text := func(to, s string) string {
		return `{"touser":"` + to + `","msgtype":"text","text":{"content":"` + s + `"}}`
	}

	requireErrcode(t, v.send(text(ids[0], "hi")), 45015)
	_, err := v.emu.SendText(ctx, v.demo.AppID, ids[0], "在吗")
	require.NoError(t, err)
	for i := range 5 {
		requireOK(t, v.send(text(ids[0], "answer "+itoa(i))))
	}
	m := v.send(text(ids[0], "sixth"))
	requireErrcode(t, m, 45047)
	require.Contains(t, m["errmsg"], "response count limit")
	got := v.emu.Received(v.demo.AppID, ids[0])
	require.Len(t, got, 5)
	require.Equal(t, "answer 0", got[0].Content)
	require.JSONEq(t, `{"content":"answer 0"}`, string(got[0].Body))

	_, err = v.emu.SendText(ctx, v.demo.AppID, ids[0], "再问一下")
	require.NoError(t, err)
	open, until, left := v.emu.Window(v.demo.AppID, ids[0])
	require.True(t, open)
	require.Equal(t, 5, left)
	require.Equal(t, v.clock.Now().Add(48*time.Hour), until)
	v.clock.Add(48*time.Hour + time.Second)
	v.demoToken = "" // the access_token expired too
	requireErrcode(t, v.send(text(ids[0], "late")), 45015)

	_, err = v.emu.SendEvent(ctx, v.demo.AppID, ids[1], "CLICK", "K")
	require.NoError(t, err)
	for range 3 {
		requireOK(t, v.send(text(ids[1], "ok")))
	}
	requireErrcode(t, v.send(text(ids[1], "fourth")), 45047)
	_, err = v.emu.SendEvent(ctx, v.demo.AppID, ids[1], "scancode_push", "K")
	require.NoError(t, err)
	v.clock.Add(61 * time.Second)
	requireErrcode(t, v.send(text(ids[1], "late")), 45015)
	// A location report opens nothing.
	_, err = v.emu.SendEvent(ctx, v.demo.AppID, ids[2], "LOCATION", "")
	require.NoError(t, err)
	requireErrcode(t, v.send(text(ids[2], "hi")), 45015)
}

// TestCustomSendFormats checks each msgtype's body and WeChat's refusals.
func TestCustomSendFormats(t *testing.T) {
	v, ids := csEnv(t)
	_, err := v.emu.SendText(context.Background(), v.demo.AppID, ids[0], "hi")
	require.NoError(t, err)
	to := `{"touser":"` + ids[0] + `",`
	requireOK(t, v.send(to+`"msgtype":"news","news":{"articles":[{"title":"T","description":"D","url":"https://e.com","picurl":"https://e.com/p.png"}]}}`))
	requireErrcode(t, v.send(to+`"msgtype":"news","news":{"articles":[{"title":"A","url":"https://e.com"},{"title":"B","url":"https://e.com"}]}}`), 45008)
	requireOK(t, v.send(to+`"msgtype":"msgmenu","msgmenu":{"head_content":"满意吗","list":[{"id":"101","content":"满意"}],"tail_content":"谢谢"}}`))
	requireErrcode(t, v.send(to+`"msgtype":"msgmenu","msgmenu":{"head_content":"满意吗","list":[]}}`), 40035)
	requireErrcode(t, v.send(to+`"msgtype":"image","image":{"media_id":"nope"}}`), 40007)
	requireErrcode(t, v.send(to+`"msgtype":"text","text":{"content":"`+strings.Repeat("a", 2049)+`"}}`), 45002)
	requireErrcode(t, v.send(to+`"msgtype":"text","text":{"content":""}}`), 44004)
	requireErrcode(t, v.send(to+`"msgtype":"sticker","sticker":{}}`), 40008)
	requireErrcode(t, v.send(`{"touser":"oUnknownUnknownUnknownUnknow","msgtype":"text","text":{"content":"x"}}`), 40003)
	requireErrcode(t, v.send(`not json`), 47001)
	requireOK(t, v.send(to+`"msgtype":"mpnews","mpnews":{"media_id":"MEDIA"}}`))
	got := v.emu.Received(v.demo.AppID, ids[0])
	require.Len(t, got, 3, "only accepted messages reach the follower")
	require.Equal(t, "msgmenu", got[1].MsgType)
	require.Equal(t, "满意吗", got[1].Content)

	// A blacklisted follower: 43019, even inside the window.
	requireOK(t, v.post("/cgi-bin/tags/members/batchblacklist", v.q(), `{"openid_list":["`+ids[0]+`"]}`))
	requireErrcode(t, v.send(to+`"msgtype":"text","text":{"content":"x"}}`), 43019)
}

// TestCustomTyping: typing needs an open window, spends nothing, and shows for 15 seconds.
func TestCustomTyping(t *testing.T) {
	v, ids := csEnv(t)
	typing := func(to, cmd string) map[string]any {
		return v.post("/cgi-bin/message/custom/typing", v.q(), `{"touser":"`+to+`","command":"`+cmd+`"}`)
	}
	requireErrcode(t, typing(ids[0], "Typing"), 45015)
	_, err := v.emu.SendText(context.Background(), v.demo.AppID, ids[0], "hi")
	require.NoError(t, err)
	requireOK(t, typing(ids[0], "Typing"))
	require.True(t, v.emu.Typing(v.demo.AppID, ids[0]))
	requireOK(t, typing(ids[0], "CancelTyping"))
	require.False(t, v.emu.Typing(v.demo.AppID, ids[0]))
	requireOK(t, typing(ids[0], "Typing"))
	v.clock.Add(16 * time.Second)
	require.False(t, v.emu.Typing(v.demo.AppID, ids[0]))
	requireErrcode(t, typing(ids[0], "Dance"), 40035)
	_, _, left := v.emu.Window(v.demo.AppID, ids[0])
	require.Equal(t, 5, left, "typing spends nothing")
}

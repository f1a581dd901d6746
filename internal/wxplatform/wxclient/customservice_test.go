package wxclient

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCustomServiceCalls sends customer-service messages and the typing indicator exactly as WeChat's
// documentation shows them, and maps WeChat's refusals to *Error.
func TestCustomServiceCalls(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("success")) }))
	t.Cleanup(cb.Close)
	app := e.demo.AppID
	e.emu.SetCallback(app, cb.URL, "plain")
	c := e.client()
	ctx := ctxT(t)
	openid := e.emu.Followers(app)[0].OpenID

	// Outside the window: 45015.
	err := c.SendCustomMessage(ctx, app, CustomMessage{ToUser: openid, MsgType: "text", Text: &CustomText{Content: "Hello World"}})
	require.Equal(t, CodeResponseTimeLimit, Code(err), "%v", err)
	var we *Error
	require.True(t, errors.As(err, &we))

	_, err = e.emu.SendText(ctx, app, openid, "hi")
	require.NoError(t, err)
	tok, err := c.AccessToken(ctx, app)
	require.NoError(t, err)
	vars := map[string]string{"ACCESS_TOKEN": tok, "OPENID": openid}

	require.NoError(t, c.SendCustomMessage(ctx, app, CustomMessage{ToUser: openid, MsgType: "text", Text: &CustomText{Content: "Hello World"}}))
	e.expectRequest(t, "message_custom_send_text", vars)
	require.NoError(t, c.SendCustomMessage(ctx, app, CustomMessage{ToUser: openid, MsgType: "msgmenu", MsgMenu: &CustomMsgMenu{
		HeadContent: "您对本次服务是否满意呢? ", List: []CustomMsgMenuItem{{ID: "101", Content: "满意"}, {ID: "102", Content: "不满意"}},
		TailContent: "欢迎再次光临"}}))
	e.expectRequest(t, "message_custom_send_msgmenu", vars)
	require.NoError(t, c.SendCustomMessage(ctx, app, CustomMessage{ToUser: openid, MsgType: "news", News: &CustomNews{
		Articles: []CustomNewsArticle{{Title: "Happy Day", Description: "Is Really A Happy Day", URL: "URL", PicURL: "PIC_URL"}}}}))
	e.expectRequest(t, "message_custom_send_news", vars)
	require.NoError(t, c.Typing(ctx, app, openid, TypingStart))
	e.expectRequest(t, "message_custom_typing", vars)

	err = c.SendCustomMessage(ctx, app, CustomMessage{ToUser: openid, MsgType: "news", News: &CustomNews{
		Articles: []CustomNewsArticle{{Title: "a", URL: "u"}, {Title: "b", URL: "u"}}}})
	require.Equal(t, CodeArticleSizeLimit, Code(err))
	require.NoError(t, c.SendCustomMessage(ctx, app, CustomMessage{ToUser: openid, MsgType: "text", Text: &CustomText{Content: "4"}}))
	require.NoError(t, c.SendCustomMessage(ctx, app, CustomMessage{ToUser: openid, MsgType: "text", Text: &CustomText{Content: "5"}}))
	err = c.SendCustomMessage(ctx, app, CustomMessage{ToUser: openid, MsgType: "text", Text: &CustomText{Content: "6"}})
	require.Equal(t, CodeResponseCountLimit, Code(err))
	err = c.SendCustomMessage(ctx, app, CustomMessage{ToUser: "oNotAFollowerNotAFollower123", MsgType: "text", Text: &CustomText{Content: "x"}})
	require.Equal(t, CodeInvalidOpenID, Code(err))
}

package callback_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages/messagesapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// fixedAuth authenticates the token "T<userID>" as that operator.
type fixedAuth map[string]int64

func (f fixedAuth) Authenticate(_ context.Context, token string) (httpapi.Principal, error) {
	if id, ok := f[token]; ok {
		return httpapi.Principal{UserID: id}, nil
	}
	return httpapi.Principal{}, httpapi.ErrNoToken
}

func TestInbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	emu := wxemu.New(wxemu.Options{DemoFollowers: -1})
	a := emu.NewAccount("收件箱")
	acct := e.bind(a)
	other := e.bind(emu.NewAccount("别人的"))
	e.rule(acct.ID, "hi", "text", map[string]string{"content": "hello there"})
	e.rule(acct.ID, "news", "multitext", []map[string]string{{"title": "T", "description": "D", "picurl": "https://e.com/p", "url": "https://e.com/u"}})
	emu.SetCallback(a.AppID, e.callbackURL(a.AppID), wxemu.ModeSafe)
	ctx := context.Background()
	now := e.clock.Now().Unix()
	deliver := func(m *wxcrypto.Message) {
		d, err := emu.Deliver(ctx, a.AppID, m)
		require.NoError(t, err)
		require.Equal(t, 200, d.Status)
	}
	deliver(&wxcrypto.Message{FromUserName: "oAlice", MsgType: "text", Content: "hi", MsgID: 9_100_000_000_000_000_001, CreateTime: now})
	e.clock.Add(1e9)
	deliver(&wxcrypto.Message{FromUserName: "oBob", MsgType: "text", Content: "no rule", MsgID: 9_100_000_000_000_000_002, CreateTime: now})
	e.clock.Add(1e9)
	deliver(&wxcrypto.Message{FromUserName: "oAlice", MsgType: "event", Event: "subscribe", EventKey: "qrscene_7", Ticket: "TK", CreateTime: now})
	e.clock.Add(1e9)
	deliver(&wxcrypto.Message{FromUserName: "oAlice", MsgType: "text", Content: "news", MsgID: 9_100_000_000_000_000_003, CreateTime: now})

	var userID int64
	require.NoError(t, e.gdb.Raw(`SELECT user_id FROM wx_accounts WHERE id = ?`, acct.ID).Scan(&userID).Error)
	engine := gin.New()
	g := engine.Group("/apis/wxplatform", httpapi.RequireAuth(fixedAuth{"T": userID}, nil), accounts.Scope(e.accounts))
	messagesapi.NewHandler(messages.NewStore(e.gdb)).Routes(httpapi.Group{IRouter: g, Scoped: true})

	call := func(method, query, body string) (int, map[string]any) {
		t.Helper()
		req := httptest.NewRequest(method, "/apis/wxplatform/messages?access_token=T&"+query, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		w := httptest.NewRecorder()
		engine.ServeHTTP(w, req)
		var out map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out), w.Body.String())
		return w.Code, out
	}

	status, out := call(http.MethodPost, "", `{"appid":"`+a.AppID+`"}`)
	require.Equal(t, 200, status, out)
	require.EqualValues(t, 0, out["errcode"])
	require.EqualValues(t, 4, out["total"])
	msgs := out["messages"].([]any)
	require.Len(t, msgs, 4)
	newest := msgs[0].(map[string]any)
	require.Equal(t, "9100000000000000003", newest["msgId"], "a 64-bit MsgId survives JSON as a string")
	require.Equal(t, "oAlice", newest["openid"])
	require.Equal(t, "text", newest["type"])
	require.Equal(t, "news", newest["content"])
	require.Equal(t, "news", newest["rule"])
	require.Equal(t, map[string]any{"type": "multitext", "reply": map[string]any{"title": "T", "description": "D",
		"picurl": "https://e.com/p", "url": "https://e.com/u"}}, newest["reply"])
	require.NotEmpty(t, newest["createdAt"])

	ev := msgs[1].(map[string]any)
	require.Nil(t, ev["msgId"])
	require.Equal(t, "event", ev["type"])
	require.Equal(t, "subscribe", ev["event"])
	require.Equal(t, "qrscene_7", ev["eventKey"])
	require.Nil(t, ev["rule"])
	require.Nil(t, ev["reply"])

	noRule := msgs[2].(map[string]any)
	require.Equal(t, "no rule", noRule["content"])
	require.Nil(t, noRule["rule"])
	require.Nil(t, noRule["reply"])

	hi := msgs[3].(map[string]any)
	require.Equal(t, "hi", hi["rule"])
	require.Equal(t, map[string]any{"type": "text", "reply": map[string]any{"content": "hello there"}}, hi["reply"])

	// GET too, with the default account, a follower, and paging.
	status, out = call(http.MethodGet, "openid=oAlice&limit=2&offset=1", "")
	require.Equal(t, 200, status, out)
	require.EqualValues(t, 3, out["total"])
	msgs = out["messages"].([]any)
	require.Len(t, msgs, 2)
	require.Equal(t, "subscribe", msgs[0].(map[string]any)["event"])
	require.Equal(t, "hi", msgs[1].(map[string]any)["content"])

	status, out = call(http.MethodGet, "offset=10", "")
	require.Equal(t, 200, status)
	require.EqualValues(t, 4, out["total"])
	require.Empty(t, out["messages"])

	for _, bad := range []string{"limit=0", "limit=101", "limit=x", "offset=-1"} {
		status, out = call(http.MethodGet, bad, "")
		require.Equal(t, 400, status, bad)
		require.EqualValues(t, 40000, out["errcode"], bad)
	}

	// Another operator's account is refused by the scope; an account with no messages is empty.
	status, out = call(http.MethodGet, "appid="+other.AppID, "")
	require.Equal(t, 403, status, out)
}

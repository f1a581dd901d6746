package jssdk_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/jssdk"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// The official example of WeChat's JS-SDK documentation (wechat-protocol.md §6), with a fragment that
// must not be signed.
func TestSignOfficialVector(t *testing.T) {
	signed, host, err := jssdk.PageURL("http://mp.weixin.qq.com?params=value#xxxx")
	require.NoError(t, err)
	require.Equal(t, "http://mp.weixin.qq.com?params=value", signed)
	require.Equal(t, "mp.weixin.qq.com", host)
	got := jssdk.Sign("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
		"Wm3WZYTPz0wzccnW", 1414587457, signed)
	require.Equal(t, "0f9de62fce790f9a083d5c99e95740ceb90c27ed", got)
}

func TestPageURL(t *testing.T) {
	ok := []struct{ in, signed, host string }{
		{"https://shop.example.com/a/b?x=1&y=%E4%B8%AD#frag", "https://shop.example.com/a/b?x=1&y=%E4%B8%AD", "shop.example.com"},
		{"HTTP://Shop.Example.com:8080/", "HTTP://Shop.Example.com:8080/", "shop.example.com:8080"},
		{"  https://a.cn  ", "https://a.cn", "a.cn"},
	}
	for _, tc := range ok {
		signed, host, err := jssdk.PageURL(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.signed, signed)
		require.Equal(t, tc.host, host)
	}
	for _, in := range []string{"", "#only", "/relative/page", "shop.example.com/page", "ftp://example.com/x",
		"javascript:alert(1)", "http://", "https:///path", "http://a b.com/", "mailto:a@b.cn", "http://x.cn/\x01",
		"https://" + strings.Repeat("a", 5000) + ".cn"} {
		_, _, err := jssdk.PageURL(in)
		require.Error(t, err, in)
		require.Equal(t, apperr.Invalid, apperr.KindOf(err), in)
		require.Contains(t, err.Error(), "url", in)
	}
}

// fixture is the shared WeChat fixture with one operator whose account has the JS domain
// shop.example.com, and the jsticket routes.
type fixture struct {
	*wxtest.Env
	t      *testing.T
	acct   *accounts.Account
	userID int64
	engine *gin.Engine
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1}, Unchecked: true})
	f := &fixture{Env: env, t: t, userID: env.Operator("op")}
	ea := env.Emu.NewAccount("JS")
	env.Bind(f.userID, ea)
	var err error
	f.acct, err = env.Accounts.SetJSDomains(context.Background(), f.userID, ea.AppID, []string{"shop.example.com"})
	require.NoError(t, err)

	env.Tokens.Give("test-token", httpapi.Principal{UserID: f.userID})
	f.engine = wxtest.Router()
	h := &jssdk.Handler{Tickets: env.WX, Accounts: env.Accounts, RequireAuth: env.Tokens.RequireAuth()}
	h.PublicRoutes(f.engine)
	return f
}

func (f *fixture) call(method, query, body string, header map[string]string) (*httptest.ResponseRecorder, map[string]any) {
	f.t.Helper()
	w := wxtest.Serve(f.t, f.engine, wxtest.Request{Method: method, Target: "/apis/wxplatform/jsticket" + query, Body: body, Header: header})
	var out map[string]any
	if method != http.MethodOptions {
		out = wxtest.Decode(f.t, w)
	}
	return w, out
}

func (f *fixture) requireSigned(out map[string]any, pageURL string) {
	f.t.Helper()
	require.EqualValues(f.t, 0, out["errcode"], "%v", out)
	require.Equal(f.t, f.acct.AppID, out["appid"])
	nonce := out["nonceStr"].(string)
	require.Len(f.t, nonce, 16)
	ts := int64(out["timestamp"].(float64))
	require.InDelta(f.t, time.Now().Unix(), ts, 5)
	ticket := f.Emu.JSAPITicket(f.acct.AppID)
	require.NotEmpty(f.t, ticket)
	require.Equal(f.t, jssdk.Sign(ticket, nonce, ts, pageURL), out["signature"])
	require.Equal(f.t, pageURL, out["url"])
}

func TestJSTicketWithToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Any page, with the operator's token; appid optional (their first account).
	w, out := f.call(http.MethodPost, "?access_token=test-token", `{"url":"https://other.example.org/p?a=1#section"}`, nil)
	require.Equal(t, 200, w.Code, "%v", out)
	f.requireSigned(out, "https://other.example.org/p?a=1")
	w, out = f.call(http.MethodGet, "?appid="+f.acct.AppID+"&url=https%3A%2F%2Fother.example.org%2F", "", map[string]string{"Authorization": "Bearer test-token"})
	require.Equal(t, 200, w.Code, "%v", out)
	f.requireSigned(out, "https://other.example.org/")
	require.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))

	for _, tc := range []struct {
		name, query, body string
		status            int
		errcode           float64
		field             string
	}{
		{"no url", "?access_token=test-token", `{}`, 400, 40000, "url"},
		{"relative url", "?access_token=test-token", `{"url":"/page"}`, 400, 40000, "url"},
		{"ftp url", "?access_token=test-token", `{"url":"ftp://a.cn/x"}`, 400, 40000, "url"},
		{"url an object", "?access_token=test-token", `{"url":{"x":1}}`, 400, 40000, "url"},
		{"another user's appid", "?access_token=test-token", `{"appid":"wx0123456789abcdef","url":"https://a.cn/"}`, 403, 40300, ""},
		{"bad token", "?access_token=nope", `{"url":"https://shop.example.com/"}`, 401, 40100, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, out := f.call(http.MethodPost, tc.query, tc.body, nil)
			require.Equal(t, tc.status, w.Code, "%v", out)
			require.Equal(t, tc.errcode, out["errcode"])
			require.Contains(t, out["msg"], tc.field)
		})
	}
}

func TestJSTicketPublicForJSDomains(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	body := `{"appid":"` + f.acct.AppID + `","url":"https://shop.example.com/item/9?from=menu#top"}`
	w, out := f.call(http.MethodPost, "", body, map[string]string{"Origin": "https://shop.example.com"})
	require.Equal(t, 200, w.Code, "%v", out)
	f.requireSigned(out, "https://shop.example.com/item/9?from=menu")
	require.Equal(t, "https://shop.example.com", w.Header().Get("Access-Control-Allow-Origin"))

	// Form fields, and an Origin that is not a JS domain gets no CORS header.
	w, out = f.call(http.MethodPost, "", "appid="+f.acct.AppID+"&url=https%3A%2F%2Fshop.example.com%2F", map[string]string{"Origin": "https://evil.example"})
	require.Equal(t, 200, w.Code, "%v", out)
	require.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))

	w, _ = f.call(http.MethodOptions, "", "", map[string]string{"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"})
	require.Equal(t, http.StatusNoContent, w.Code)
	require.Contains(t, w.Header().Get("Access-Control-Allow-Methods"), "POST")

	for _, tc := range []struct {
		name, body string
		status     int
		errcode    float64
		field      string
	}{
		{"no appid", `{"url":"https://shop.example.com/"}`, 400, 40000, "appid"},
		{"host not a JS domain", `{"appid":"` + f.acct.AppID + `","url":"https://other.example.org/"}`, 403, 40300, "url"},
		{"JS domain only as a path", `{"appid":"` + f.acct.AppID + `","url":"https://evil.example/shop.example.com"}`, 403, 40300, "url"},
		{"JS domain as a user name", `{"appid":"` + f.acct.AppID + `","url":"https://shop.example.com@evil.example/"}`, 403, 40300, "url"},
		{"unknown appid", `{"appid":"wx0123456789abcdef","url":"https://shop.example.com/"}`, 404, 40400, "appid"},
		{"bad url", `{"appid":"` + f.acct.AppID + `","url":"shop.example.com"}`, 400, 40000, "url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, out := f.call(http.MethodPost, "", tc.body, nil)
			require.Equal(t, tc.status, w.Code, "%v", out)
			require.Equal(t, tc.errcode, out["errcode"])
			require.Contains(t, out["msg"], tc.field)
		})
	}
}

// TestJSTicketShared: two console processes (two clients on one database) sign with one jsapi_ticket,
// fetched from WeChat once.
func TestJSTicketShared(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a, err := f.Client().JSAPITicket(ctx, f.acct.AppID)
	require.NoError(t, err)
	b, err := f.Client().JSAPITicket(ctx, f.acct.AppID)
	require.NoError(t, err)
	require.Equal(t, a, b)
	n := 0
	for _, r := range f.Emu.Requests() {
		if r.Path == "/cgi-bin/ticket/getticket" {
			n++
		}
	}
	require.Equal(t, 1, n)
}

func TestJSTicketWeChatError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.Emu.SetFault("/cgi-bin/ticket/getticket", wxemu.Fault{Errcode: 40164, Errmsg: "invalid ip 10.1.2.3, not in whitelist"})
	w, out := f.call(http.MethodPost, "?access_token=test-token", `{"url":"https://shop.example.com/"}`, nil)
	require.Equal(t, 502, w.Code, "%v", out)
	require.EqualValues(t, 50200, out["errcode"])
	require.EqualValues(t, 40164, out["wxErrcode"])
}

package webauth_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/webauth"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

var statePattern = regexp.MustCompile(`^[0-9a-f]{57}$`)

func TestAuthorizeRedirect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	loc := f.start("snsapi_userinfo", "https://shop.example.com/welcome?x=1")
	require.True(t, strings.HasPrefix(loc, f.EmuURL+"/connect/oauth2/authorize?appid="+f.acct.AppID+"&redirect_uri="), loc)
	require.True(t, strings.HasSuffix(loc, "#wechat_redirect"), loc)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "snsapi_userinfo", q.Get("scope"))
	require.Regexp(t, statePattern, q.Get("state"))
	back := consoleBase + "/wxplatform/webauth?" + url.Values{"appid": {f.acct.AppID}, "redirect": {"https://shop.example.com/welcome?x=1"},
		"scope": {"snsapi_userinfo"}}.Encode()
	require.Equal(t, back, q.Get("redirect_uri"))
	require.Contains(t, loc, "redirect_uri="+url.QueryEscape(back), "redirect_uri is URL-encoded")
}

func TestWebauthBase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	back := f.wechat(f.start("snsapi_base", ""))
	w := f.get(back, "application/json")
	require.Equal(t, 200, w.Code, w.Body.String())
	out := wxtest.Decode(t, w)
	require.Equal(t, map[string]any{"errcode": 0.0, "msg": "ok", "openid": f.users[1]}, out)

	// The follower's OAuth tokens are kept, sealed, with their expiry.
	var row struct {
		AccessTokenEnc   string
		RefreshTokenEnc  string
		AccessExpiresAt  time.Time
		RefreshExpiresAt time.Time
		Scope            string
	}
	require.NoError(t, f.DB.Raw(`SELECT access_token_enc, refresh_token_enc, access_expires_at, refresh_expires_at, scope
		FROM wx_oauth_tokens WHERE account_id = ? AND openid = ?`, f.acct.ID, f.users[1]).Scan(&row).Error)
	require.Equal(t, "snsapi_base", row.Scope)
	access, err := f.Box.OpenFor(secretbox.Named("wx_oauth_tokens", "access_token_enc").Bound(strconv.FormatInt(f.acct.ID, 10), f.users[1]), row.AccessTokenEnc)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(access, "86_"), "a WeChat token, sealed")
	require.NotContains(t, row.AccessTokenEnc, access)
	require.WithinDuration(t, time.Now().Add(2*time.Hour), row.AccessExpiresAt, time.Minute)
	require.WithinDuration(t, time.Now().Add(30*24*time.Hour), row.RefreshExpiresAt, time.Minute)

	// The same callback again: the state is single use.
	w = f.get(back, "")
	require.Equal(t, 400, w.Code)
	out = wxtest.Decode(t, w)
	require.EqualValues(t, 40000, out["errcode"])
	require.Contains(t, out["msg"], "state")
	require.Contains(t, out["msg"], "already used")
	w = f.get(back, "text/html,application/xhtml+xml")
	require.Equal(t, 400, w.Code)
	require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	require.Contains(t, w.Body.String(), "该授权已使用")
	require.Contains(t, w.Body.String(), "This login was already used")
	require.Contains(t, w.Body.String(), "重新授权 · Try again")
}

func TestWebauthUserInfo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	back := f.wechat(f.start("snsapi_userinfo", ""))
	w := f.get(back, "")
	require.Equal(t, 200, w.Code, w.Body.String())
	out := wxtest.Decode(t, w)
	var me wxemu.Follower
	for _, x := range f.Emu.Followers(f.acct.AppID) {
		if x.OpenID == f.users[1] {
			me = x
		}
	}
	require.Equal(t, f.users[1], out["openid"])
	require.Equal(t, me.Nickname, out["nickname"])
	require.EqualValues(t, me.Sex, out["sex"])
	require.Equal(t, me.Province, out["province"])
	require.Equal(t, me.City, out["city"])
	require.Equal(t, me.Country, out["country"])
	require.Equal(t, me.HeadImgURL, out["headimgurl"])
	require.Equal(t, []any{}, out["privilege"])
	var info string
	require.NoError(t, f.DB.Raw(`SELECT userinfo->>'nickname' FROM wx_oauth_tokens WHERE openid = ?`, f.users[1]).Scan(&info).Error)
	require.Equal(t, me.Nickname, info)
}

func TestWebauthRedirectWithTicket(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	back := f.wechat(f.start("snsapi_userinfo", "https://shop.example.com/welcome?x=1#top"))
	w := f.get(back, "text/html")
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	loc := w.Header().Get("Location")
	require.True(t, strings.HasPrefix(loc, "https://shop.example.com/welcome?x=1&ticket="), loc)
	require.True(t, strings.HasSuffix(loc, "#top"), loc)
	ticket := queryOf(t, strings.TrimSuffix(loc, "#top"), "ticket")

	// The account's backend can check the ticket itself with its msdkKey...
	claims, err := webauth.VerifyTicket(f.acct.MsdkKey, ticket, time.Now())
	require.NoError(t, err)
	require.Equal(t, f.acct.AppID, claims.AppID)
	require.Equal(t, f.users[1], claims.OpenID)
	require.Equal(t, "snsapi_userinfo", claims.Scope)
	require.EqualValues(t, 300, claims.Expires-claims.IssuedAt)
	_, err = webauth.VerifyTicket("another key", ticket, time.Now())
	require.ErrorIs(t, err, webauth.ErrTicketInvalid)

	// ... or ask the console, once.
	w = f.get("/wxplatform/webauth/ticket?ticket="+url.QueryEscape(ticket), "")
	require.Equal(t, 200, w.Code, w.Body.String())
	out := wxtest.Decode(t, w)
	require.Equal(t, f.users[1], out["openid"])
	require.Equal(t, f.acct.AppID, out["appid"])
	require.Equal(t, "snsapi_userinfo", out["scope"])
	require.NotEmpty(t, out["nickname"])
	w = f.get("/wxplatform/webauth/ticket?ticket="+url.QueryEscape(ticket), "")
	require.Equal(t, 401, w.Code)
	out = wxtest.Decode(t, w)
	require.EqualValues(t, 40100, out["errcode"])
	require.Contains(t, out["msg"], "already used")

	for _, tc := range []struct {
		ticket string
		status int
		code   float64
	}{
		{"", 400, 40000},
		{"garbage", 401, 40100},
		{ticket[:len(ticket)-2] + "AA", 401, 40100},
		{"eyJ2IjoxfQ.AAAA", 401, 40100},
	} {
		w := f.get("/wxplatform/webauth/ticket?ticket="+url.QueryEscape(tc.ticket), "")
		require.Equal(t, tc.status, w.Code, tc.ticket)
		out := wxtest.Decode(t, w)
		require.Equal(t, tc.code, out["errcode"])
		require.Contains(t, out["msg"], "ticket")
	}

	// A ticket is good for 5 minutes.
	back = f.wechat(f.start("snsapi_base", "https://shop.example.com/"))
	w = f.get(back, "")
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())
	ticket = queryOf(t, w.Header().Get("Location"), "ticket")
	f.clock.Add(6 * time.Minute)
	w = f.get("/wxplatform/webauth/ticket?ticket="+url.QueryEscape(ticket), "")
	require.Equal(t, 401, w.Code)
	require.Contains(t, wxtest.Decode(t, w)["msg"], "expired")
}

func TestWebauthBadStates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	back := f.wechat(f.start("snsapi_base", "https://shop.example.com/a"))
	st := queryOf(t, back, "state")

	tests := []struct {
		name, url string
		want      string
	}{
		{"scope changed on the way back", withQuery(t, back, "scope", "snsapi_userinfo"), "state"},
		{"redirect changed on the way back", withQuery(t, back, "redirect", "https://shop.example.com/b"), "state"},
		{"redirect dropped on the way back", withQuery(t, back, "redirect", ""), "state"},
		{"state altered", withQuery(t, back, "state", st[:30]+flip(st[30])+st[31:]), "state"},
		{"state truncated", withQuery(t, back, "state", st[:40]), "state"},
		{"no state", withQuery(t, back, "state", ""), "state"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.get(tc.url, "")
			require.Equal(t, 400, w.Code, w.Body.String())
			out := wxtest.Decode(t, w)
			require.EqualValues(t, 40000, out["errcode"])
			require.Contains(t, out["msg"], tc.want)
			w = f.get(tc.url, "text/html")
			require.Equal(t, 400, w.Code)
			require.Contains(t, w.Body.String(), "授权请求无效")
			require.Contains(t, w.Body.String(), "This login request is not valid")
		})
	}
	// Untouched, it still works: none of the above consumed it.
	w := f.get(back, "")
	require.Equal(t, http.StatusFound, w.Code, w.Body.String())

	// A state lives 10 minutes.
	back = f.wechat(f.start("snsapi_base", ""))
	f.clock.Add(11 * time.Minute)
	w = f.get(back, "text/html")
	require.Equal(t, 400, w.Code)
	require.Contains(t, w.Body.String(), "授权已过期")
	require.Contains(t, w.Body.String(), "This login has expired")
	require.NotContains(t, w.Body.String(), "goroutine")
	w = f.get(back, "")
	require.Contains(t, wxtest.Decode(t, w)["msg"], "expired")
}

func TestWebauthWeChatErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	page := func(u string, status int, zh, en string, wx int) {
		t.Helper()
		w := f.get(u, "text/html")
		require.Equal(t, status, w.Code, w.Body.String())
		require.Contains(t, w.Body.String(), zh)
		require.Contains(t, w.Body.String(), en)
		require.Contains(t, w.Body.String(), fmt.Sprintf("(WeChat %d)", wx))
	}

	// 40029: a code WeChat never issued.
	back := f.wechat(f.start("snsapi_base", ""))
	page(withQuery(t, back, "code", "bogus"), 502, "授权码无效", "The login code is not valid", 40029)

	// 40163: a code already exchanged, brought back with a fresh state.
	back = f.wechat(f.start("snsapi_base", ""))
	require.Equal(t, 200, f.get(back, "").Code)
	again := f.wechat(f.start("snsapi_base", ""))
	page(withQuery(t, again, "code", queryOf(t, back, "code")), 502, "授权码已被使用", "The login code was already used", 40163)

	// 42003: expired, as JSON too.
	f.Emu.SetFault("/sns/oauth2/access_token", wxemu.Fault{Errcode: 42003, Times: 1})
	back = f.wechat(f.start("snsapi_base", ""))
	page(back, 502, "授权码已过期", "The login code has expired", 42003)
	f.Emu.SetFault("/sns/oauth2/access_token", wxemu.Fault{Errcode: 42003, Times: 1})
	back = f.wechat(f.start("snsapi_base", ""))
	w := f.get(back, "application/json")
	require.Equal(t, 502, w.Code)
	out := wxtest.Decode(t, w)
	require.EqualValues(t, 50200, out["errcode"])
	require.EqualValues(t, 42003, out["wxErrcode"])

	// A refusal: WeChat comes back with the state only.
	back = f.wechat(f.start("snsapi_userinfo", ""))
	refused := withQuery(t, back, "code", "")
	w = f.get(refused, "text/html")
	require.Equal(t, 403, w.Code)
	require.Contains(t, w.Body.String(), "你已拒绝授权")
	require.Contains(t, w.Body.String(), "You declined the authorization")
	require.Contains(t, w.Body.String(), `href="http://console.test/wxplatform/webauth?appid=`)
	w = f.get(refused, "")
	require.Equal(t, 403, w.Code)
	require.EqualValues(t, 40300, wxtest.Decode(t, w)["errcode"])
}

func TestWebauthStartRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, query string
		status      int
		errcode     float64
		field       string
	}{
		{"no appid", "scope=snsapi_base", 400, 40000, "appid"},
		{"unknown appid", "appid=wx0123456789abcdef&scope=snsapi_base", 404, 40400, "appid"},
		{"no scope", "appid=" + f.acct.AppID, 400, 40000, "scope"},
		{"bad scope", "appid=" + f.acct.AppID + "&scope=snsapi_login", 400, 40000, "scope"},
		{"redirect off the JS domains", "appid=" + f.acct.AppID + "&scope=snsapi_base&redirect=" + url.QueryEscape("https://evil.example/x"), 400, 40000, "redirect"},
		{"redirect not absolute", "appid=" + f.acct.AppID + "&scope=snsapi_base&redirect=%2Fx", 400, 40000, "redirect"},
		{"redirect with a user", "appid=" + f.acct.AppID + "&scope=snsapi_base&redirect=" + url.QueryEscape("https://shop.example.com@evil.example/"), 400, 40000, "redirect"},
		{"redirect javascript", "appid=" + f.acct.AppID + "&scope=snsapi_base&redirect=" + url.QueryEscape("javascript:alert(1)"), 400, 40000, "redirect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.get("/wxplatform/webauth?"+tc.query, "")
			require.Equal(t, tc.status, w.Code, w.Body.String())
			out := wxtest.Decode(t, w)
			require.Equal(t, tc.errcode, out["errcode"])
			require.Contains(t, out["msg"], tc.field)
			w = f.get("/wxplatform/webauth?"+tc.query, "text/html")
			require.Equal(t, tc.status, w.Code)
			require.Contains(t, w.Header().Get("Content-Type"), "text/html")
			require.Contains(t, w.Body.String(), "<h1>")
		})
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

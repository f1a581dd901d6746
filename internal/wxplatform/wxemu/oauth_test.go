package wxemu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// authorize runs /connect/oauth2/authorize with AutoConsent and returns the redirect location.
func (v *env) authorize(scope, redirect string) *url.URL {
	v.t.Helper()
	q := url.Values{"appid": {v.demo.AppID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {scope}, "state": {"st8"}}
	req, err := http.NewRequest(http.MethodGet, v.srv.URL+"/connect/oauth2/authorize?"+q.Encode()+"#wechat_redirect", nil)
	require.NoError(v.t, err)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(v.t, err)
	resp.Body.Close()
	require.Equal(v.t, http.StatusFound, resp.StatusCode)
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(v.t, err)
	return u
}

func (v *env) exchange(code string) map[string]any {
	v.t.Helper()
	return v.get("/sns/oauth2/access_token", url.Values{"appid": {v.demo.AppID}, "secret": {v.demo.Secret},
		"code": {code}, "grant_type": {"authorization_code"}})
}

func TestOAuthFlow(t *testing.T) {
	v := newEnv(t, Options{AutoConsent: true})
	first := v.emu.Followers(v.demo.AppID)[0]

	loc := v.authorize("snsapi_userinfo", "https://console.example.com/wxplatform/webauth?appid=x")
	require.Equal(t, "console.example.com", loc.Host)
	require.Equal(t, "x", loc.Query().Get("appid"))
	require.Equal(t, "st8", loc.Query().Get("state"))
	code := loc.Query().Get("code")
	require.NotEmpty(t, code)

	tok := v.exchange(code)
	require.Equal(t, first.OpenID, tok["openid"])
	require.Equal(t, "snsapi_userinfo", tok["scope"])
	require.Equal(t, json.Number("7200"), tok["expires_in"])
	require.Len(t, tok, 5)
	requireErrcode(t, v.exchange(code), 40163)

	at := tok["access_token"].(string)
	requireOK(t, v.get("/sns/auth", url.Values{"access_token": {at}, "openid": {first.OpenID}}))
	requireErrcode(t, v.get("/sns/auth", url.Values{"access_token": {at}, "openid": {"oother"}}), 40003)
	requireErrcode(t, v.get("/sns/auth", url.Values{"access_token": {"bogus"}, "openid": {first.OpenID}}), 40001)
	requireErrcode(t, v.get("/sns/auth", url.Values{"openid": {first.OpenID}}), 41001)

	info := v.get("/sns/userinfo", url.Values{"access_token": {at}, "openid": {first.OpenID}, "lang": {"zh_CN"}})
	require.Equal(t, first.Nickname, info["nickname"])
	require.Equal(t, []any{}, info["privilege"])
	for _, k := range []string{"openid", "sex", "province", "city", "country", "headimgurl"} {
		require.Contains(t, info, k)
	}

	// The OAuth token is not a base access_token, and the other way round.
	requireErrcode(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {at}}), 40001)
	requireErrcode(t, v.get("/sns/userinfo", url.Values{"access_token": {v.token(v.demo)}, "openid": {first.OpenID}}), 40001)

	// Refresh: a new access token, the same refresh token.
	rt := tok["refresh_token"].(string)
	refresh := func(rt string) map[string]any {
		return v.get("/sns/oauth2/refresh_token", url.Values{"appid": {v.demo.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
	ref := refresh(rt)
	require.NotEqual(t, at, ref["access_token"])
	require.Equal(t, rt, ref["refresh_token"])
	require.Equal(t, first.OpenID, ref["openid"])
	requireErrcode(t, refresh("bogus"), 40030)
	requireErrcode(t, v.get("/sns/oauth2/refresh_token", url.Values{"appid": {v.demo.AppID}, "grant_type": {"refresh_token"}}), 41003)
	requireErrcode(t, v.get("/sns/oauth2/refresh_token", url.Values{"appid": {v.demo.AppID}, "grant_type": {"x"}, "refresh_token": {rt}}), 40002)

	// Access tokens last TokenTTL, refresh tokens 30 days.
	v.clock.Add(7200 * time.Second)
	requireErrcode(t, v.get("/sns/userinfo", url.Values{"access_token": {at}, "openid": {first.OpenID}}), 42001)
	v.clock.Add(30 * 24 * time.Hour)
	requireErrcode(t, refresh(rt), 42002)
}

func TestOAuthBaseScopeAndUser(t *testing.T) {
	v := newEnv(t, Options{AutoConsent: true})
	visitor := "o" + strings.Repeat("v", 27)
	v.emu.SetOAuthUser(v.demo.AppID, visitor)
	loc := v.authorize("snsapi_base", "http://localhost/cb")
	tok := v.exchange(loc.Query().Get("code"))
	require.Equal(t, visitor, tok["openid"])
	require.Equal(t, "snsapi_base", tok["scope"])
	requireErrcode(t, v.get("/sns/userinfo", url.Values{"access_token": {tok["access_token"].(string)}, "openid": {visitor}}), 48001)
}

func TestOAuthCodeErrors(t *testing.T) {
	v := newEnv(t, Options{AutoConsent: true})
	code := v.authorize("snsapi_base", "http://localhost/cb").Query().Get("code")
	base := url.Values{"appid": {v.demo.AppID}, "secret": {v.demo.Secret}, "code": {code}, "grant_type": {"authorization_code"}}
	with := func(k, val string) url.Values {
		q := url.Values{}
		for kk, vv := range base {
			q[kk] = vv
		}
		if val == "" {
			q.Del(k)
		} else {
			q.Set(k, val)
		}
		return q
	}
	requireErrcode(t, v.get("/sns/oauth2/access_token", with("code", "nope")), 40029)
	requireErrcode(t, v.get("/sns/oauth2/access_token", with("code", "")), 41008)
	requireErrcode(t, v.get("/sns/oauth2/access_token", with("secret", "bad")), 40125)
	requireErrcode(t, v.get("/sns/oauth2/access_token", with("secret", "")), 41004)
	requireErrcode(t, v.get("/sns/oauth2/access_token", with("appid", "wxnope")), 40013)
	requireErrcode(t, v.get("/sns/oauth2/access_token", with("grant_type", "client_credential")), 40002)
	other := v.emu.NewAccount("other")
	requireErrcode(t, v.get("/sns/oauth2/access_token", url.Values{"appid": {other.AppID}, "secret": {other.Secret},
		"code": {code}, "grant_type": {"authorization_code"}}), 40029)

	v.clock.Add(5 * time.Minute)
	requireErrcode(t, v.get("/sns/oauth2/access_token", base), 42003)
}

func TestAuthorizeErrors(t *testing.T) {
	v := newEnv(t, Options{AutoConsent: true})
	good := url.Values{"appid": {v.demo.AppID}, "redirect_uri": {"http://localhost/cb"}, "response_type": {"code"}, "scope": {"snsapi_base"}}
	for _, c := range []struct{ key, val, want string }{
		{"appid", "", "10012"},
		{"appid", "wxnope", "10003"},
		{"redirect_uri", "", "10011"},
		{"redirect_uri", "not a url", "10003"},
		{"scope", "", "10010"},
		{"scope", "snsapi_login", "10005"},
		{"response_type", "token", "response_type"},
	} {
		q := url.Values{}
		for k, vv := range good {
			q[k] = vv
		}
		q.Set(c.key, c.val)
		status, body := v.do(http.MethodGet, "/connect/oauth2/authorize", q, "", nil)
		require.Equal(t, http.StatusBadRequest, status, c)
		require.Contains(t, string(body), c.want)
		require.Contains(t, string(body), "Oops! Something went wrong")
	}
}

func TestConsentPage(t *testing.T) {
	v := newEnv(t, Options{})
	q := url.Values{"appid": {v.demo.AppID}, "redirect_uri": {"http://localhost/cb?x=1"}, "response_type": {"code"},
		"scope": {"snsapi_userinfo"}, "state": {"abc"}}
	status, page := v.do(http.MethodGet, "/connect/oauth2/authorize", q, "", nil)
	require.Equal(t, http.StatusOK, status)
	fs := v.emu.Followers(v.demo.AppID)
	require.Contains(t, string(page), fs[0].OpenID)
	require.Contains(t, string(page), `action="consent"`, "a relative action works under /sandbox/")

	pick := fs[4].OpenID
	form := url.Values{"appid": q["appid"], "redirect_uri": q["redirect_uri"], "response_type": {"code"},
		"scope": q["scope"], "state": q["state"], "openid": {pick}, "action": {"allow"}}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
		PostForm(v.srv.URL+"/connect/oauth2/consent", form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "1", loc.Query().Get("x"))
	require.Equal(t, pick, v.exchange(loc.Query().Get("code"))["openid"])

	form.Set("action", "deny")
	resp, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
		PostForm(v.srv.URL+"/connect/oauth2/consent", form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "http://localhost/cb?x=1&state=abc", resp.Header.Get("Location"))
}

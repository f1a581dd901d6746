package webauth_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
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

// tokens logs the follower in through web authorization and answers their OAuth tokens as stored.
func (f *fixture) tokens() (access, refresh string) {
	f.t.Helper()
	back := f.wechat(f.start("snsapi_userinfo", ""))
	require.Equal(f.t, 200, f.get(back, "").Code)
	var row struct{ AccessTokenEnc, RefreshTokenEnc string }
	require.NoError(f.t, f.DB.Raw(`SELECT access_token_enc, refresh_token_enc FROM wx_oauth_tokens WHERE account_id = ? AND openid = ?`,
		f.acct.ID, f.users[1]).Scan(&row).Error)
	var err error
	access, err = f.Box.OpenFor(secretbox.Named("wx_oauth_tokens", "access_token_enc").Bound(strconv.FormatInt(f.acct.ID, 10), f.users[1]), row.AccessTokenEnc)
	require.NoError(f.t, err)
	refresh, err = f.Box.OpenFor(secretbox.Named("wx_oauth_tokens", "refresh_token_enc").Bound(strconv.FormatInt(f.acct.ID, 10), f.users[1]), row.RefreshTokenEnc)
	require.NoError(f.t, err)
	return access, refresh
}

// msdk POSTs body (JSON under a form Content-Type, as MSDK sends it) to path with a signed query;
// mutate may change the query before it is sent.
func (f *fixture) msdk(path, body string, mutate func(url.Values)) (int, map[string]any) {
	f.t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	q := url.Values{"timestamp": {ts}, "appid": {f.acct.AppID}, "sig": {webauth.Sig(f.acct.MsdkKey, ts)},
		"openid": {f.users[1]}, "encode": {"1"}, "msdkExtInfo": {"req_42"}}
	if mutate != nil {
		mutate(q)
	}
	req := httptest.NewRequest(http.MethodPost, path+"?"+q.Encode(), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	f.engine.ServeHTTP(w, req)
	require.Contains(f.t, w.Header().Get("Content-Type"), "application/json")
	return w.Code, wxtest.Decode(f.t, w)
}

func TestMSDKSignature(t *testing.T) {
	// md5("abc1400000000"), computed independently (Python's hashlib, coreutils' md5sum).
	require.Equal(t, "1102ec3daf07ed862906090a30018ce8", webauth.Sig("abc", "1400000000"))
	require.True(t, webauth.SigOK("abc", "1400000000", strings.ToUpper(webauth.Sig("abc", "1400000000"))))
	require.False(t, webauth.SigOK("abc", "1400000001", webauth.Sig("abc", "1400000000")))
}

func TestMSDKCheckToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	access, _ := f.tokens()
	body := `{"accessToken":"` + access + `","openid":"` + f.users[1] + `"}`
	for _, path := range []string{"/auth/check_token/", "/auth/check_token", "/wxoauth/check_token/", "/wxoauth/check_token"} {
		status, out := f.msdk(path, body, nil)
		require.Equal(t, 200, status, path)
		require.Equal(t, map[string]any{"ret": 0.0, "msg": "ok", "msdkExtInfo": "req_42"}, out, path)
	}
	// Form fields, the openid from the URL only, an upper-case sig, no msdkExtInfo.
	status, out := f.msdk("/auth/check_token/", "accessToken="+url.QueryEscape(access), func(q url.Values) {
		q.Set("sig", strings.ToUpper(q.Get("sig")))
		q.Del("msdkExtInfo")
	})
	require.Equal(t, 200, status)
	require.Equal(t, map[string]any{"ret": 0.0, "msg": "ok"}, out)

	tests := []struct {
		name   string
		body   string
		mutate func(url.Values)
		ret    float64
		echo   bool
	}{
		{"bad sig", body, func(q url.Values) { q.Set("sig", webauth.Sig("wrong key", q.Get("timestamp"))) }, -1, true},
		{"no sig", body, func(q url.Values) { q.Del("sig") }, -1, true},
		{"sig of another timestamp", body, func(q url.Values) { q.Set("sig", webauth.Sig(f.acct.MsdkKey, "1")) }, -1, true},
		{"stale timestamp", body, func(q url.Values) {
			ts := strconv.FormatInt(time.Now().Add(-301*time.Second).Unix(), 10)
			q.Set("timestamp", ts)
			q.Set("sig", webauth.Sig(f.acct.MsdkKey, ts))
		}, -2, true},
		{"future timestamp", body, func(q url.Values) {
			ts := strconv.FormatInt(time.Now().Add(10*time.Minute).Unix(), 10)
			q.Set("timestamp", ts)
			q.Set("sig", webauth.Sig(f.acct.MsdkKey, ts))
		}, -2, true},
		{"timestamp not a number", body, func(q url.Values) { q.Set("timestamp", "now") }, -2, true},
		{"no appid", body, func(q url.Values) { q.Del("appid") }, -3, true},
		{"unknown appid", body, func(q url.Values) { q.Set("appid", "wx0123456789abcdef") }, -4, true},
		{"bad msdkExtInfo", body, func(q url.Values) { q.Set("msdkExtInfo", "a-b c") }, -3, false},
		{"no accessToken", `{"openid":"` + f.users[1] + `"}`, nil, -3, true},
		{"openid differs", `{"accessToken":"x","openid":"oOTHER"}`, nil, -3, true},
		{"accessToken a number", `{"accessToken":12}`, nil, -3, true},
		{"token WeChat does not know", `{"accessToken":"nope","openid":"` + f.users[1] + `"}`, nil, 40001, true},
		{"another follower's token", `{"accessToken":"` + access + `","openid":"` + f.users[0] + `"}`, func(q url.Values) { q.Del("openid") }, 40003, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.msdk("/auth/check_token/", tc.body, tc.mutate)
			require.Equal(t, 200, status, "%v", out)
			require.Equal(t, tc.ret, out["ret"], "%v", out)
			require.True(t, strings.HasPrefix(out["msg"].(string), strconv.Itoa(int(tc.ret))+", "), "%v", out)
			if tc.echo {
				require.Equal(t, "req_42", out["msdkExtInfo"])
			} else {
				require.NotContains(t, out, "msdkExtInfo")
			}
		})
	}

	// An unparsable body: HTTP 400, still JSON.
	status, out = f.msdk("/auth/check_token/", `{"accessToken":`, nil)
	require.Equal(t, 400, status)
	require.EqualValues(t, -3, out["ret"])
	require.Equal(t, "req_42", out["msdkExtInfo"])

	// WeChat busy, even after the client's retries: -5, not mistaken for a bad signature.
	f.Emu.SetFault("/sns/auth", wxemu.Fault{Errcode: -1})
	status, out = f.msdk("/auth/check_token/", body, nil)
	require.Equal(t, 200, status)
	require.EqualValues(t, -5, out["ret"])
}

func TestMSDKRefreshToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	access, refresh := f.tokens()
	body := `{"appid":"` + f.acct.AppID + `","refreshToken":"` + refresh + `"}`
	status, out := f.msdk("/auth/refresh_token/", body, nil)
	require.Equal(t, 200, status)
	require.EqualValues(t, 0, out["ret"], "%v", out)
	require.Equal(t, "success", out["msg"])
	require.Equal(t, "req_42", out["msdkExtInfo"])
	require.NotEqual(t, access, out["accessToken"])
	require.True(t, strings.HasPrefix(out["accessToken"].(string), "86_"))
	require.EqualValues(t, 7200, out["expiresIn"])
	require.Equal(t, refresh, out["refreshToken"])
	require.Equal(t, f.users[1], out["openid"])
	require.Equal(t, "snsapi_userinfo", out["scope"])

	// The stored tokens follow, the profile stays.
	var row struct {
		AccessTokenEnc string
		Nick           string
	}
	require.NoError(t, f.DB.Raw(`SELECT access_token_enc, userinfo->>'nickname' AS nick FROM wx_oauth_tokens WHERE openid = ?`, f.users[1]).Scan(&row).Error)
	stored, err := f.Box.OpenFor(secretbox.Named("wx_oauth_tokens", "access_token_enc").Bound(strconv.FormatInt(f.acct.ID, 10), f.users[1]), row.AccessTokenEnc)
	require.NoError(t, err)
	require.Equal(t, out["accessToken"], stored)
	require.NotEmpty(t, row.Nick)

	// The new access token checks out.
	status, out = f.msdk("/wxoauth/check_token", `{"accessToken":"`+stored+`","openid":"`+f.users[1]+`"}`, nil)
	require.Equal(t, 200, status)
	require.EqualValues(t, 0, out["ret"], "%v", out)

	for _, tc := range []struct {
		name string
		body string
		ret  float64
	}{
		{"unknown refresh token", `{"appid":"` + f.acct.AppID + `","refreshToken":"nope"}`, 40030},
		{"no refresh token", `{"appid":"` + f.acct.AppID + `"}`, -3},
		{"another appid in the body", `{"appid":"wx0123456789abcdef","refreshToken":"` + refresh + `"}`, -3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.msdk("/wxoauth/refresh_token/", tc.body, nil)
			require.Equal(t, 200, status)
			require.Equal(t, tc.ret, out["ret"], "%v", out)
			require.Contains(t, out["msg"], ", ")
		})
	}
}

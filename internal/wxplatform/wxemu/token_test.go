package wxemu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTokenSuccessShape(t *testing.T) {
	v := newEnv(t, Options{})
	m := v.get("/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {v.demo.AppID}, "secret": {v.demo.Secret}})
	require.Len(t, m, 2)
	require.Equal(t, json.Number("7200"), m["expires_in"])
	require.Greater(t, len(m["access_token"].(string)), 100)
	require.Equal(t, 1, v.emu.TokenRequests(v.demo.AppID))

	status, body := v.do(http.MethodGet, "/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {v.demo.AppID}, "secret": {v.demo.Secret}}, "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Regexp(t, `^\{"access_token":"[^"]+","expires_in":7200\}$`, string(body))
}

func TestTokenErrors(t *testing.T) {
	v := newEnv(t, Options{})
	a := v.demo
	cases := []struct {
		name string
		q    url.Values
		code int
	}{
		{"bad grant_type", url.Values{"grant_type": {"password"}, "appid": {a.AppID}, "secret": {a.Secret}}, 40002},
		{"missing appid", url.Values{"grant_type": {"client_credential"}, "secret": {a.Secret}}, 41002},
		{"unknown appid", url.Values{"grant_type": {"client_credential"}, "appid": {"wx0000000000000000"}, "secret": {a.Secret}}, 40013},
		{"missing secret", url.Values{"grant_type": {"client_credential"}, "appid": {a.AppID}}, 41004},
		{"wrong secret", url.Values{"grant_type": {"client_credential"}, "appid": {a.AppID}, "secret": {"nope"}}, 40125},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireErrcode(t, v.get("/cgi-bin/token", c.q), c.code)
		})
	}
	require.Equal(t, 0, v.emu.TokenRequests(a.AppID))
}

func TestAccessTokenChecks(t *testing.T) {
	v := newEnv(t, Options{})
	requireErrcode(t, v.get("/cgi-bin/tags/get", nil), 41001)
	requireErrcode(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {"bogus"}}), 40001)

	old := v.token(v.demo)
	require.Contains(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {old}}), "tags")

	// A new fetch makes the previous token "not latest" at once (TokenOverlap 0).
	cur := v.token(v.demo)
	m := v.get("/cgi-bin/tags/get", url.Values{"access_token": {old}})
	requireErrcode(t, m, 40001)
	require.Contains(t, m["errmsg"], "not latest")
	require.Contains(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {cur}}), "tags")

	// Tokens of another account are not touched.
	other := v.emu.NewAccount("other")
	otherTok := v.token(other)
	v.token(v.demo)
	require.Contains(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {otherTok}}), "tags")

	// Time runs out: 42001.
	last := v.token(v.demo)
	v.clock.Add(7200 * time.Second)
	requireErrcode(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {last}}), 42001)
}

func TestTokenOverlap(t *testing.T) {
	v := newEnv(t, Options{TokenOverlap: 5 * time.Minute})
	old := v.token(v.demo)
	v.token(v.demo)
	require.Contains(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {old}}), "tags")
	v.clock.Add(5 * time.Minute)
	requireErrcode(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {old}}), 40001)
}

func TestTokenHooks(t *testing.T) {
	v := newEnv(t, Options{})
	tok := v.token(v.demo)
	v.emu.InvalidateTokens(v.demo.AppID)
	requireErrcode(t, v.get("/cgi-bin/menu/get", url.Values{"access_token": {tok}}), 40001)

	tok = v.token(v.demo)
	v.emu.ExpireTokens(v.demo.AppID)
	requireErrcode(t, v.get("/cgi-bin/menu/get", url.Values{"access_token": {tok}}), 42001)

	require.Equal(t, 2, v.emu.TokenRequests(v.demo.AppID))
}

func TestStableToken(t *testing.T) {
	v := newEnv(t, Options{})
	body := map[string]any{"grant_type": "client_credential", "appid": v.demo.AppID, "secret": v.demo.Secret}
	first := v.post("/cgi-bin/stable_token", nil, body)
	require.Equal(t, json.Number("7200"), first["expires_in"])

	// Same token while valid, with the remaining lifetime.
	v.clock.Add(100 * time.Second)
	again := v.post("/cgi-bin/stable_token", nil, body)
	require.Equal(t, first["access_token"], again["access_token"])
	require.Equal(t, json.Number("7100"), again["expires_in"])

	// Ordinary tokens do not invalidate the stable one.
	v.token(v.demo)
	tok := first["access_token"].(string)
	require.Contains(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {tok}}), "tags")

	// force_refresh makes a new one and retires the old.
	body["force_refresh"] = true
	forced := v.post("/cgi-bin/stable_token", nil, body)
	require.NotEqual(t, tok, forced["access_token"])
	requireErrcode(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {tok}}), 40001)

	// Within 5 minutes of expiry a new one is issued; the previous one lives out its time.
	delete(body, "force_refresh")
	v.clock.Add(7200*time.Second - 4*time.Minute)
	renewed := v.post("/cgi-bin/stable_token", nil, body)
	require.NotEqual(t, forced["access_token"], renewed["access_token"])
	require.Contains(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {forced["access_token"].(string)}}), "tags")

	require.Equal(t, 5, v.emu.TokenRequests(v.demo.AppID))

	requireErrcode(t, v.post("/cgi-bin/stable_token", nil, map[string]any{"grant_type": "client_credential", "appid": v.demo.AppID, "secret": "x"}), 40125)
	requireErrcode(t, v.post("/cgi-bin/stable_token", nil, ""), 44002)
	requireErrcode(t, v.post("/cgi-bin/stable_token", nil, "{not json"), 47001)
	requireErrcode(t, v.get("/cgi-bin/stable_token", nil), 43002)
}

func TestWrongMethod(t *testing.T) {
	v := newEnv(t, Options{})
	requireErrcode(t, v.get("/cgi-bin/tags/create", v.q()), 43002)
	requireErrcode(t, v.post("/cgi-bin/menu/get", v.q(), "{}"), 43001)
	status, _ := v.do(http.MethodGet, "/cgi-bin/nope", nil, "", nil)
	require.Equal(t, http.StatusNotFound, status)
}

func TestGetTicket(t *testing.T) {
	v := newEnv(t, Options{})
	m := v.get("/cgi-bin/ticket/getticket", v.q("type", "jsapi"))
	require.Equal(t, json.Number("0"), m["errcode"])
	require.Equal(t, "ok", m["errmsg"])
	require.Equal(t, json.Number("7200"), m["expires_in"])
	ticket := m["ticket"].(string)
	require.Equal(t, ticket, v.emu.JSAPITicket(v.demo.AppID))

	require.Equal(t, ticket, v.get("/cgi-bin/ticket/getticket", v.q("type", "jsapi"))["ticket"])
	v.clock.Add(7200 * time.Second)
	v.demoToken = "" // expired with the ticket
	renewed := v.get("/cgi-bin/ticket/getticket", v.q("type", "jsapi"))
	require.Equal(t, "ok", renewed["errmsg"])
	require.NotEqual(t, ticket, renewed["ticket"])

	requireErrcode(t, v.get("/cgi-bin/ticket/getticket", v.q("type", "other")), 40035)
}

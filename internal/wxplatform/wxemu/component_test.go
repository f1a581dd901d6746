package wxemu

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// eventSink is a component's authorization-event URL: it checks WeChat's signatures and decrypts.
type eventSink struct {
	t    *testing.T
	comp Component
	mu   sync.Mutex
	got  []map[string]string
}

func (s *eventSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	body, _ := io.ReadAll(r.Body)
	var env struct {
		AppID   string `xml:"AppId"`
		Encrypt string `xml:"Encrypt"`
	}
	if xml.Unmarshal(body, &env) != nil || q.Get("encrypt_type") != "aes" ||
		!wxcrypto.VerifySignature(s.comp.Token, q.Get("timestamp"), q.Get("nonce"), q.Get("signature")) ||
		!wxcrypto.VerifyMsgSignature(s.comp.Token, q.Get("timestamp"), q.Get("nonce"), env.Encrypt, q.Get("msg_signature")) {
		http.Error(w, "bad push", http.StatusForbidden)
		return
	}
	c, _ := wxcrypto.NewCipher(s.comp.EncodingAESKey, s.comp.AppID)
	plain, err := c.Decrypt(env.Encrypt)
	if err != nil {
		http.Error(w, "bad ciphertext", http.StatusForbidden)
		return
	}
	var fields struct {
		Inner []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	}
	require.NoError(s.t, xml.Unmarshal(plain, &fields))
	m := map[string]string{}
	for _, f := range fields.Inner {
		m[f.XMLName.Local] = f.Value
	}
	s.mu.Lock()
	s.got = append(s.got, m)
	s.mu.Unlock()
	_, _ = w.Write([]byte("success"))
}

func (s *eventSink) last() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.got) == 0 {
		return nil
	}
	return s.got[len(s.got)-1]
}

func TestComponentAPI(t *testing.T) {
	v := newEnv(t, Options{DemoFollowers: -1})
	comp := v.emu.NewComponent("test platform")
	sink := &eventSink{t: t, comp: comp}
	srv := httptest.NewServer(sink)
	t.Cleanup(srv.Close)
	v.emu.SetComponentURLs(comp.AppID, srv.URL, "http://console.test/cb/$APPID$")
	ctx := context.Background()

	// No ticket yet: 61006.
	r := v.post("/cgi-bin/component/api_component_token", nil, map[string]string{"component_appid": comp.AppID,
		"component_appsecret": comp.Secret, "component_verify_ticket": "ticket@@@nope"})
	requireNum(t, 61006, r["errcode"], "%v", r)

	require.NoError(t, v.emu.PushTicket(ctx, comp.AppID))
	push := sink.last()
	require.Equal(t, "component_verify_ticket", push["InfoType"])
	require.Equal(t, comp.AppID, push["AppId"])
	ticket := push["ComponentVerifyTicket"]
	require.True(t, strings.HasPrefix(ticket, "ticket@@@"), ticket)

	tokenReq := map[string]string{"component_appid": comp.AppID, "component_appsecret": comp.Secret, "component_verify_ticket": ticket}
	bad := map[string]string{"component_appid": comp.AppID, "component_appsecret": "wrong", "component_verify_ticket": ticket}
	requireNum(t, 40125, v.post("/cgi-bin/component/api_component_token", nil, bad)["errcode"])
	v.emu.SetComponentIPBlocked(comp.AppID, true)
	r = v.post("/cgi-bin/component/api_component_token", nil, tokenReq)
	requireNum(t, 61004, r["errcode"], "%v", r)
	v.emu.SetComponentIPBlocked(comp.AppID, false)
	r = v.post("/cgi-bin/component/api_component_token", nil, tokenReq)
	ctok, _ := r["component_access_token"].(string)
	require.NotEmpty(t, ctok, "%v", r)
	requireNum(t, 7200, r["expires_in"])
	require.Equal(t, 1, v.emu.ComponentTokenRequests(comp.AppID))
	cq := url.Values{"component_access_token": {ctok}}

	r = v.post("/cgi-bin/component/api_create_preauthcode", cq, map[string]string{"component_appid": comp.AppID})
	require.NotEmpty(t, r["pre_auth_code"], "%v", r)
	requireNum(t, 1800, r["expires_in"])
	requireNum(t, 40001, v.post("/cgi-bin/component/api_create_preauthcode",
		url.Values{"component_access_token": {"nope"}}, map[string]string{"component_appid": comp.AppID})["errcode"])

	acct := v.emu.NewAccount("authorizer")
	code, err := v.emu.Authorize(ctx, comp.AppID, acct.AppID, []int{1, 2, 15}, true)
	require.NoError(t, err)
	push = sink.last()
	require.Equal(t, "authorized", push["InfoType"])
	require.Equal(t, acct.AppID, push["AuthorizerAppid"])
	require.Equal(t, code, push["AuthorizationCode"])
	require.NotEmpty(t, push["AuthorizationCodeExpiredTime"])
	cbURL, mode := v.emu.Callback(acct.AppID)
	require.Equal(t, "http://console.test/cb/"+acct.AppID, cbURL)
	require.Equal(t, ModeSafe, mode)

	r = v.post("/cgi-bin/component/api_query_auth", cq, map[string]string{"component_appid": comp.AppID, "authorization_code": code})
	info, _ := r["authorization_info"].(map[string]any)
	require.NotNil(t, info, "%v", r)
	require.Equal(t, acct.AppID, info["authorizer_appid"])
	refresh, _ := info["authorizer_refresh_token"].(string)
	require.NotEmpty(t, refresh)
	atok, _ := info["authorizer_access_token"].(string)
	require.Len(t, info["func_info"], 3)
	requireNum(t, 61009, v.post("/cgi-bin/component/api_query_auth", cq,
		map[string]string{"component_appid": comp.AppID, "authorization_code": "queryauthcode@@@nope"})["errcode"])

	// The authorizer token works on every endpoint that takes an access_token.
	require.NotNil(t, v.get("/cgi-bin/tags/get", url.Values{"access_token": {atok}})["tags"])

	r = v.post("/cgi-bin/component/api_authorizer_token", cq, map[string]string{"component_appid": comp.AppID,
		"authorizer_appid": acct.AppID, "authorizer_refresh_token": "wrong"})
	requireNum(t, 61023, r["errcode"], "%v", r)
	r = v.post("/cgi-bin/component/api_authorizer_token", cq, map[string]string{"component_appid": comp.AppID,
		"authorizer_appid": acct.AppID, "authorizer_refresh_token": refresh})
	require.NotEmpty(t, r["authorizer_access_token"], "%v", r)
	require.Equal(t, refresh, r["authorizer_refresh_token"])
	require.Equal(t, 1, v.emu.AuthorizerTokenRequests(comp.AppID, acct.AppID))

	r = v.post("/cgi-bin/component/api_get_authorizer_info", cq, map[string]string{"component_appid": comp.AppID, "authorizer_appid": acct.AppID})
	ai, _ := r["authorizer_info"].(map[string]any)
	require.NotNil(t, ai, "%v", r)
	require.Equal(t, "authorizer", ai["nick_name"])
	require.Equal(t, acct.OriginalID, ai["user_name"])

	// Withdrawn: unauthorized pushed, 61003 afterwards.
	require.NoError(t, v.emu.Unauthorize(ctx, comp.AppID, acct.AppID))
	require.Equal(t, "unauthorized", sink.last()["InfoType"])
	r = v.post("/cgi-bin/component/api_authorizer_token", cq, map[string]string{"component_appid": comp.AppID,
		"authorizer_appid": acct.AppID, "authorizer_refresh_token": refresh})
	requireNum(t, 61003, r["errcode"], "%v", r)

	// api_start_push_ticket pushes a new ticket.
	n := len(sink.got)
	requireNum(t, 0, v.post("/cgi-bin/component/api_start_push_ticket", nil,
		map[string]string{"component_appid": comp.AppID, "component_secret": comp.Secret})["errcode"])
	require.Eventually(t, func() bool { sink.mu.Lock(); defer sink.mu.Unlock(); return len(sink.got) > n }, 5*time.Second, 10*time.Millisecond)

	// A ticket older than 12 h: 61005.
	v.clock.Add(13 * time.Hour)
	r = v.post("/cgi-bin/component/api_component_token", nil, tokenReq)
	requireNum(t, 61005, r["errcode"], "%v", r)
}

func requireNum(t *testing.T, want int, got any, msg ...any) {
	t.Helper()
	require.Equal(t, fmt.Sprint(want), fmt.Sprint(got), msg...)
}

func TestComponentConsentPage(t *testing.T) {
	v := newEnv(t, Options{DemoFollowers: -1})
	comp := v.emu.DemoComponent()
	tok := v.emu.cs().components[comp.AppID]
	require.Len(t, tok.candidates, 3, "three demo accounts to pick")
	code, body := v.do("GET", "/cgi-bin/componentloginpage", url.Values{"component_appid": {comp.AppID},
		"pre_auth_code": {"nope"}, "redirect_uri": {"https://console.test/return"}}, "", nil)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, string(body), "pre_auth_code")
}

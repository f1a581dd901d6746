package app_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// componentSession is a logged-in operator of a sandbox console with a ticket already pushed.
type componentSession struct {
	t    *testing.T
	con  *apptest.Console
	c    *client
	tok  string
	emu  *wxemu.Emulator
	comp wxemu.Component
}

func startComponent(t *testing.T) *componentSession {
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	code, out := c.postJSON("/apis/user/login", map[string]string{"username": "demo", "password": "demo-password"}, nil)
	require.Equal(t, 200, code, "%v", out)
	s := &componentSession{t: t, con: con, c: c, tok: url.QueryEscape(out["access_token"].(string)), emu: con.Emulator()}
	s.comp = s.emu.DemoComponent()
	require.Eventually(t, func() bool {
		_, out := c.postJSON("/apis/wxplatform/componentStatus?access_token="+s.tok, map[string]any{}, nil)
		age, _ := out["ticketAgeSeconds"].(float64)
		return age >= 0 && out["pushesMissing"] == false
	}, 15*time.Second, 100*time.Millisecond, "the sandbox pushes a component_verify_ticket at start")
	return s
}

func (s *componentSession) api(path string, body map[string]any) (int, map[string]any) {
	s.t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return s.c.postJSON(path+sep+"access_token="+s.tok, body, nil)
}

var (
	formInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
	firstAcct = regexp.MustCompile(`name="appid" value="(wx[0-9a-f]{16})" checked`)
)

// consent opens the authorization link as the administrator's browser would, picks the first account
// offered, grants funcscope, and answers the return URL WeChat redirects to.
func (s *componentSession) consent(link string, funcscope ...string) (appid, returnURL string) {
	s.t.Helper()
	require.True(s.t, strings.HasPrefix(link, s.con.URL+"/sandbox/"), link)
	code, _, body := s.c.do("GET", strings.TrimPrefix(link, s.con.URL), nil, nil)
	require.Equal(s.t, 200, code, "%s", body)
	form := url.Values{}
	for _, m := range formInput.FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	m := firstAcct.FindStringSubmatch(string(body))
	require.NotNil(s.t, m, "the consent page offers accounts: %s", body)
	form.Set("appid", m[1])
	for _, f := range funcscope {
		form.Add("funcscope", f)
	}
	form.Set("action", "allow")
	code, hdr, body := s.c.do("POST", "/sandbox/cgi-bin/componentloginpage/confirm", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	require.Equal(s.t, http.StatusFound, code, "%s", body)
	return m[1], hdr.Get("Location")
}

func (s *componentSession) account(appid string) map[string]any {
	s.t.Helper()
	code, out := s.api("/apis/wxplatform/account", map[string]any{})
	require.Equal(s.t, 200, code, "%v", out)
	var found map[string]any
	n := 0
	for _, a := range out["accounts"].([]any) {
		if m := a.(map[string]any); m["appid"] == appid {
			found = m
			n++
		}
	}
	require.LessOrEqual(s.t, n, 1)
	return found
}

// TestComponentAuthorizationJourney: an operator authorizes an account through the third-party
// platform, the return URL and the authorized push both arrive and bind it once; the account then works
// like any other (a rule answers through the component message URL, QR codes and the JSSDK ticket use
// the authorizer token, refreshed once with api_authorizer_token); revoking keeps it with 40300 on every
// call, and authorizing again revives it.
func TestComponentAuthorizationJourney(t *testing.T) {
	s := startComponent(t)
	ctx := context.Background()

	code, out := s.api("/apis/wxplatform/componentAuthorizeUrl", map[string]any{})
	require.Equal(t, 200, code, "%v", out)
	link := out["url"].(string)
	require.Contains(t, link, "/sandbox/cgi-bin/componentloginpage?component_appid="+s.comp.AppID+"&pre_auth_code=")
	require.Contains(t, link, "redirect_uri="+url.QueryEscape(s.con.URL+"/wxplatform/component/return?state="))
	code, out = s.api("/apis/wxplatform/componentAuthorizeUrl", map[string]any{"mobile": true})
	require.Equal(t, 200, code, "%v", out)
	require.Contains(t, out["url"].(string), "/sandbox/safe/bindcomponent?action=bindcomponent&no_scan=1&component_appid=")
	require.True(t, strings.HasSuffix(out["url"].(string), "#wechat_redirect"))

	appid, ret := s.consent(link, "1", "2", "3", "11", "15")
	require.Contains(t, ret, "/wxplatform/component/return?state=")
	require.Contains(t, ret, "auth_code=")
	code, hdr, body := s.c.do("GET", strings.TrimPrefix(ret, s.con.URL), nil, nil)
	require.Equal(t, http.StatusSeeOther, code, "%s", body)
	require.Equal(t, "/console?appid="+appid, hdr.Get("Location"))

	// The authorized push arrives too (concurrently); the account is bound once, to this operator.
	require.Eventually(t, func() bool {
		for _, p := range s.emu.Pushes(s.comp.AppID) {
			if p.InfoType == "authorized" && p.AppID == appid {
				return p.Status == 200 && p.Body == "success"
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond)
	a := s.account(appid)
	require.NotNil(t, a)
	require.Equal(t, "component", a["mode"])
	require.Equal(t, "active", a["status"])
	require.ElementsMatch(t, []any{1.0, 2.0, 3.0, 11.0, 15.0}, a["funcscope"])
	require.Equal(t, s.con.URL+"/wxplatform/component/callback/"+appid, a["callbackUrl"])
	require.NotContains(t, fmt.Sprint(a), "refreshtoken@@@", "the refresh token never leaves the server")

	// A rule answers a follower through the component message URL, encrypted with the component's key.
	code, out = s.api("/apis/wxreplymanage/addReply?appid="+appid, map[string]any{"type": "text", "request": "hello",
		"reply": map[string]string{"content": "你好，授权号"}})
	require.Equal(t, 200, code, "%v", out)
	d, err := s.emu.SendText(ctx, appid, "", "hello")
	require.NoError(t, err)
	require.Contains(t, d.URL, "/wxplatform/component/callback/"+appid)
	require.Equal(t, 200, d.Status, "%s", d.Body)
	require.NotNil(t, d.Reply, "%s", d.Body)
	require.Equal(t, "你好，授权号", d.Reply.Content)

	// The authorizer token from api_query_auth serves the calls; once it expires, one
	// api_authorizer_token fetches the next.
	code, out = s.api("/apis/wxplatform/qrcode?appid="+appid, map[string]any{"sceneId": 7})
	require.Equal(t, 200, code, "%v", out)
	require.Equal(t, 0, s.emu.AuthorizerTokenRequests(s.comp.AppID, appid))
	s.emu.ExpireTokens(appid)
	code, out = s.api("/apis/wxplatform/qrcode?appid="+appid, map[string]any{"sceneId": 8})
	require.Equal(t, 200, code, "%v", out)
	code, out = s.api("/apis/wxplatform/jsticket", map[string]any{"appid": appid, "url": "https://example.com/a"})
	require.Equal(t, 200, code, "%v", out)
	require.Equal(t, 1, s.emu.AuthorizerTokenRequests(s.comp.AppID, appid))
	require.Equal(t, 1, s.emu.ComponentTokenRequests(s.comp.AppID))

	// Web OAuth on the account's behalf goes through sns/oauth2/component/access_token.
	code, hdr, _ = s.c.do("GET", "/wxplatform/webauth?appid="+appid+"&scope=snsapi_base", nil, nil)
	require.Equal(t, http.StatusFound, code)
	loc := hdr.Get("Location")
	require.Contains(t, loc, "&component_appid="+s.comp.AppID+"#wechat_redirect")
	loc, _, _ = strings.Cut(strings.TrimPrefix(loc, s.con.URL), "#")
	code, _, body = s.c.do("GET", loc, nil, nil)
	require.Equal(t, 200, code, "%s", body)
	form := url.Values{}
	for _, m := range formInput.FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	om := regexp.MustCompile(`name="openid" value="([^"]+)" checked`).FindStringSubmatch(string(body))
	require.NotNil(t, om, "%s", body)
	form.Set("openid", om[1])
	form.Set("action", "allow")
	code, hdr, body = s.c.do("POST", "/sandbox/connect/oauth2/consent", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusFound, code, "%s", body)
	code, _, body = s.c.do("GET", strings.TrimPrefix(hdr.Get("Location"), s.con.URL), nil, nil)
	require.Equal(t, 200, code, "%s", body)
	require.Contains(t, string(body), om[1])
	require.True(t, slices.ContainsFunc(s.emu.Requests(), func(r wxemu.Request) bool {
		return r.Path == "/sns/oauth2/component/access_token" && r.Query.Get("appid") == appid
	}))

	// Revoked: the data stays, calls answer 40300 "authorization revoked".
	require.NoError(t, s.emu.Unauthorize(ctx, s.comp.AppID, appid))
	require.Eventually(t, func() bool { return s.account(appid)["status"] == "revoked" }, 5*time.Second, 50*time.Millisecond)
	time.Sleep(3500 * time.Millisecond) // the accounts cache (3 s) forgets the active account
	code, out = s.api("/apis/wxplatform/qrcode?appid="+appid, map[string]any{"sceneId": 9})
	require.Equal(t, 403, code, "%v", out)
	require.EqualValues(t, 40300, out["errcode"])
	require.Contains(t, out["msg"], "authorization revoked")
	code, _, page := s.c.do("GET", "/console/settings?appid="+appid, nil, nil)
	require.Equal(t, 200, code, "%s", page)
	require.Contains(t, string(page), `id="account-revoked"`, "the pages say so")
	require.Contains(t, string(page), `data-status="revoked"`)

	// Authorizing again revives it, with its rules.
	_, err = s.emu.Authorize(ctx, s.comp.AppID, appid, nil, true)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return s.account(appid)["status"] == "active" }, 10*time.Second, 50*time.Millisecond)
	time.Sleep(3500 * time.Millisecond)
	code, out = s.api("/apis/wxplatform/qrcode?appid="+appid, map[string]any{"sceneId": 10})
	require.Equal(t, 200, code, "%v", out)
	d, err = s.emu.SendText(ctx, appid, "", "hello")
	require.NoError(t, err)
	require.NotNil(t, d.Reply, "%s", d.Body)
	require.Equal(t, "你好，授权号", d.Reply.Content)
}

// TestComponentBadInput: forged, stale and foreign pushes are 403; a bad or expired state binds nothing;
// plaintext on the component message URL is 403.
func TestComponentBadInput(t *testing.T) {
	s := startComponent(t)
	ev := "/wxplatform/component/events"
	post := func(path string, q url.Values, body string) (int, string) {
		code, _, b := s.c.do("POST", path+"?"+q.Encode(), strings.NewReader(body), map[string]string{"Content-Type": "text/xml"})
		return code, string(b)
	}
	seal := func(comp wxemu.Component, ts int64, inner string) (url.Values, string) {
		ciph, err := wxcrypto.NewCipher(comp.EncodingAESKey, comp.AppID)
		require.NoError(t, err)
		enc, err := ciph.Encrypt([]byte(inner))
		require.NoError(t, err)
		tss, nonce := fmt.Sprint(ts), "12345"
		q := url.Values{"signature": {wxcrypto.Signature(comp.Token, tss, nonce)}, "timestamp": {tss}, "nonce": {nonce},
			"encrypt_type": {"aes"}, "msg_signature": {wxcrypto.MsgSignature(comp.Token, tss, nonce, enc)}}
		return q, "<xml><AppId><![CDATA[" + comp.AppID + "]]></AppId><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	}
	ticket := func(appid string) string {
		return "<xml><AppId><![CDATA[" + appid + "]]></AppId><CreateTime>1</CreateTime><InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[forged]]></ComponentVerifyTicket></xml>"
	}
	now := time.Now().Unix()

	q, body := seal(s.comp, now, ticket(s.comp.AppID))
	code, text := post(ev, q, body)
	require.Equal(t, 200, code, text)
	require.Equal(t, "success", text)

	q.Set("msg_signature", strings.Repeat("0", 40))
	code, _ = post(ev, q, body)
	require.Equal(t, 403, code, "forged msg_signature")
	q, body = seal(s.comp, now-3600, ticket(s.comp.AppID))
	code, _ = post(ev, q, body)
	require.Equal(t, 403, code, "stale push")
	other := wxemu.Component{AppID: "wx00112233445566aa", Token: s.comp.Token, EncodingAESKey: s.comp.EncodingAESKey}
	q, body = seal(other, now, ticket(other.AppID))
	code, _ = post(ev, q, body)
	require.Equal(t, 403, code, "a push for another component")
	q, body = seal(s.comp, now, ticket(s.comp.AppID))
	q.Del("encrypt_type")
	code, _ = post(ev, q, body)
	require.Equal(t, 403, code, "safe mode only")

	// A bad or expired state binds nothing.
	code, _, page := s.c.do("GET", "/wxplatform/component/return?auth_code=x&expires_in=3600&state=1.9999999999.00.abcd", nil, nil)
	require.Equal(t, 400, code, "%s", page)
	require.Contains(t, string(page), "10")
	_, out := s.api("/apis/wxplatform/account", map[string]any{})
	require.Len(t, out["accounts"], 1, "only the demo account")

	// Plaintext on the component message URL.
	tss := fmt.Sprint(now)
	q = url.Values{"signature": {wxcrypto.Signature(s.comp.Token, tss, "1")}, "timestamp": {tss}, "nonce": {"1"}}
	code, _ = post("/wxplatform/component/callback/wx00112233445566bb", q, "<xml><MsgType>text</MsgType></xml>")
	require.Equal(t, 403, code)

	// No ticket younger than 12 h: component calls answer 50200 with wxErrcode 61006, the settings
	// page says pushes are missing.
	gdb, err := gorm.Open(postgres.Open(s.con.DBURL), &gorm.Config{})
	require.NoError(t, err)
	require.NoError(t, gdb.Exec(`UPDATE wx_component_tickets SET received_at = now() - interval '13 hours'`).Error)
	if sqlDB, err := gdb.DB(); err == nil {
		_ = sqlDB.Close()
	}
	s.emu.ExpireTickets(s.comp.AppID)
	code, out = s.api("/apis/wxplatform/componentAuthorizeUrl", map[string]any{})
	require.Equal(t, 502, code, "%v", out)
	require.EqualValues(t, 50200, out["errcode"])
	require.EqualValues(t, 61006, out["wxErrcode"])
	code, _, page = s.c.do("GET", "/console/settings", nil, nil)
	require.Equal(t, 200, code)
	require.Contains(t, string(page), `id="pushes-missing"`)
	require.Contains(t, string(page), `id="restart-push"`)
}

// TestComponentReleaseTest plays WeChat's full-network release test account against the component
// message URL.
func TestComponentReleaseTest(t *testing.T) {
	s := startComponent(t)
	ctx := context.Background()
	const testAppID = "wx570bc396a51b8ff8"
	s.emu.AddAccount(wxemu.Account{AppID: testAppID, Secret: strings.Repeat("a", 32), Token: "testtoken",
		EncodingAESKey: strings.Repeat("b", 43), OriginalID: "gh_3c884a361561", Name: "全网发布测试号"})
	s.emu.AddFollowers(testAppID, 1)
	authCode, err := s.emu.Authorize(ctx, s.comp.AppID, testAppID, nil, false)
	require.NoError(t, err)

	d, err := s.emu.SendText(ctx, testAppID, "", "TESTCOMPONENT_MSG_TYPE_TEXT")
	require.NoError(t, err)
	require.NotNil(t, d.Reply, "%s", d.Body)
	require.Equal(t, "TESTCOMPONENT_MSG_TYPE_TEXT_callback", d.Reply.Content)

	d, err = s.emu.SendEvent(ctx, testAppID, "", "LOCATION", "")
	require.NoError(t, err)
	require.NotNil(t, d.Reply, "%s", d.Body)
	require.Equal(t, "LOCATIONfrom_callback", d.Reply.Content)

	d, err = s.emu.SendText(ctx, testAppID, "", "QUERY_AUTH_CODE:"+authCode)
	require.NoError(t, err)
	require.Equal(t, 200, d.Status)
	require.Empty(t, d.Body, "an empty answer first")
	require.Eventually(t, func() bool {
		for _, m := range s.emu.Received(testAppID, d.Message.FromUserName) {
			if m.MsgType == "text" && m.Content == authCode+"_from_api" {
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "then a customer-service text with the authorizer token")
}

// TestComponentReturnEdgeCases: an account another operator owns is a 409 page with nothing changed;
// WeChat down while the return URL exchanges the code is a page saying so, and the authorized push
// completes the binding later; WeChat refusing the refresh token (61023) revokes the account.
func TestComponentReturnEdgeCases(t *testing.T) {
	s := startComponent(t)
	ctx := context.Background()

	// The demo operator binds the first demo account of the platform.
	_, out := s.api("/apis/wxplatform/componentAuthorizeUrl", map[string]any{})
	appid, ret := s.consent(out["url"].(string))
	code, _, body := s.c.do("GET", strings.TrimPrefix(ret, s.con.URL), nil, nil)
	require.Equal(t, http.StatusSeeOther, code, "%s", body)

	// Another operator authorizes the same account: 409, nothing changed.
	other := newClient(t, s.con.URL)
	user := "other" + fmt.Sprint(time.Now().UnixNano()%1e8)
	code, out = other.postJSON("/apis/user/register", map[string]string{"username": user, "password": "other-password",
		"email": user + "@example.com"}, nil)
	require.Equal(t, 200, code, "%v", out)
	m := s.con.Mail.Wait(t, user+"@example.com", 10*time.Second)
	link := m.Link(s.con.URL + "/apis/user/verify?token=")
	code, _, _ = other.do("GET", strings.TrimPrefix(link, s.con.URL), nil, nil)
	require.Equal(t, http.StatusSeeOther, code)
	code, out = other.postJSON("/apis/user/login", map[string]string{"username": user, "password": "other-password"}, nil)
	require.Equal(t, 200, code, "%v", out)
	otherTok := url.QueryEscape(out["access_token"].(string))
	code, out = other.postJSON("/apis/wxplatform/componentAuthorizeUrl?access_token="+otherTok, map[string]any{}, nil)
	require.Equal(t, 200, code, "%v", out)
	os := &componentSession{t: t, con: s.con, c: other, tok: otherTok, emu: s.emu, comp: s.comp}
	appid2, ret := os.consent(out["url"].(string))
	require.Equal(t, appid, appid2)
	code, _, body = other.do("GET", strings.TrimPrefix(ret, s.con.URL), nil, nil)
	require.Equal(t, http.StatusConflict, code, "%s", body)
	time.Sleep(500 * time.Millisecond) // the push of the same authorization changes nothing either
	require.NotNil(t, s.account(appid), "still the demo operator's")
	code, out = other.postJSON("/apis/wxplatform/account?access_token="+otherTok, map[string]any{}, nil)
	require.Equal(t, 200, code)
	require.Empty(t, out["accounts"])

	// WeChat down while exchanging: the page says so; the push completes it later.
	s.emu.SetComponentURLs(s.comp.AppID, "http://127.0.0.1:1/unreachable", s.con.URL+"/wxplatform/component/callback/$APPID$")
	_, out = s.api("/apis/wxplatform/componentAuthorizeUrl", map[string]any{})
	link = out["url"].(string)
	lu, err := url.Parse(link)
	require.NoError(t, err)
	preAuth := lu.Query().Get("pre_auth_code")
	page := func() string {
		_, _, b := s.c.do("GET", strings.TrimPrefix(link, s.con.URL), nil, nil)
		return string(b)
	}()
	second := regexp.MustCompile(`name="appid" value="(wx[0-9a-f]{16})">`).FindStringSubmatch(page)
	require.NotNil(t, second, "a second account to pick: %s", page)
	form := url.Values{}
	for _, m := range formInput.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	form.Set("appid", second[1])
	form.Set("action", "allow")
	code, hdr, body := s.c.do("POST", "/sandbox/cgi-bin/componentloginpage/confirm", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusFound, code, "%s", body)
	ret = hdr.Get("Location")
	authCode := mustQuery(t, ret, "auth_code")
	s.emu.SetFault("/cgi-bin/component/api_query_auth", wxemu.Fault{Errcode: -1, Times: 3})
	code, _, body = s.c.do("GET", strings.TrimPrefix(ret, s.con.URL), nil, nil)
	require.Equal(t, http.StatusBadGateway, code, "%s", body)
	require.Contains(t, string(body), "推送")
	require.Nil(t, s.account(second[1]), "nothing bound yet")
	s.emu.ClearFaults()
	s.emu.SetComponentURLs(s.comp.AppID, s.con.URL+"/wxplatform/component/events", s.con.URL+"/wxplatform/component/callback/$APPID$")
	s.emu.PushAuthorization(ctx, s.comp.AppID, "authorized", second[1], authCode, preAuth)
	require.Eventually(t, func() bool { return s.account(second[1]) != nil }, 10*time.Second, 50*time.Millisecond,
		"the authorized push binds the account to the operator the pre_auth_code was handed to")

	// WeChat refuses the refresh token: the account becomes revoked.
	s.emu.SetFault("/cgi-bin/component/api_authorizer_token", wxemu.Fault{Errcode: 61023, Errmsg: "refresh_token is invalid"})
	s.emu.ExpireTokens(appid)
	code, out = s.api("/apis/wxplatform/qrcode?appid="+appid, map[string]any{"sceneId": 5})
	require.Equal(t, 403, code, "%v", out)
	require.Contains(t, out["msg"], "authorization revoked")
	require.Equal(t, "revoked", s.account(appid)["status"])
}

func mustQuery(t *testing.T, raw, key string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	v := u.Query().Get(key)
	require.NotEmpty(t, v, "%s in %s", key, raw)
	return v
}

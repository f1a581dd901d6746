package app_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
	"github.com/socialinzen/socialinzen/internal/testenv"
)

// demoLogin logs the sandbox's demo operator in and answers its token.
func demoLogin(t *testing.T, c *client) string {
	t.Helper()
	code, out := c.postJSON("/apis/user/login", map[string]string{"username": "demo", "password": "demo-password"}, nil)
	require.Equal(t, 200, code, "%v", out)
	return out["access_token"].(string)
}

// TestControlCharactersAreRefusedAtTheEdge sends a NUL (and other control characters) in every kind of text
// input: JSON fields, form fields, query parameters and path segments, of the API, the public routes and
// the page forms. Each is a 400 (40000 in the envelope on /apis), never a 500, and nothing is logged at
// ERROR.
func TestControlCharactersAreRefusedAtTheEdge(t *testing.T) {
	logs := &testenv.LogBuffer{}
	con := apptest.Start(t, apptest.Options{Log: logs})
	c := newClient(t, con.URL)
	tok := demoLogin(t, c)
	appid := con.Emulator().Demo().AppID
	q := "access_token=" + url.QueryEscape(tok)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	jsonCT := map[string]string{"Content-Type": "application/json"}
	cases := []struct {
		name, method, path, body string
		header                   map[string]string
		api                      bool
	}{
		{"rule keyword", "POST", "/apis/wxreplymanage/addReply?" + q, `{"type":"text","request":"a\u0000b","reply":{"content":"x"}}`, form, true},
		{"rule content", "POST", "/apis/wxreplymanage/addReply?" + q, `{"type":"text","request":"ab","reply":{"content":"x\u0000"}}`, jsonCT, true},
		{"rule content as form", "POST", "/apis/wxreplymanage/addReply?" + q, "type=text&request=ab&reply=%7B%22content%22%3A%22x%01%22%7D", form, true},
		{"login username", "POST", "/apis/user/login", `{"username":"de\u0000mo","password":"demo-password"}`, form, true},
		{"login username as form", "POST", "/apis/user/login", "username=de%00mo&password=demo-password", form, true},
		{"messages openid", "GET", "/apis/wxplatform/messages?openid=o%00x&" + q, "", nil, true},
		{"account-scoped appid", "GET", "/apis/wxreplymanage/listReply?appid=wx%00&" + q, "", nil, true},
		{"appid in the body", "POST", "/apis/wxplatform/getGroups?" + q, `{"appid":"` + appid + `\u0000"}`, jsonCT, true},
		{"escape character", "POST", "/apis/user/register", `{"username":"eve\u001b","password":"long enough","email":"e@example.com"}`, jsonCT, true},
		{"webauth appid", "GET", "/wxplatform/webauth?appid=wx%00&redirect_uri=http%3A%2F%2Fa.example%2F", "", nil, false},
		{"check_token appid", "POST", "/auth/check_token?appid=wx%00", `{"openid":"o","access_token":"t"}`, jsonCT, false},
		{"logo path", "GET", "/materials/logo/wx%00", "", nil, false},
		{"page login form", "POST", "/login", "username=de%00mo&password=demo-password", form, false},
		{"page register form", "POST", "/register", "username=eve%07&password=long+enough&email=e%40example.com", form, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body *strings.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			} else {
				body = strings.NewReader("")
			}
			code, _, out := c.do(tc.method, tc.path, body, tc.header)
			require.Equal(t, http.StatusBadRequest, code, string(out))
			if tc.api {
				var f map[string]any
				require.NoError(t, json.Unmarshal(out, &f), string(out))
				require.EqualValues(t, 40000, f["errcode"], string(out))
				require.Contains(t, f["msg"], "control character")
			}
		})
	}
	// Text with tabs and line breaks is fine.
	code, out := c.postJSON("/apis/wxreplymanage/addReply?"+q, map[string]any{"type": "text", "request": "多行", "reply": map[string]string{"content": "第一行\n\t第二行\r\n"}}, nil)
	require.Equal(t, 200, code, "%v", out)
	require.NotContains(t, logs.String(), "level=ERROR")
}

// TestHSTSWithAnHTTPSBaseURL: behind TLS the console tells browsers to keep using it (max-age of a year at
// least); over plain http it must not.
func TestHSTSWithAnHTTPSBaseURL(t *testing.T) {
	con := apptest.Start(t, apptest.Options{Env: map[string]string{"BASE_URL": "https://console.example.com"}})
	c := newClient(t, con.URL)
	_, hdr, _ := c.do("GET", "/login", nil, nil)
	sts := hdr.Get("Strict-Transport-Security")
	require.Contains(t, sts, "max-age=")
	m := regexp.MustCompile(`max-age=(\d+)`).FindStringSubmatch(sts)
	require.Len(t, m, 2, sts)
	age, err := strconv.Atoi(m[1])
	require.NoError(t, err, sts)
	require.GreaterOrEqual(t, age, 365*24*3600)

	plain := apptest.Start(t, apptest.Options{})
	_, hdr, _ = newClient(t, plain.URL).do("GET", "/login", nil, nil)
	require.Empty(t, hdr.Get("Strict-Transport-Security"))
}

// TestLanguageSwitchNeverRedirectsAway: /lang's back= is a local path, whatever tricks it holds.
func TestLanguageSwitchNeverRedirectsAway(t *testing.T) {
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	for _, back := range []string{`/./\evil.com`, `/\evil.com`, `//evil.com`, `/.//evil.com`, `https://evil.com/`,
		`/%2F%2Fevil.com`, `/a/../\evil.com`, "/\t/evil.com", `\\evil.com`, `/console?x=1`} {
		code, hdr, body := c.do("POST", "/lang", strings.NewReader(url.Values{"lang": {"en"}, "back": {back}}.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": con.URL})
		require.Equal(t, http.StatusSeeOther, code, "%s: %s", back, body)
		loc := hdr.Get("Location")
		u, err := url.Parse(loc)
		require.NoError(t, err)
		require.Empty(t, u.Host, "%q went to %q", back, loc)
		require.True(t, strings.HasPrefix(loc, "/"), loc)
		require.False(t, strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\\\t"), "%q went to %q", back, loc)
		// What a browser makes of it stays on the console.
		base, _ := url.Parse(con.URL + "/login")
		require.Equal(t, base.Host, base.ResolveReference(u).Host, "%q went to %q", back, loc)
	}
	_, hdr, _ := c.do("POST", "/lang", strings.NewReader("lang=en&back=%2Fconsole%3Fx%3D1"),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	require.Equal(t, "/console?x=1", hdr.Get("Location"), "a good path is kept")
}

// TestLoginRefusesCrossOriginRequests: a page elsewhere cannot log the browser into another operator, by
// the API or by the form; scripts (no Origin, no Sec-Fetch-Site) still log in.
func TestLoginRefusesCrossOriginRequests(t *testing.T) {
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	for _, path := range []string{"/apis/user/login", "/login"} {
		for name, h := range map[string]map[string]string{
			"sec-fetch-site": {"Sec-Fetch-Site": "cross-site"},
			"origin":         {"Origin": "https://evil.example"},
		} {
			h["Content-Type"] = "application/x-www-form-urlencoded"
			code, hdr, body := c.do("POST", path, strings.NewReader("username=demo&password=demo-password"), h)
			require.Equal(t, http.StatusForbidden, code, "%s %s: %s", path, name, body)
			require.Empty(t, hdr.Values("Set-Cookie"), "%s %s sets no cookie", path, name)
		}
	}
	code, hdr, body := c.do("POST", "/apis/user/login", strings.NewReader("username=demo&password=demo-password"),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"})
	require.Equal(t, 200, code, string(body))
	require.NotEmpty(t, hdr.Values("Set-Cookie"))
	demoLogin(t, c) // a script
}

// TestSignaturesAreRedactedInTheLog: WeChat's signature, msg_signature, nonce and echostr never reach the
// access log.
func TestSignaturesAreRedactedInTheLog(t *testing.T) {
	logs := &testenv.LogBuffer{}
	con := apptest.Start(t, apptest.Options{Log: logs})
	c := newClient(t, con.URL)
	appid := con.Emulator().Demo().AppID
	c.do("GET", "/wxplatform/callback/"+appid+"?signature=sigSECRET1&timestamp=1&nonce=nonceSECRET2&echostr=echoSECRET3", nil, nil)
	c.do("POST", "/wxplatform/callback/"+appid+"?signature=sigSECRET1&timestamp=1&nonce=nonceSECRET2&encrypt_type=aes&msg_signature=msgSECRET4",
		strings.NewReader("<xml/>"), nil)
	time.Sleep(50 * time.Millisecond)
	out := logs.String()
	require.Contains(t, out, "/wxplatform/callback/"+appid)
	for _, s := range []string{"sigSECRET1", "nonceSECRET2", "echoSECRET3", "msgSECRET4"} {
		require.NotContains(t, out, s)
	}
}

// TestTrustedProxiesNameTheClient: behind TRUSTED_PROXIES the access log (and so the throttles, which use the
// same address) counts the rightmost X-Forwarded-For hop that is not a trusted proxy; without it, the peer.
func TestTrustedProxiesNameTheClient(t *testing.T) {
	for _, tc := range []struct{ trusted, want string }{{"127.0.0.1/32, 10.0.0.0/8", "203.0.113.7"}, {"", "127.0.0.1"}} {
		logs := &testenv.LogBuffer{}
		con := apptest.Start(t, apptest.Options{Log: logs, Env: map[string]string{"TRUSTED_PROXIES": tc.trusted}})
		c := newClient(t, con.URL)
		code, _ := c.postJSON("/apis/user/login", map[string]string{"username": "nobody", "password": "wrong password"},
			map[string]string{"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.1.2.3"})
		require.Equal(t, 401, code)
		time.Sleep(50 * time.Millisecond)
		require.Regexp(t, `url=/apis/user/login status=401 .* client=`+regexp.QuoteMeta(tc.want)+`\b`, logs.String(), "TRUSTED_PROXIES=%q", tc.trusted)
	}
}

// TestControlCharactersInMultipartFields: an upload's text fields (the API's and the page's) are checked as
// every other text input is.
func TestControlCharactersInMultipartFields(t *testing.T) {
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	tok := demoLogin(t, c)
	for _, path := range []string{"/apis/materials/uploadMaterial?access_token=" + url.QueryEscape(tok), "/console/materials/upload"} {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		require.NoError(t, mw.WriteField("type", "image"))
		require.NoError(t, mw.WriteField("title", "bad\x00title"))
		fw, err := mw.CreateFormFile("file", "a.png")
		require.NoError(t, err)
		_, _ = fw.Write([]byte("\x89PNG\r\n\x1a\n"))
		require.NoError(t, mw.Close())
		code, hdr, body := c.do("POST", path, &buf, map[string]string{"Content-Type": mw.FormDataContentType(), "Origin": con.URL})
		require.NotEqual(t, http.StatusInternalServerError, code, "%s: %s", path, body)
		if code == http.StatusSeeOther { // the page: back to the form, with the error next to it
			code, _, body = c.do("GET", hdr.Get("Location"), nil, nil)
			require.Equal(t, http.StatusOK, code)
		}
		if strings.HasPrefix(path, "/console/") {
			// The page speaks the operator's language (Chinese by default); the API answers English.
			require.Contains(t, string(body), "title：包含控制字符", "%s: %d %s", path, code, body)
			continue
		}
		require.Contains(t, string(body), "control character", "%s: %d %s", path, code, body)
	}
}

package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
	"github.com/socialinzen/socialinzen/internal/testenv"
)

type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, body io.Reader, header map[string]string) (int, http.Header, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	require.NoError(c.t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// postJSON sends JSON the way the spec does: under a form Content-Type.
func (c *client) postJSON(path string, v any, header map[string]string) (int, map[string]any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, val := range header {
		h[k] = val
	}
	code, _, body := c.do(http.MethodPost, path, bytes.NewReader(b), h)
	var out map[string]any
	_ = json.Unmarshal(body, &out)
	return code, out
}

func TestHealthAndSandboxReady(t *testing.T) {
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	code, _, body := c.do("GET", "/healthz", nil, nil)
	require.Equal(t, 200, code, string(body))
	code, _, body = c.do("GET", "/readyz", nil, nil)
	require.Equal(t, 200, code, string(body))
	require.Contains(t, string(body), `"ready"`)

	code, out := c.postJSON("/apis/user/login", map[string]string{"username": "demo", "password": "demo-password"}, nil)
	require.Equal(t, 200, code, "%v", out)
	tok := out["access_token"].(string)
	code, out = c.postJSON("/apis/wxplatform/account?access_token="+tok, nil, nil)
	require.Equal(t, 200, code)
	accts := out["accounts"].([]any)
	require.Len(t, accts, 1)
	demo := con.Emulator().Demo()
	require.Equal(t, demo.AppID, accts[0].(map[string]any)["appid"])
	require.Equal(t, con.URL+"/wxplatform/callback/"+demo.AppID, accts[0].(map[string]any)["callbackUrl"])

	// The emulator is reachable at /sandbox like WeChat's API.
	code, _, body = c.do("GET", "/sandbox/demo", nil, nil)
	require.Equal(t, 200, code)
	require.Contains(t, string(body), demo.AppID)
}

func TestOperatorJourneyAgainstTheRealServer(t *testing.T) {
	logs := &testenv.LogBuffer{}
	con := apptest.Start(t, apptest.Options{Log: logs})
	c := newClient(t, con.URL)
	code, out := c.postJSON("/apis/user/register", map[string]string{"username": "alice", "password": "correct horse", "email": "alice@example.com"}, nil)
	require.Equal(t, 200, code, "%v", out)
	require.EqualValues(t, 0, out["errcode"])

	code, out = c.postJSON("/apis/user/login", map[string]string{"username": "alice", "password": "correct horse"}, nil)
	require.Equal(t, 403, code)
	require.EqualValues(t, 40102, out["errcode"], "not verified yet")

	m := con.Mail.Wait(t, "alice@example.com", 10*time.Second)
	link := m.Link(con.URL + "/apis/user/verify?token=")
	require.NotEmpty(t, link, "the mail carries the verification link: %s", m.Text)
	u, err := url.Parse(link)
	require.NoError(t, err)
	code, hdr, _ := c.do("GET", u.RequestURI(), nil, nil)
	require.Equal(t, http.StatusSeeOther, code)
	require.Equal(t, "/login?verified=1", hdr.Get("Location"))

	code, out = c.postJSON("/apis/user/login", map[string]string{"username": "alice@example.com", "password": "correct horse"}, nil)
	require.Equal(t, 200, code, "%v", out)
	tok := out["access_token"].(string)
	require.NotEmpty(t, tok)

	// me by query, bearer and cookie.
	code, out = c.postJSON("/apis/user/me?access_token="+url.QueryEscape(tok), nil, nil)
	require.Equal(t, 200, code)
	require.Equal(t, "alice", out["username"])
	code, _ = c.postJSON("/apis/user/me", nil, map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, 200, code)
	code, _, body := c.do("GET", "/apis/user/me", nil, nil) // the cookie jar holds SocialinzenToken
	require.Equal(t, 200, code, string(body))

	code, _ = c.postJSON("/apis/user/logout", nil, map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, 200, code)
	code, out = c.postJSON("/apis/user/me?access_token="+url.QueryEscape(tok), nil, nil)
	require.Equal(t, 401, code)
	require.EqualValues(t, 40100, out["errcode"])

	require.Contains(t, logs.String(), "access_token=REDACTED", "the request log redacts the token")
	require.NotContains(t, logs.String(), tok, "no token in the logs")
	require.NotContains(t, logs.String(), url.QueryEscape(tok))
}

func TestMalformedBodiesAre4xx(t *testing.T) {
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	cases := []struct {
		name   string
		body   string
		status int
		code   float64
	}{
		{"truncated json", `{"username": "bob", "pass`, 400, 40000},
		{"json array", `["bob"]`, 400, 40000},
		{"empty body", ``, 400, 40000},
		{"two megabytes", `{"username":"` + strings.Repeat("a", 2<<20) + `"}`, 413, 41300},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := c.do("POST", "/apis/user/register", strings.NewReader(tc.body),
				map[string]string{"Content-Type": "application/json"})
			require.Equal(t, tc.status, code, string(body))
			var out map[string]any
			require.NoError(t, json.Unmarshal(body, &out), string(body))
			require.Equal(t, tc.code, out["errcode"])
		})
	}
	code, _, body := c.do("POST", "/apis/nope", nil, nil)
	require.Equal(t, 404, code)
	require.Contains(t, string(body), "40400")
}

// TestDumpHoldsNoPasswordOrToken runs the real pg_dump after a login.
func TestDumpHoldsNoPasswordOrToken(t *testing.T) {
	pgDump := testenv.RequireTool(t, "pg_dump")
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	code, out := c.postJSON("/apis/user/login", map[string]string{"username": "demo", "password": "demo-password"}, nil)
	require.Equal(t, 200, code)
	tok := out["access_token"].(string)
	dump, err := exec.Command(pgDump, "--data-only", con.DBURL).CombinedOutput()
	require.NoError(t, err, string(dump))
	require.Contains(t, string(dump), "demo@example.com", "the dump is of the console's database")
	require.NotContains(t, string(dump), "demo-password")
	require.NotContains(t, string(dump), tok)
	require.NotContains(t, string(dump), con.Emulator().Demo().Secret)
}

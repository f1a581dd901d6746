package user_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/user"
)

// TestJourney walks an operator through register, the mailed link, login, me three ways, and logout.
func TestJourney(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	const password = "correct horse battery"

	r := a.register("alice", "Alice@Example.com", password)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(t, 0, r.code())
	require.Equal(t, "alice", r.str("username"))
	userID := int64(r.body["user_id"].(float64))

	m := e.mail.Wait(t, "Alice@Example.com", 10*time.Second)
	require.Equal(t, "请验证您的邮箱 / Verify your email", m.Subject)
	require.Contains(t, m.Text, "请打开下面的链接验证您的邮箱")
	require.Contains(t, m.Text, "Please open the link below")
	require.Contains(t, m.HTML, `<a href="`+baseURL+`/apis/user/verify?token=`)
	link := m.Link(baseURL + "/apis/user/verify?token=")
	require.NotEmpty(t, link)

	// Not verified yet: the right password is answered 40102, a wrong one 40101.
	requireFail(t, a.login("alice", password), http.StatusForbidden, httpapi.CodeUnverified, "email not verified")
	requireFail(t, a.login("alice", "wrong password"), http.StatusUnauthorized, httpapi.CodeBadCredentials, "wrong username or password")

	v := a.do(req{method: http.MethodGet, path: strings.TrimPrefix(link, baseURL), header: map[string]string{"Accept": "text/html"}})
	require.Equal(t, http.StatusSeeOther, v.Code)
	require.Equal(t, "/login?verified=1", v.Header().Get("Location"))

	// By username, any case, and by address, any case.
	for _, name := range []string{"alice", "ALICE", "alice@example.com", " Alice@EXAMPLE.com "} {
		r := a.login(name, password)
		require.Equal(t, http.StatusOK, r.Code, name+": "+r.Body.String())
	}
	r = a.login("alice", password)
	require.Equal(t, 0, r.code())
	require.Equal(t, float64(userID), r.body["user_id"])
	require.Equal(t, float64(7*24*3600), r.body["expires_in"])
	token := r.str("access_token")
	require.Len(t, token, 43) // 32 bytes of base64url
	tc := r.cookie(httpapi.TokenCookie)
	require.NotNil(t, tc)
	require.Equal(t, token, tc.Value)
	require.True(t, tc.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, tc.SameSite)
	require.Equal(t, "/", tc.Path)
	require.Equal(t, 7*24*3600, tc.MaxAge)
	require.False(t, tc.Secure, "BASE_URL is http")
	uc := r.cookie(httpapi.UserCookie)
	require.NotNil(t, uc)
	require.Equal(t, strconv.FormatInt(userID, 10), uc.Value)

	wantMe := func(r res) {
		t.Helper()
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, float64(userID), r.body["user_id"])
		require.Equal(t, "alice", r.str("username"))
		require.Equal(t, "Alice@Example.com", r.str("email"))
		require.Equal(t, []any{}, r.body["accounts"])
	}
	wantMe(a.do(req{method: http.MethodGet, path: "/apis/user/me?access_token=" + url.QueryEscape(token)}))
	wantMe(a.do(req{method: http.MethodPost, path: "/apis/user/me", header: map[string]string{"Authorization": "Bearer " + token}}))
	wantMe(a.do(req{method: http.MethodGet, path: "/apis/user/me", cookies: []*http.Cookie{tc}}))

	out := a.do(req{path: "/apis/user/logout", header: map[string]string{"Authorization": "Bearer " + token}})
	require.Equal(t, http.StatusOK, out.Code, out.Body.String())
	require.Equal(t, 0, out.code())
	for _, name := range []string{httpapi.TokenCookie, httpapi.UserCookie} {
		c := out.cookie(name)
		require.NotNil(t, c, name)
		require.Negative(t, c.MaxAge, name)
	}
	requireFail(t, a.me(token), http.StatusUnauthorized, httpapi.CodeUnauthenticated, "access_token")
	requireFail(t, a.do(req{method: http.MethodGet, path: "/apis/user/me", cookies: []*http.Cookie{tc}}),
		http.StatusUnauthorized, httpapi.CodeUnauthenticated, "access_token")
	requireFail(t, a.do(req{method: http.MethodGet, path: "/apis/user/me"}), http.StatusUnauthorized, httpapi.CodeUnauthenticated, "access_token")

	// Secrets stay out of the log (the mail went by SMTP, not the log mailer).
	logs := e.logs.String()
	require.NotContains(t, logs, token)
	require.NotContains(t, logs, password)
	_, linkTok, _ := strings.Cut(link, "token=")
	require.NotContains(t, logs, linkTok)
	require.Contains(t, logs, "REDACTED") // the access log saw ?access_token= and ?token=
}

func TestRegisterConflictsAndValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	require.Equal(t, http.StatusOK, a.register("bob", "bob@example.com", "12345678").Code)
	tests := []struct {
		name, username, email, password string
		status, errcode                 int
		msg                             string
	}{
		{"same username, other case", "BOB", "bob2@example.com", "12345678", 409, httpapi.CodeConflict, "username:"},
		{"same email, other case", "bob2", "BOB@EXAMPLE.COM", "12345678", 409, httpapi.CodeConflict, "email:"},
		{"short username", "bo", "b3@example.com", "12345678", 400, httpapi.CodeInvalid, "username:"},
		{"bad username", "bob!", "b3@example.com", "12345678", 400, httpapi.CodeInvalid, "username:"},
		{"short password", "bob3", "b3@example.com", "1234567", 400, httpapi.CodeInvalid, "password:"},
		{"long password", "bob3", "b3@example.com", strings.Repeat("p", 129), 400, httpapi.CodeInvalid, "password:"},
		{"bad email", "bob3", "b3.example.com", "12345678", 400, httpapi.CodeInvalid, "email:"},
		{"missing email", "bob3", "", "12345678", 400, httpapi.CodeInvalid, "email:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireFail(t, a.register(tc.username, tc.email, tc.password), tc.status, tc.errcode, tc.msg)
		})
	}
	// A field of the wrong type names the field too.
	requireFail(t, a.post("/apis/user/register", map[string]any{"username": []int{1}, "password": "12345678", "email": "x@y.z"}),
		400, httpapi.CodeInvalid, "username:")
	requireFail(t, a.post("/apis/user/login", map[string]any{"password": "12345678"}), 400, httpapi.CodeInvalid, "username:")
	requireFail(t, a.post("/apis/user/login", map[string]any{"username": "bob"}), 400, httpapi.CodeInvalid, "password:")
	require.Equal(t, 1, e.mail.Count("bob@example.com"))
}

// TestBodyShapes: the same fields as JSON, JSON under the form type (the spec's way), form and multipart.
func TestBodyShapes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	a.verified("carol", "carol@example.com", "12345678")
	shapes := []req{
		{path: "/apis/user/login", json: map[string]string{"username": "carol", "password": "12345678"}},
		{path: "/apis/user/login", form: `{"username":"carol","password":"12345678"}`},
		{path: "/apis/user/login", form: "username=carol&password=12345678"},
		{path: "/apis/user/login", form: "--B\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\ncarol\r\n" +
			"--B\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n12345678\r\n--B--\r\n",
			contentType: "multipart/form-data; boundary=B"},
	}
	for i, q := range shapes {
		r := a.do(q)
		require.Equal(t, http.StatusOK, r.Code, "shape %d: %s", i, r.Body.String())
	}
	requireFail(t, a.do(req{path: "/apis/user/login", form: `{"username":`}), 400, httpapi.CodeInvalid, "body:")
}

func TestMeAccounts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	type account struct {
		AppID string `json:"appid"`
	}
	var gotUser int64
	b := e.newApp(user.HandlerOptions{Accounts: func(_ context.Context, id int64) (any, error) {
		gotUser = id
		return []account{{AppID: "wx1"}}, nil
	}})
	nilList := e.newApp(user.HandlerOptions{Accounts: func(context.Context, int64) (any, error) {
		var none []account
		return none, nil
	}})
	e.app.verified("dave", "dave@example.com", "12345678")
	tok := e.app.token("dave", "12345678")
	r := b.me(tok)
	require.Equal(t, http.StatusOK, r.Code)
	require.Equal(t, []any{map[string]any{"appid": "wx1"}}, r.body["accounts"])
	require.Equal(t, int64(r.body["user_id"].(float64)), gotUser)
	require.Equal(t, []any{}, nilList.me(tok).body["accounts"])
}

func TestLogoutFromBrowser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	a.verified("erin", "erin@example.com", "12345678")
	login := a.login("erin", "12345678")
	tok := login.str("access_token")
	cookies := []*http.Cookie{login.cookie(httpapi.TokenCookie), login.cookie(httpapi.UserCookie)}

	// Another site's form cannot log the operator out.
	cross := a.do(req{path: "/apis/user/logout", form: "x=1", cookies: cookies,
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Accept": "text/html"}})
	requireFail(t, cross, http.StatusForbidden, httpapi.CodeForbidden, "cross-origin")
	require.Equal(t, http.StatusOK, a.me(tok).Code)

	// The console's own form: 303 to / and both cookies gone.
	out := a.do(req{path: "/apis/user/logout", form: "x=1", cookies: cookies,
		header: map[string]string{"Sec-Fetch-Site": "same-origin", "Accept": "text/html,application/xhtml+xml"}})
	require.Equal(t, http.StatusSeeOther, out.Code)
	require.Equal(t, "/", out.Header().Get("Location"))
	require.Negative(t, out.cookie(httpapi.TokenCookie).MaxAge)
	require.Negative(t, out.cookie(httpapi.UserCookie).MaxAge)
	require.Equal(t, http.StatusUnauthorized, a.me(tok).Code)

	// A stale cookie still gets logged out without an error.
	again := a.do(req{path: "/apis/user/logout", form: "a=b", cookies: cookies,
		header: map[string]string{"Sec-Fetch-Site": "same-origin", "Accept": "text/html"}})
	require.Equal(t, http.StatusSeeOther, again.Code)

	// The spec's script style (JSON under the form type) is not a browser.
	tok = a.token("erin", "12345678")
	js := a.do(req{path: "/apis/user/logout?access_token=" + tok, form: `{}`})
	require.Equal(t, http.StatusOK, js.Code)
	require.Equal(t, 0, js.code())
	require.Equal(t, http.StatusUnauthorized, a.me(tok).Code)
}

func TestSecureCookiesWithHTTPSBaseURL(t *testing.T) {
	t.Parallel()
	svc := user.NewService(nil, nil, user.Options{BaseURL: "https://console.example.com/"})
	require.True(t, svc.SecureCookies())
	require.True(t, user.NewService(nil, nil, user.Options{BaseURL: "http://x", SecureCookies: true}).SecureCookies())
	require.False(t, user.NewService(nil, nil, user.Options{BaseURL: "http://x"}).SecureCookies())
}

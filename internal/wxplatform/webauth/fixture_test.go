package webauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/testenv"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/webauth"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

const consoleBase = "http://console.test"

// fixture is the shared WeChat fixture (the emulator consenting at once) with one operator whose account
// has three followers, the second of them logging in, and the JS domain shop.example.com; and the webauth
// routes on a clock the test moves.
type fixture struct {
	*wxtest.Env
	t      *testing.T
	acct   *accounts.Account
	clock  *testenv.Clock
	engine *gin.Engine
	users  []string // the emulator's followers of the account
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1, AutoConsent: true}, BaseURL: consoleBase,
		Unchecked: true})
	f := &fixture{Env: env, t: t, clock: testenv.NewClockAt(time.Now())}
	userID := env.Operator("op")
	ea := env.Emu.NewAccount("网页授权")
	f.users = env.Emu.AddFollowers(ea.AppID, 3)
	env.Bind(userID, ea)
	var err error
	f.acct, err = env.Accounts.SetJSDomains(context.Background(), userID, ea.AppID, []string{"shop.example.com"})
	require.NoError(t, err)
	env.Emu.SetOAuthUser(ea.AppID, f.users[1])

	svc := webauth.New(webauth.Options{DB: env.DB, Box: env.Box, WeChat: env.WX, Accounts: env.Accounts, BaseURL: consoleBase, Now: f.clock.Now})
	f.engine = wxtest.Router()
	webauth.NewHandler(svc).PublicRoutes(f.engine)
	return f
}

// get requests a console path (or a full console.test URL) with an Accept header.
func (f *fixture) get(target, accept string) *httptest.ResponseRecorder {
	f.t.Helper()
	target = strings.TrimPrefix(target, consoleBase)
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	f.engine.ServeHTTP(w, req)
	return w
}

// start opens /wxplatform/webauth and answers WeChat's authorize URL it redirects to.
func (f *fixture) start(scope, redirect string) string {
	f.t.Helper()
	q := url.Values{"appid": {f.acct.AppID}, "scope": {scope}}
	if redirect != "" {
		q.Set("redirect", redirect)
	}
	w := f.get("/wxplatform/webauth?"+q.Encode(), "text/html")
	require.Equal(f.t, http.StatusFound, w.Code, w.Body.String())
	return w.Header().Get("Location")
}

// wechat plays WeChat's browser on the authorize page: the emulator consents and redirects back to the
// console; the answer is that console URL (with code and state).
func (f *fixture) wechat(authorize string) string {
	f.t.Helper()
	authorize, _, _ = strings.Cut(authorize, "#") // the fragment never reaches a server
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authorize)
	require.NoError(f.t, err)
	_ = resp.Body.Close()
	require.Equal(f.t, http.StatusFound, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(f.t, strings.HasPrefix(loc, consoleBase+"/wxplatform/webauth?"), loc)
	return loc
}

// withQuery answers u with one query parameter replaced.
func withQuery(t *testing.T, u, key, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	require.NoError(t, err)
	q := p.Query()
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	p.RawQuery = q.Encode()
	return p.String()
}

func queryOf(t *testing.T, u, key string) string {
	t.Helper()
	p, err := url.Parse(u)
	require.NoError(t, err)
	return p.Query().Get(key)
}

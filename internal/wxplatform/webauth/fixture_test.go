package webauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/webauth"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

const consoleBase = "http://console.test"

type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

type fixture struct {
	t      *testing.T
	db     *gorm.DB
	box    *secretbox.Box
	emu    *wxemu.Emulator
	emuURL string
	acct   *accounts.Account
	accts  *accounts.Service
	clock  *clock
	engine *gin.Engine
	users  []string // the emulator's followers of the account
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, db: dbtest.New(t), clock: &clock{}}
	var err error
	f.box, err = secretbox.New(bytes.Repeat([]byte{5}, 32))
	require.NoError(t, err)
	f.emu = wxemu.New(wxemu.Options{DemoFollowers: -1, AutoConsent: true})
	srv := httptest.NewServer(f.emu.Handler())
	t.Cleanup(srv.Close)
	f.emuURL = srv.URL
	f.accts = accounts.NewService(f.db, f.box, accounts.Options{BaseURL: consoleBase})
	src := &wxclient.AccountSecrets{Accounts: f.accts}
	wx := wxclient.New(wxclient.Options{APIBase: srv.URL, OpenBase: srv.URL, MPBase: srv.URL, DB: f.db, Box: f.box,
		Credentials: src, RetryBackoff: time.Millisecond})
	var userID int64
	require.NoError(t, f.db.Raw(`INSERT INTO users (username, email, password_hash) VALUES ('op', 'op@example.com', 'x') RETURNING id`).Scan(&userID).Error)
	ea := f.emu.NewAccount("网页授权")
	f.users = f.emu.AddFollowers(ea.AppID, 3)
	ctx := context.Background()
	_, err = f.accts.Bind(ctx, userID, accounts.BindInput{AppID: ea.AppID, Secret: ea.Secret, Token: ea.Token})
	require.NoError(t, err)
	f.acct, err = f.accts.SetJSDomains(ctx, userID, ea.AppID, []string{"shop.example.com"})
	require.NoError(t, err)
	f.emu.SetOAuthUser(ea.AppID, f.users[1])

	svc := webauth.New(webauth.Options{DB: f.db, Box: f.box, WeChat: wx, Accounts: f.accts, BaseURL: consoleBase, Now: f.clock.now})
	gin.SetMode(gin.TestMode)
	f.engine = gin.New()
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

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out), w.Body.String())
	return out
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

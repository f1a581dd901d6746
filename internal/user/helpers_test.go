package user_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/mail"
	"github.com/socialinzen/socialinzen/internal/mail/mailtest"
	"github.com/socialinzen/socialinzen/internal/testenv"
	"github.com/socialinzen/socialinzen/internal/user"
)

const baseURL = "http://console.test"

// env is one database and mail server, and any number of console "processes" (service + router) on them.
type env struct {
	t     *testing.T
	db    *gorm.DB
	mail  *mailtest.Server
	clock *testenv.Clock
	logs  *testenv.LogBuffer
	app   *app // the first process
}

type app struct {
	env    *env
	svc    *user.Service
	engine *gin.Engine
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{
		t:     t,
		db:    dbtest.New(t),
		mail:  mailtest.Start(t),
		clock: testenv.NewClockAt(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)),
		logs:  &testenv.LogBuffer{},
	}
	e.app = e.newApp(user.HandlerOptions{})
	return e
}

// newApp starts another console process on the same database, mail server and clock.
func (e *env) newApp(opts user.HandlerOptions) *app {
	e.t.Helper()
	sender, err := mail.NewSMTP(e.mail.URL(), "socialinzen <no-reply@localhost>")
	require.NoError(e.t, err)
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := user.NewService(e.db, sender, user.Options{BaseURL: baseURL, Now: e.clock.Now, Logger: log})
	user.SetPasswordCost(svc, 4)
	// Not t.Context(): it is already cancelled when cleanups run.
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = svc.Shutdown(ctx)
	})
	if opts.CrossOrigin == nil {
		opts.CrossOrigin = http.NewCrossOriginProtection()
	}
	engine := httpapi.NewEngine(log)
	user.Routes(engine, user.NewHandler(svc, opts))
	return &app{env: e, svc: svc, engine: engine}
}

// req is one HTTP request to a router.
type req struct {
	method, path string
	json         any    // marshalled as the body, Content-Type application/json
	form         string // raw urlencoded body
	contentType  string // overrides the Content-Type
	header       map[string]string
	remote       string // client address; 192.0.2.1 when empty
	cookies      []*http.Cookie
}

// res is an answer, with its JSON body decoded when there is one.
type res struct {
	*httptest.ResponseRecorder
	body map[string]any
}

func (r res) code() int {
	n, _ := r.body["errcode"].(float64)
	return int(n)
}

func (r res) str(key string) string { s, _ := r.body[key].(string); return s }

func (r res) cookie(name string) *http.Cookie {
	for _, c := range r.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (a *app) do(q req) res {
	a.env.t.Helper()
	var body io.Reader
	ct := q.contentType
	switch {
	case q.json != nil:
		b, err := json.Marshal(q.json)
		require.NoError(a.env.t, err)
		body = bytes.NewReader(b)
		if ct == "" {
			ct = "application/json"
		}
	case q.form != "":
		body = strings.NewReader(q.form)
		if ct == "" {
			ct = "application/x-www-form-urlencoded"
		}
	}
	if q.method == "" {
		q.method = http.MethodPost
	}
	r := httptest.NewRequest(q.method, q.path, body)
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	for _, c := range q.cookies {
		r.AddCookie(c)
	}
	r.RemoteAddr = "192.0.2.1:40000"
	if q.remote != "" {
		r.RemoteAddr = q.remote + ":40000"
	}
	w := httptest.NewRecorder()
	a.engine.ServeHTTP(w, r)
	out := res{ResponseRecorder: w}
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		require.NoError(a.env.t, json.Unmarshal(w.Body.Bytes(), &out.body), w.Body.String())
	}
	return out
}

// post sends a JSON body.
func (a *app) post(path string, body any) res {
	a.env.t.Helper()
	return a.do(req{path: path, json: body})
}

func (a *app) register(name, email, password string) res {
	a.env.t.Helper()
	return a.post("/apis/user/register", map[string]any{"username": name, "password": password, "email": email})
}

func (a *app) login(name, password string) res {
	a.env.t.Helper()
	return a.post("/apis/user/login", map[string]any{"username": name, "password": password})
}

// linkToken waits for the next mail to the address and answers the token of its link under prefix.
func (e *env) linkToken(to, prefix string) (link, token string) {
	e.t.Helper()
	m := e.mail.Wait(e.t, to, 10*time.Second)
	link = m.Link(baseURL + prefix)
	require.NotEmpty(e.t, link, "mail to %s has no link %s: %s", to, prefix, m.Text)
	u, err := url.Parse(link)
	require.NoError(e.t, err)
	return link, u.Query().Get("token")
}

// verified registers an operator and follows the verification link.
func (a *app) verified(name, email, password string) {
	a.env.t.Helper()
	r := a.register(name, email, password)
	require.Equal(a.env.t, http.StatusOK, r.Code, r.Body.String())
	link, _ := a.env.linkToken(email, "/apis/user/verify?")
	v := a.do(req{method: http.MethodGet, path: strings.TrimPrefix(link, baseURL)})
	require.Equal(a.env.t, http.StatusSeeOther, v.Code)
	require.Equal(a.env.t, "/login?verified=1", v.Header().Get("Location"))
}

// token logs in and answers the access token.
func (a *app) token(name, password string) string {
	a.env.t.Helper()
	r := a.login(name, password)
	require.Equal(a.env.t, http.StatusOK, r.Code, r.Body.String()+"\n"+a.env.logs.String())
	return r.str("access_token")
}

func (a *app) me(token string) res {
	a.env.t.Helper()
	return a.do(req{method: http.MethodGet, path: "/apis/user/me", header: map[string]string{"Authorization": "Bearer " + token}})
}

// requireFail checks a failure answer of the contract: status, errcode, and a msg naming the field.
func requireFail(t *testing.T, r res, status, errcode int, msgPrefix string) {
	t.Helper()
	require.Equal(t, status, r.Code, r.Body.String())
	require.Equal(t, errcode, r.code(), r.Body.String())
	require.True(t, strings.HasPrefix(r.str("msg"), msgPrefix), "msg %q should start with %q", r.str("msg"), msgPrefix)
}

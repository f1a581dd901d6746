package teams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
	"github.com/socialinzen/socialinzen/internal/mail"
	"github.com/socialinzen/socialinzen/internal/user"
)

// env is a running console (sandbox: the demo operator owns the demo account) and a way to add operators.
type env struct {
	t     *testing.T
	con   *apptest.Console
	users *user.Service
	appid string
	owner operator
}

type operator struct {
	ID    int64
	Name  string
	Email string
	Token string
}

func start(t *testing.T) *env {
	t.Helper()
	con := apptest.Start(t, apptest.Options{})
	e := &env{t: t, con: con, appid: con.Emulator().Demo().AppID,
		users: user.NewService(con.App.DB(), mail.NewLog(slog.New(slog.NewTextHandler(io.Discard, nil))), user.Options{BaseURL: con.URL})}
	e.owner = e.login("demo", "demo-password")
	e.owner.Name, e.owner.Email = "demo", "demo@example.com"
	return e
}

func (e *env) login(name, password string) operator {
	e.t.Helper()
	code, out := e.call("", "/apis/user/login", map[string]any{"username": name, "password": password})
	require.Equal(e.t, 200, code, "%v", out)
	return operator{ID: int64(out["user_id"].(float64)), Name: name, Token: out["access_token"].(string)}
}

// operator makes a verified operator and logs in.
func (e *env) operator(name string) operator {
	e.t.Helper()
	email := name + "@example.com"
	_, err := e.users.EnsureUser(context.Background(), user.Registration{Username: name, Password: "password-" + name, Email: email})
	require.NoError(e.t, err)
	o := e.login(name, "password-"+name)
	o.Email = email
	return o
}

// setRole makes o a member of the demo account with role (straight in the database: the walk's fixture).
func (e *env) setRole(o operator, role string) {
	e.t.Helper()
	require.NoError(e.t, e.con.App.DB().Exec(`INSERT INTO account_members (account_id, user_id, role)
SELECT id, ?, ? FROM wx_accounts WHERE appid = ?
ON CONFLICT (account_id, user_id) DO UPDATE SET role = EXCLUDED.role`, o.ID, role, e.appid).Error)
}

// call posts body as JSON with token as bearer; it answers the status and the decoded object (an array
// answer is under "array").
func (e *env) call(token, path string, body any) (int, map[string]any) {
	e.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(e.t, err)
	req, err := http.NewRequest(http.MethodPost, e.con.URL+path, bytes.NewReader(b))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (int, map[string]any) {
	e.t.Helper()
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := map[string]any{}
	if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
		out["array"] = json.RawMessage(raw)
	} else if json.Unmarshal(raw, &out) != nil {
		out["raw"] = string(raw)
	}
	return res.StatusCode, out
}

func (e *env) get(token, pathAndQuery string) (int, map[string]any) {
	e.t.Helper()
	u := e.con.URL + pathAndQuery
	if token != "" {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		u += sep + "access_token=" + url.QueryEscape(token)
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(e.t, err)
	return e.do(req)
}

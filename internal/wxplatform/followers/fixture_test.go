package followers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// fixture is a console around the followers capability: a fresh database, the WeChat emulator served
// over HTTP, the real WeChat client, one operator with one bound account, and the API routes.
type fixture struct {
	t       testing.TB
	db      *gorm.DB
	emu     *wxemu.Emulator
	wx      *wxclient.Client
	svc     *followers.Service
	acct    *accounts.Account
	accts   *accounts.Service
	userID  int64
	handler http.Handler
}

type tokenAuth struct{ userID int64 }

func (a tokenAuth) Authenticate(_ context.Context, tok string) (httpapi.Principal, error) {
	if tok != "test-token" {
		return httpapi.Principal{}, apperr.New(apperr.Unauthenticated, "invalid access_token")
	}
	return httpapi.Principal{UserID: a.userID, Username: "op"}, nil
}

func newFixture(t testing.TB, followerCount int, opts followers.Options) *fixture {
	t.Helper()
	gdb := dbtest.New(t)
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	emu := wxemu.New(wxemu.Options{DemoFollowers: -1, MaxRequests: 200000})
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)

	src := &wxclient.AccountSecrets{}
	wx := wxclient.New(wxclient.Options{APIBase: srv.URL, OpenBase: srv.URL, MPBase: srv.URL, DB: gdb, Box: box,
		Credentials: src, RetryBackoff: time.Millisecond})
	accts := accounts.NewService(gdb, box, accounts.Options{BaseURL: "http://console.test", Checker: wx})
	src.Accounts = accts

	var userID int64
	require.NoError(t, gdb.Raw(`INSERT INTO users (username, email, password_hash, verified_at)
		VALUES ('op', 'op@example.com', 'x', now()) RETURNING id`).Scan(&userID).Error)
	ea := emu.NewAccount("测试号")
	if followerCount > 0 {
		emu.AddFollowers(ea.AppID, followerCount)
	}
	acct, err := accts.Bind(context.Background(), userID, accounts.BindInput{AppID: ea.AppID, Secret: ea.Secret,
		Token: ea.Token, EncodingAESKey: ea.EncodingAESKey, Name: ea.Name})
	require.NoError(t, err)

	opts.WeChat = wx
	if opts.Lease == 0 {
		opts.Lease = 3 * time.Second
	}
	svc := followers.NewService(gdb, opts)
	t.Cleanup(svc.Close)

	gin.SetMode(gin.TestMode)
	e := gin.New()
	g := e.Group("/apis/wxplatform", httpapi.LimitBody(httpapi.MaxBodyBytes),
		httpapi.RequireAuth(tokenAuth{userID}, nil), accounts.Scope(accts))
	followers.NewHandler(svc).Routes(httpapi.Group{IRouter: g})
	return &fixture{t: t, db: gdb, emu: emu, wx: wx, svc: svc, acct: acct, accts: accts, userID: userID, handler: e}
}

// call POSTs body (JSON text, or url.Values as a form) to /apis/wxplatform/<path> and answers the status
// and the decoded JSON answer.
func (f *fixture) call(path string, body any) (int, map[string]any) {
	f.t.Helper()
	status, raw := f.raw(path, body)
	var out map[string]any
	require.NoError(f.t, json.Unmarshal(raw, &out), "answer: %s", raw)
	return status, out
}

// callArray is call for endpoints that answer a bare array.
func (f *fixture) callArray(path string, body any) (int, []map[string]any, map[string]any) {
	f.t.Helper()
	status, raw := f.raw(path, body)
	if len(raw) > 0 && raw[0] == '[' {
		var out []map[string]any
		require.NoError(f.t, json.Unmarshal(raw, &out))
		return status, out, nil
	}
	var obj map[string]any
	require.NoError(f.t, json.Unmarshal(raw, &obj), "answer: %s", raw)
	return status, nil, obj
}

func (f *fixture) raw(path string, body any) (int, []byte) {
	f.t.Helper()
	var rd io.Reader
	ct := "application/x-www-form-urlencoded" // as the spec sends JSON
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case url.Values:
		rd = strings.NewReader(b.Encode())
	default:
		data, err := json.Marshal(b)
		require.NoError(f.t, err)
		rd = bytes.NewReader(data)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	req := httptest.NewRequest(http.MethodPost, "/apis/wxplatform/"+path+sep+"access_token=test-token", rd)
	req.Header.Set("Content-Type", ct)
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// requireFail checks an answer is the contract's failure with errcode and a message naming field.
func requireFail(t testing.TB, status int, out map[string]any, wantStatus, errcode int, field string) {
	t.Helper()
	require.Equal(t, wantStatus, status, "answer: %v", out)
	require.EqualValues(t, errcode, out["errcode"], "answer: %v", out)
	if field != "" {
		require.Contains(t, out["msg"], field, "answer: %v", out)
	}
}

// emuFollowers answers the emulator's subscribed followers of the fixture's account, in order.
func (f *fixture) emuFollowers() []wxemu.Follower {
	var out []wxemu.Follower
	for _, fl := range f.emu.Followers(f.acct.AppID) {
		if fl.Subscribed {
			out = append(out, fl)
		}
	}
	return out
}

// waitSync waits for the account's sync to leave the running state.
func (f *fixture) waitSync(timeout time.Duration) followers.SyncStatus {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := f.svc.SyncStatus(context.Background(), f.acct)
		require.NoError(f.t, err)
		if st.State != followers.StateRunning {
			return st
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("sync still running after %s: %+v", timeout, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// requests answers how many requests the emulator received at path.
func (f *fixture) requests(path string) []wxemu.Request {
	var out []wxemu.Request
	for _, r := range f.emu.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

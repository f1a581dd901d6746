package followers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/jobs/jobstest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// fixture is a console around the followers capability: the shared WeChat fixture (a fresh database, the
// WeChat emulator served over HTTP, the real WeChat client), one operator with one bound account, and the
// API routes.
type fixture struct {
	*wxtest.Env
	t       testing.TB
	svc     *followers.Service
	queue   *jobs.Queue // svc's queue
	acct    *accounts.Account
	userID  int64
	handler http.Handler
}

func newFixture(t testing.TB, followerCount int, opts followers.Options) *fixture {
	t.Helper()
	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1, MaxRequests: 200000}})
	f := &fixture{Env: env, t: t, userID: env.Operator("op")}
	ea := env.Emu.NewAccount("测试号")
	if followerCount > 0 {
		env.Emu.AddFollowers(ea.AppID, followerCount)
	}
	f.acct = env.Bind(f.userID, ea)

	opts.WeChat = env.WX
	if opts.Lease == 0 {
		opts.Lease = 3 * time.Second
	}
	f.svc, f.queue = f.processWithQueue(opts)

	env.Tokens.Give("test-token", httpapi.Principal{UserID: f.userID, Username: "op"})
	r := wxtest.Router()
	followers.NewHandler(f.svc).Routes(env.APIGroup(r, "/apis/wxplatform", env.Tokens.RequireAuth()))
	f.handler = r
	return f
}

// process starts a followers service on the fixture's database with a job queue of its own, as one console
// process would. The queue stops when the test ends, after the service closed.
func (f *fixture) process(opts followers.Options) *followers.Service {
	f.t.Helper()
	svc, _ := f.processWithQueue(opts)
	return svc
}

func (f *fixture) processWithQueue(opts followers.Options) (*followers.Service, *jobs.Queue) {
	f.t.Helper()
	q := jobstest.New(f.t, f.DB, f.DBURL)
	opts.WeChat, opts.Jobs = f.WX, q
	svc := followers.NewService(f.DB, opts)
	f.t.Cleanup(svc.Close)
	require.NoError(f.t, q.Start(context.Background()))
	return svc, q
}

// call POSTs body (JSON text, or url.Values as a form) to /apis/wxplatform/<path> and answers the status
// and the decoded JSON answer.
func (f *fixture) call(path string, body any) (int, map[string]any) {
	f.t.Helper()
	w := f.serve(path, body)
	return w.Code, wxtest.Decode(f.t, w)
}

// callArray is call for endpoints that answer a bare array.
func (f *fixture) callArray(path string, body any) (int, []map[string]any, map[string]any) {
	f.t.Helper()
	w := f.serve(path, body)
	if raw := w.Body.Bytes(); len(raw) > 0 && raw[0] == '[' {
		var out []map[string]any
		require.NoError(f.t, json.Unmarshal(raw, &out))
		return w.Code, out, nil
	}
	return w.Code, nil, wxtest.Decode(f.t, w)
}

func (f *fixture) serve(path string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	return wxtest.Serve(f.t, f.handler, wxtest.Request{Target: "/apis/wxplatform/" + path, Token: "test-token", Body: body})
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
	for _, fl := range f.Emu.Followers(f.acct.AppID) {
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

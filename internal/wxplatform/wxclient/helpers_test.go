package wxclient

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/testenv"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// testEnv is the emulator over real HTTP, a fresh migrated database and what the clients share.
type testEnv struct {
	t     testing.TB
	clock *testenv.Clock
	emu   *wxemu.Emulator
	srv   *httptest.Server
	demo  wxemu.Account
	db    *gorm.DB
	dbURL string
	box   *secretbox.Box
	logs  *testenv.LogBuffer

	mu      sync.Mutex
	secrets map[string]string // appid -> AppSecret, what the accounts service would answer
}

// sharedDB is one migrated database for the subtests of a test: creating one takes seconds, and the
// subtests do not meet there, each using the accounts of its own emulator (random appids).
type sharedDB struct {
	db  *gorm.DB
	url string
}

func newSharedDB(t testing.TB) *sharedDB {
	t.Helper()
	gdb, u := dbtest.NewWithURL(t)
	return &sharedDB{db: gdb, url: u}
}

// newTestEnv is an environment with a database of its own.
func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	return newSharedDB(t).env(t)
}

// env is a fresh emulator (clock, faults, accounts) over real HTTP, on the shared database.
func (d *sharedDB) env(t testing.TB) *testEnv {
	t.Helper()
	clk := testenv.NewClock()
	emu := wxemu.New(wxemu.Options{Now: clk.Now, DemoFollowers: 3, AutoConsent: true})
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	box, err := secretbox.New(bytes.Repeat([]byte("k"), 32))
	require.NoError(t, err)
	e := &testEnv{t: t, clock: clk, emu: emu, srv: srv, demo: emu.Demo(), db: d.db, dbURL: d.url, box: box,
		logs: &testenv.LogBuffer{}, secrets: map[string]string{}}
	e.secrets[e.demo.AppID] = e.demo.Secret
	return e
}

// credentials is the CredentialSource of the test: the secrets of the accounts the test "bound".
func (e *testEnv) credentials() CredentialSource {
	return CredentialFunc(func(_ context.Context, appid string) (string, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		s, ok := e.secrets[appid]
		if !ok {
			return "", apperr.New(apperr.NotFound, "official account not found")
		}
		return s, nil
	})
}

func (e *testEnv) options(gdb *gorm.DB) Options {
	return Options{
		APIBase:      e.srv.URL,
		OpenBase:     e.srv.URL,
		MPBase:       e.srv.URL,
		Timeout:      2 * time.Second,
		RetryBackoff: time.Millisecond,
		DB:           gdb,
		Box:          e.box,
		Credentials:  e.credentials(),
		Logger:       slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:          e.clock.Now,
	}
}

// client is a client on the test's own pool.
func (e *testEnv) client(mod ...func(*Options)) *Client {
	o := e.options(e.db)
	for _, m := range mod {
		m(&o)
	}
	return New(o)
}

// process is a client with a pool of its own on the same database, as another console process has.
func (e *testEnv) process(mod ...func(*Options)) *Client {
	e.t.Helper()
	gdb, err := db.Open(context.Background(), e.dbURL, db.Options{MaxOpenConns: 5})
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = db.Close(gdb) })
	o := e.options(gdb)
	for _, m := range mod {
		m(&o)
	}
	return New(o)
}

// requests answers what the emulator received at path, oldest first.
func (e *testEnv) requests(path string) []wxemu.Request {
	var out []wxemu.Request
	for _, r := range e.emu.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// last answers the latest request the emulator received at path.
func (e *testEnv) last(path string) wxemu.Request {
	e.t.Helper()
	rs := e.requests(path)
	require.NotEmpty(e.t, rs, "no request reached %s", path)
	return rs[len(rs)-1]
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Package wxtest is the fixture the tests of the WeChat capabilities share: a fresh migrated database, a
// secretbox, the WeChat emulator served over HTTP, the real WeChat client reading the bound accounts'
// AppSecrets, and the accounts service, wired as the console wires them; operators with bound accounts to
// act as; and small helpers to call a gin router as an operator (see http.go).
//
// It is for tests only: no package of the console imports it. It imports none of the capability packages
// (followers, menu, qrcode, …), so each of them can build its own fixture on it without a cycle. The
// packages it does import (wxclient, wxemu, accounts) cannot use it in their in-package tests.
//
//	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1}})
//	op := env.Operator("op")
//	acct := env.Bind(op, env.Emu.NewAccount("测试号"))
//	env.Tokens.Give("test-token", httpapi.Principal{UserID: op})
//	r := wxtest.Router()
//	menu.NewHandler(svc).Routes(env.APIGroup(r, "/apis/wxplatform", env.Tokens.RequireAuth()))
package wxtest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// BaseURL is the console's public URL in tests, unless Options.BaseURL says otherwise.
const BaseURL = "http://console.test"

// Options shape an Env. The zero value is an emulator with its demo account and 200 followers, and an
// accounts service that checks credentials at the emulator.
type Options struct {
	// Emulator is passed to wxemu.New as is: DemoFollowers -1 for an emulator whose demo account has no
	// followers, AutoConsent for OAuth tests, MaxRequests for tests that make many calls.
	Emulator wxemu.Options
	// BaseURL is the console's public URL the accounts service builds callback URLs on (BaseURL when
	// empty).
	BaseURL string
	// Logger is given to the WeChat client and the accounts service; nil leaves them their default.
	Logger *slog.Logger
	// Unchecked binds accounts without proving their credentials (no accounts.Options.Checker): binding
	// then makes no request to the emulator, and the account need not exist there.
	Unchecked bool
}

// Env is one console's WeChat side under test. Everything it starts is stopped, and its database dropped,
// when the test ends.
type Env struct {
	DB       *gorm.DB
	DBURL    string // the database's URL, for tests that open more pools or processes on it
	Box      *secretbox.Box
	Emu      *wxemu.Emulator
	EmuURL   string // where the emulator is served: the client's API, open and mp base
	WX       *wxclient.Client
	Accounts *accounts.Service
	// Tokens is the access tokens the test gave out, for httpapi.RequireAuth (see Tokens.RequireAuth).
	Tokens Tokens

	t   testing.TB
	log *slog.Logger
}

// key seals the test database's secrets; any 32 bytes do.
var key = bytes.Repeat([]byte{7}, 32)

// New builds an Env for t: a migrated database of its own, the emulator on an httptest server, the client
// with RetryBackoff of 1 ms, and the accounts service with the client as its Checker (unless
// Options.Unchecked), HealthReader and Forgetter.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	e := &Env{t: t, log: opts.Logger}
	e.DB, e.DBURL = dbtest.NewWithURL(t)
	var err error
	e.Box, err = secretbox.New(key)
	require.NoError(t, err)

	e.Emu = wxemu.New(opts.Emulator)
	srv := httptest.NewServer(e.Emu.Handler())
	t.Cleanup(srv.Close)
	e.EmuURL = srv.URL

	e.WX = e.Client()
	ao := accounts.Options{BaseURL: opts.BaseURL, Checker: e.WX, Health: e.WX, Forget: e.WX, Logger: opts.Logger}
	if ao.BaseURL == "" {
		ao.BaseURL = BaseURL
	}
	if opts.Unchecked {
		ao.Checker = nil
	}
	e.Accounts = accounts.NewService(e.DB, e.Box, ao)
	return e
}

// Client answers another WeChat client on the Env's database, emulator and bound accounts, as another
// console process has: it shares the stored tokens with WX, not its in-memory cache.
func (e *Env) Client() *wxclient.Client {
	return wxclient.New(wxclient.Options{APIBase: e.EmuURL, OpenBase: e.EmuURL, MPBase: e.EmuURL, DB: e.DB, Box: e.Box,
		Credentials: wxclient.CredentialFunc(e.secret), Logger: e.log, RetryBackoff: time.Millisecond})
}

// secret is the clients' CredentialSource: the AppSecret of an account bound in the Env.
func (e *Env) secret(ctx context.Context, appid string) (string, error) {
	a, err := e.Accounts.ByAppID(ctx, appid)
	if err != nil {
		return "", err
	}
	return a.Secret, nil
}

// Operator inserts a verified operator (a users row) named name, with the address name@example.com, and
// answers their id.
func (e *Env) Operator(name string) int64 {
	e.t.Helper()
	return Operator(e.t, e.DB, name)
}

// Operator is Env.Operator on any database, for tests without an Env.
func Operator(t testing.TB, db *gorm.DB, name string) int64 {
	t.Helper()
	var id int64
	require.NoError(t, db.Raw(`INSERT INTO users (username, email, password_hash, verified_at)
		VALUES (?, ?, 'x', now()) RETURNING id`, name, name+"@example.com").Scan(&id).Error)
	return id
}

// Bind binds the emulator's account a to the operator userID with all its credentials and its name, as
// the authorize form does, and answers the bound account.
func (e *Env) Bind(userID int64, a wxemu.Account) *accounts.Account {
	e.t.Helper()
	acct, err := e.Accounts.Bind(context.Background(), userID, accounts.BindInput{AppID: a.AppID, Secret: a.Secret,
		Token: a.Token, EncodingAESKey: a.EncodingAESKey, Name: a.Name})
	require.NoError(e.t, err)
	return acct
}

// Requests answers the requests the emulator received at path, oldest first.
func (e *Env) Requests(path string) []wxemu.Request {
	var out []wxemu.Request
	for _, r := range e.Emu.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

package accounts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

type fixture struct {
	db     *gorm.DB
	dbURL  string
	emu    *wxemu.Emulator
	svc    *accounts.Service
	router *gin.Engine
	users  [2]int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	gdb, u := dbtest.NewWithURL(t)
	emu := wxemu.New(wxemu.Options{AutoConsent: true})
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	secrets := &wxclient.AccountSecrets{}
	wx := wxclient.New(wxclient.Options{APIBase: srv.URL, OpenBase: srv.URL, MPBase: srv.URL, DB: gdb, Box: box, Credentials: secrets})
	svc := accounts.NewService(gdb, box, accounts.Options{BaseURL: "https://console.test", Checker: wx, Health: wx, Forget: wx})
	secrets.Accounts = svc
	f := &fixture{db: gdb, dbURL: u, emu: emu, svc: svc}
	for i := range f.users {
		require.NoError(t, gdb.Raw(`INSERT INTO users (username, email, password_hash, verified_at) VALUES (?, ?, 'x', now()) RETURNING id`,
			"op"+string(rune('a'+i)), "op"+string(rune('a'+i))+"@example.com").Scan(&f.users[i]).Error)
	}
	e := httpapi.NewEngine(nil)
	auth := func(c *gin.Context) {
		var id int64
		if c.GetHeader("X-User") == "1" {
			id = f.users[1]
		} else {
			id = f.users[0]
		}
		c.Set("httpapi.principal", httpapi.Principal{UserID: id})
	}
	(&accounts.Handler{Service: svc}).Routes(httpapi.Group{IRouter: e.Group("/apis/wxplatform", auth)})
	f.router = e
	return f
}

func (f *fixture) post(t *testing.T, path string, body any, user int) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // the spec's way: JSON under a form type
	if user == 1 {
		req.Header.Set("X-User", "1")
	}
	rec := httptest.NewRecorder()
	f.router.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func bindBody(a wxemu.Account) map[string]any {
	return map[string]any{"appid": a.AppID, "secret": a.Secret, "token": a.Token, "encodingAESKey": a.EncodingAESKey, "name": "Demo"}
}

func TestAuthorizeBindsAndAnswersTheCallbackURL(t *testing.T) {
	f := newFixture(t)
	demo := f.emu.Demo()
	code, out := f.post(t, "/apis/wxplatform/authorize", bindBody(demo), 0)
	require.Equal(t, 200, code, "%v", out)
	require.Equal(t, "https://console.test/wxplatform/callback/"+demo.AppID, out["callbackUrl"])

	code, out = f.post(t, "/apis/wxplatform/account", nil, 0)
	require.Equal(t, 200, code)
	raw, _ := json.Marshal(out)
	require.NotContains(t, string(raw), demo.Secret, "the AppSecret never leaves the server")
	require.NotContains(t, string(raw), demo.EncodingAESKey)
	list := out["accounts"].([]any)
	require.Len(t, list, 1)
	acct := list[0].(map[string]any)
	require.Equal(t, demo.AppID, acct["appid"])
	require.NotEmpty(t, acct["msdkKey"])
	tok := acct["token"].(map[string]any)
	require.EqualValues(t, 1, tok["refreshes"], "binding fetched one token and kept it")
	require.Equal(t, 1, f.emu.TokenRequests(demo.AppID))
}

func TestAuthorizeWithAWrongSecretAnswersWeChatsCode(t *testing.T) {
	f := newFixture(t)
	body := bindBody(f.emu.Demo())
	body["secret"] = strings.Repeat("0", 32)
	code, out := f.post(t, "/apis/wxplatform/authorize", body, 0)
	require.Equal(t, http.StatusBadGateway, code)
	require.EqualValues(t, 50200, out["errcode"])
	require.EqualValues(t, 40125, out["wxErrcode"])
	require.NotEmpty(t, out["wxErrmsg"])
	var n int
	require.NoError(t, f.db.Raw(`SELECT count(*) FROM wx_accounts`).Scan(&n).Error)
	require.Zero(t, n, "nothing is stored for credentials WeChat refused")
}

func TestAuthorizeValidatesEachField(t *testing.T) {
	f := newFixture(t)
	demo := f.emu.Demo()
	cases := []struct {
		name, field string
		mutate      func(map[string]any)
	}{
		{"no appid", "appid", func(b map[string]any) { delete(b, "appid") }},
		{"bad appid", "appid", func(b map[string]any) { b["appid"] = "nope" }},
		{"no secret", "secret", func(b map[string]any) { b["secret"] = "" }},
		{"no token", "token", func(b map[string]any) { delete(b, "token") }},
		{"token with symbols", "token", func(b map[string]any) { b["token"] = "a b!" }},
		{"short aes key", "encodingAESKey", func(b map[string]any) { b["encodingAESKey"] = "abc" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := bindBody(demo)
			tc.mutate(b)
			code, out := f.post(t, "/apis/wxplatform/authorize", b, 0)
			require.Equal(t, 400, code)
			require.EqualValues(t, 40000, out["errcode"])
			require.Contains(t, out["msg"], tc.field)
		})
	}
	require.Zero(t, f.emu.TokenRequests(demo.AppID), "invalid input never reaches WeChat")
}

func TestAccountsAreTheirOwners(t *testing.T) {
	f := newFixture(t)
	demo := f.emu.Demo()
	code, _ := f.post(t, "/apis/wxplatform/authorize", bindBody(demo), 0)
	require.Equal(t, 200, code)
	ctx := context.Background()

	_, err := f.svc.Resolve(ctx, f.users[1], "")
	require.ErrorIs(t, err, accounts.ErrNoAccount)
	_, err = f.svc.Resolve(ctx, f.users[1], demo.AppID)
	require.ErrorIs(t, err, accounts.ErrNotYours)
	a, err := f.svc.Resolve(ctx, f.users[0], "")
	require.NoError(t, err)
	require.Equal(t, demo.AppID, a.AppID)

	code, out := f.post(t, "/apis/wxplatform/authorize", bindBody(demo), 1)
	require.Equal(t, 409, code, "%v", out)
	code, out = f.post(t, "/apis/wxplatform/unauthorize", map[string]any{"appid": demo.AppID}, 1)
	require.Equal(t, 403, code)
	require.EqualValues(t, 40300, out["errcode"])
	code, _ = f.post(t, "/apis/wxplatform/rotateMsdkKey", map[string]any{"appid": demo.AppID}, 1)
	require.Equal(t, 403, code)

	code, _ = f.post(t, "/apis/wxplatform/unauthorize", map[string]any{"appid": demo.AppID}, 0)
	require.Equal(t, 200, code)
	_, err = f.svc.Resolve(ctx, f.users[0], "")
	require.ErrorIs(t, err, accounts.ErrNoAccount)
}

func TestJSDomainsAndMsdkKey(t *testing.T) {
	f := newFixture(t)
	demo := f.emu.Demo()
	_, out := f.post(t, "/apis/wxplatform/authorize", bindBody(demo), 0)
	first := out["msdkKey"]
	code, out := f.post(t, "/apis/wxplatform/setJsDomains", map[string]any{"jsDomains": []string{"https://Shop.Example.com/", "m.example.com:8443"}}, 0)
	require.Equal(t, 200, code, "%v", out)
	require.Equal(t, []any{"shop.example.com", "m.example.com:8443"}, out["jsDomains"])
	code, out = f.post(t, "/apis/wxplatform/setJsDomains", map[string]any{"jsDomains": "bad domain!"}, 0)
	require.Equal(t, 400, code)
	require.Contains(t, out["msg"], "jsDomains")
	code, out = f.post(t, "/apis/wxplatform/rotateMsdkKey", map[string]any{}, 0)
	require.Equal(t, 200, code)
	require.NotEqual(t, first, out["msdkKey"])
}

// TestDumpHoldsNoSecret runs the real pg_dump and looks for every credential of a bound account.
func TestDumpHoldsNoSecret(t *testing.T) {
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Skip("pg_dump is not installed")
	}
	f := newFixture(t)
	demo := f.emu.Demo()
	code, _ := f.post(t, "/apis/wxplatform/authorize", bindBody(demo), 0)
	require.Equal(t, 200, code)
	a, err := f.svc.ByAppID(context.Background(), demo.AppID)
	require.NoError(t, err)
	out, err := exec.Command("pg_dump", "--data-only", f.dbURL).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), demo.AppID, "the dump is of the right database")
	for name, secret := range map[string]string{"secret": demo.Secret, "token": demo.Token, "aes key": demo.EncodingAESKey, "msdk key": a.MsdkKey} {
		require.NotContains(t, string(out), secret, "the dump holds the %s in clear", name)
	}
}

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

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/testenv"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// fixture is the shared WeChat fixture (the emulator with its demo account) with two operators, and the
// accounts routes, which act for the second operator when a request has X-User: 1.
type fixture struct {
	*wxtest.Env
	router *gin.Engine
	users  [2]int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{AutoConsent: true}, BaseURL: "https://console.test"})
	f := &fixture{Env: env, users: [2]int64{env.Operator("opa"), env.Operator("opb")}}
	e := httpapi.NewEngine(nil)
	auth := func(c *gin.Context) {
		id := f.users[0]
		if c.GetHeader("X-User") == "1" {
			id = f.users[1]
		}
		wxtest.AsUser(id)(c)
	}
	(&accounts.Handler{Service: env.Accounts}).Routes(httpapi.Group{IRouter: e.Group("/apis/wxplatform", auth)})
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
	demo := f.Emu.Demo()
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
	require.Equal(t, 1, f.Emu.TokenRequests(demo.AppID))
}

func TestAuthorizeWithAWrongSecretAnswersWeChatsCode(t *testing.T) {
	f := newFixture(t)
	body := bindBody(f.Emu.Demo())
	body["secret"] = strings.Repeat("0", 32)
	code, out := f.post(t, "/apis/wxplatform/authorize", body, 0)
	require.Equal(t, http.StatusBadGateway, code)
	require.EqualValues(t, 50200, out["errcode"])
	require.EqualValues(t, 40125, out["wxErrcode"])
	require.NotEmpty(t, out["wxErrmsg"])
	var n int
	require.NoError(t, f.DB.Raw(`SELECT count(*) FROM wx_accounts`).Scan(&n).Error)
	require.Zero(t, n, "nothing is stored for credentials WeChat refused")
}

func TestAuthorizeValidatesEachField(t *testing.T) {
	f := newFixture(t)
	demo := f.Emu.Demo()
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
	require.Zero(t, f.Emu.TokenRequests(demo.AppID), "invalid input never reaches WeChat")
}

func TestAccountsAreTheirOwners(t *testing.T) {
	f := newFixture(t)
	demo := f.Emu.Demo()
	code, _ := f.post(t, "/apis/wxplatform/authorize", bindBody(demo), 0)
	require.Equal(t, 200, code)
	ctx := context.Background()

	_, err := f.Accounts.Resolve(ctx, f.users[1], "")
	require.ErrorIs(t, err, accounts.ErrNoAccount)
	_, err = f.Accounts.Resolve(ctx, f.users[1], demo.AppID)
	require.ErrorIs(t, err, accounts.ErrNotYours)
	a, err := f.Accounts.Resolve(ctx, f.users[0], "")
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
	_, err = f.Accounts.Resolve(ctx, f.users[0], "")
	require.ErrorIs(t, err, accounts.ErrNoAccount)
}

func TestJSDomainsAndMsdkKey(t *testing.T) {
	f := newFixture(t)
	demo := f.Emu.Demo()
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
	pgDump := testenv.RequireTool(t, "pg_dump")
	f := newFixture(t)
	demo := f.Emu.Demo()
	code, _ := f.post(t, "/apis/wxplatform/authorize", bindBody(demo), 0)
	require.Equal(t, 200, code)
	a, err := f.Accounts.ByAppID(context.Background(), demo.AppID)
	require.NoError(t, err)
	out, err := exec.Command(pgDump, "--data-only", f.DBURL).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), demo.AppID, "the dump is of the right database")
	for name, secret := range map[string]string{"secret": demo.Secret, "token": demo.Token, "aes key": demo.EncodingAESKey, "msdk key": a.MsdkKey} {
		require.NotContains(t, string(out), secret, "the dump holds the %s in clear", name)
	}
}

// TestAuthorizeChecksCredentialsBeforeSayingAlreadyBound: "already bound" would tell anyone which appids
// the console serves; only a caller who proves the AppSecret learns it.
func TestAuthorizeChecksCredentialsBeforeSayingAlreadyBound(t *testing.T) {
	f := newFixture(t)
	demo := f.Emu.Demo()
	code, _ := f.post(t, "/apis/wxplatform/authorize", bindBody(demo), 0)
	require.Equal(t, 200, code)

	wrong := bindBody(demo)
	wrong["secret"] = strings.Repeat("0", 32)
	code, out := f.post(t, "/apis/wxplatform/authorize", wrong, 1)
	require.Equal(t, http.StatusBadGateway, code, "%v", out)
	require.EqualValues(t, 40125, out["wxErrcode"])
	require.NotContains(t, out["msg"], "already bound")

	code, out = f.post(t, "/apis/wxplatform/authorize", bindBody(demo), 1)
	require.Equal(t, http.StatusConflict, code, "%v", out)
	require.EqualValues(t, 40900, out["errcode"])
}

// TestSealedCredentialsAreBoundToTheirRow: an AppSecret copied into another account's row (by someone with
// write access to the database but not the key) does not open there, nor does it moved to the MSDK key
// column, which the API shows.
func TestSealedCredentialsAreBoundToTheirRow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.Emu.NewAccount("甲"), f.Emu.NewAccount("乙")
	for i, acct := range []wxemu.Account{a, b} {
		_, err := f.Accounts.Bind(ctx, f.users[i], accounts.BindInput{AppID: acct.AppID, Secret: acct.Secret, Token: acct.Token})
		require.NoError(t, err)
	}
	require.NoError(t, f.DB.Exec(`UPDATE wx_accounts SET secret_enc = (SELECT secret_enc FROM wx_accounts WHERE appid = ?)
		WHERE appid = ?`, a.AppID, b.AppID).Error)
	require.NoError(t, f.DB.Exec(`UPDATE wx_accounts SET msdk_key_enc = secret_enc WHERE appid = ?`, a.AppID).Error)
	fresh := accounts.NewService(f.DB, f.Box, accounts.Options{})
	_, err := fresh.ByAppID(ctx, b.AppID)
	require.Error(t, err, "a copied AppSecret must not open in another row")
	_, err = fresh.ByAppID(ctx, a.AppID)
	require.Error(t, err, "an AppSecret moved to the MSDK key column must not open there")
	views, _ := fresh.Views(ctx, f.users[0])
	for _, v := range views {
		require.NotEqual(t, a.Secret, v.MsdkKey)
	}
}

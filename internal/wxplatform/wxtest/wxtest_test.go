package wxtest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// whoami answers the principal and the account accounts.Scope resolved, as a capability's handler sees them.
func whoami(c *gin.Context) {
	p, ok := httpapi.CurrentPrincipal(c)
	c.JSON(http.StatusOK, gin.H{"ok": ok, "userId": p.UserID, "appid": c.Request.URL.Query().Get("appid")})
}

// AsUser sets the principal where httpapi reads it: a rename in httpapi must fail here, not in every
// capability's tests.
func TestAsUser(t *testing.T) {
	t.Parallel()
	r := wxtest.Router()
	r.GET("/me", wxtest.AsUser(42), whoami)
	out := wxtest.Decode(t, wxtest.Serve(t, r, wxtest.Request{Method: http.MethodGet, Target: "/me"}))
	require.Equal(t, true, out["ok"])
	require.EqualValues(t, 42, out["userId"])
}

func TestEnv(t *testing.T) {
	t.Parallel()
	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1}})
	op, other := env.Operator("op"), env.Operator("other")
	ea := env.Emu.NewAccount("测试号")
	acct := env.Bind(op, ea)
	require.Equal(t, ea.AppID, acct.AppID)
	require.Equal(t, "测试号", acct.Name)
	require.Equal(t, ea.EncodingAESKey, acct.EncodingAESKey)
	require.Len(t, env.Requests("/cgi-bin/token"), 1, "binding proved the credentials at the emulator")
	otherAcct := env.Bind(other, env.Emu.NewAccount("别人的"))

	// The client reads the bound account's secret; another client shares the stored token.
	tok, err := env.WX.AccessToken(t.Context(), acct.AppID)
	require.NoError(t, err)
	again, err := env.Client().AccessToken(t.Context(), acct.AppID)
	require.NoError(t, err)
	require.Equal(t, tok, again)
	require.Len(t, env.Requests("/cgi-bin/token"), 2)

	env.Tokens.Give("t1", httpapi.Principal{UserID: op})
	r := wxtest.Router()
	env.APIGroup(r, "/apis/x", env.Tokens.RequireAuth()).Handle(http.MethodPost, "/me", whoami)
	call := func(tok string, body any) (int, map[string]any) {
		w := wxtest.Serve(t, r, wxtest.Request{Target: "/apis/x/me", Token: tok, Body: body})
		return w.Code, wxtest.Decode(t, w)
	}
	status, out := call("t1", nil)
	require.Equal(t, http.StatusOK, status, "%v", out)
	require.EqualValues(t, op, out["userId"])
	status, out = call("t1", url.Values{"appid": {otherAcct.AppID}})
	require.Equal(t, http.StatusForbidden, status, "%v", out)
	status, out = call("t2", map[string]any{"appid": acct.AppID})
	require.Equal(t, http.StatusUnauthorized, status, "%v", out)
	require.EqualValues(t, 40100, out["errcode"])
}

func TestUnchecked(t *testing.T) {
	t.Parallel()
	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1}, Unchecked: true, BaseURL: "https://console.example"})
	acct := env.Bind(env.Operator("op"), wxemu.Account{AppID: "wx0123456789abcdef", Secret: "0123456789abcdef", Token: "token123"})
	require.Empty(t, env.Emu.Requests(), "an unchecked bind asks WeChat nothing")
	require.Equal(t, "https://console.example/wxplatform/callback/wx0123456789abcdef", env.Accounts.CallbackURL(acct.AppID))
}

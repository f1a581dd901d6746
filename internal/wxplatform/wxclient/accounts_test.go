package wxclient

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// TestWithAccountsService wires the client to the accounts service as cmd/console does: the service
// checks credentials, shows token health and forgets tokens through the client, and the client reads
// AppSecrets from the service.
func TestWithAccountsService(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	var userID int64
	require.NoError(t, e.db.Raw(`INSERT INTO users (username, email, password_hash, verified_at)
		VALUES ('operator', 'operator@example.com', 'x', now()) RETURNING id`).Scan(&userID).Error)

	var svc *accounts.Service
	opts := e.options(e.db)
	opts.Credentials = CredentialFunc(func(ctx context.Context, appid string) (string, error) {
		a, err := svc.ByAppID(ctx, appid)
		if err != nil {
			return "", err
		}
		return a.Secret, nil
	})
	c := New(opts)
	svc = accounts.NewService(e.db, e.box, accounts.Options{BaseURL: "https://console.example.com", Checker: c, Health: c, Forget: c, Logger: opts.Logger})

	in := accounts.BindInput{AppID: app, Secret: "0123456789abcdef0123456789abcdef", Token: e.demo.Token}
	_, err := svc.Bind(ctx, userID, in)
	var wx apperr.WeChatError
	require.ErrorAs(t, err, &wx, "a wrong secret is WeChat's answer")
	require.Equal(t, CodeInvalidSecret, wx.WeChatCode())
	_, err = svc.ByAppID(ctx, app)
	require.True(t, errors.Is(err, accounts.ErrNotFound), "nothing bound")

	in.Secret = e.demo.Secret
	_, err = svc.Bind(ctx, userID, in)
	require.NoError(t, err)
	require.Equal(t, 1, e.emu.TokenRequests(app))

	// The token fetched to check the secret serves the calls.
	_, err = c.Tags(ctx, app)
	require.NoError(t, err)
	require.Equal(t, 1, e.emu.TokenRequests(app))
	views, err := svc.Views(ctx, userID)
	require.NoError(t, err)
	require.Equal(t, accounts.TokenHealth{Refreshes: 1}, views[0].Token)

	// A refresh reads the AppSecret from the accounts service.
	e.emu.InvalidateTokens(app)
	_, err = c.Tags(ctx, app)
	require.NoError(t, err)
	require.Equal(t, 2, e.emu.TokenRequests(app))

	require.NoError(t, svc.Unbind(ctx, userID, app))
	h, err := c.TokenHealth(ctx, app)
	require.NoError(t, err)
	require.Zero(t, h, "the tokens went with the account")
	_, err = New(opts).AccessToken(ctx, app)
	require.ErrorIs(t, err, accounts.ErrNotFound, "no secret for an unbound account")
}

package secretbox_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/secretbox"
)

func mustKeyBox(t *testing.T, b byte) *secretbox.Box {
	t.Helper()
	box, err := secretbox.New([]byte(strings.Repeat(string(rune('a'+b)), 32)))
	require.NoError(t, err)
	return box
}

func TestSealForBindsTheValueToItsPlace(t *testing.T) {
	box := mustKeyBox(t, 0)
	here := secretbox.Named("wx_accounts", "secret_enc").Bound("wx0000000000000001")
	sealed, err := box.SealFor(here, "the secret")
	require.NoError(t, err)
	require.True(t, secretbox.IsBound(sealed))
	got, err := box.OpenFor(here, sealed)
	require.NoError(t, err)
	require.Equal(t, "the secret", got)
	for _, elsewhere := range []string{
		secretbox.Named("wx_accounts", "secret_enc").Bound("wx0000000000000002"),
		secretbox.Named("wx_accounts", "msdk_key_enc").Bound("wx0000000000000001"),
	} {
		_, err = box.OpenFor(elsewhere, sealed)
		require.ErrorIs(t, err, secretbox.ErrOpen)
	}
	_, err = mustKeyBox(t, 1).OpenFor(here, sealed)
	require.ErrorIs(t, err, secretbox.ErrOpen, "another key")
	legacy, err := box.Seal("the secret")
	require.NoError(t, err)
	_, err = box.OpenFor(here, legacy)
	require.ErrorIs(t, err, secretbox.ErrOpen, "an unbound value is not accepted where a bound one is expected")
}

// TestUpgradeAndRotate: values sealed the old way are resealed bound to their rows; a rotation moves every
// stored value to the new key in one go, and a wrong current key changes nothing.
func TestUpgradeAndRotate(t *testing.T) {
	gdb := dbtest.New(t)
	ctx := context.Background()
	k1, k2 := mustKeyBox(t, 0), mustKeyBox(t, 1)
	seal := func(v string) string { s, err := k1.Seal(v); require.NoError(t, err); return s }
	var uid, aid int64
	require.NoError(t, gdb.Raw(`INSERT INTO users (username, email, password_hash) VALUES ('op', 'op@example.com', 'x') RETURNING id`).Scan(&uid).Error)
	require.NoError(t, gdb.Raw(`INSERT INTO wx_accounts (user_id, appid, secret_enc, token_enc, aes_key_enc, msdk_key_enc)
		VALUES (?, 'wx0000000000000001', ?, ?, '', ?) RETURNING id`, uid, seal("app secret"), seal("cbtoken"), seal("msdk")).Scan(&aid).Error)
	require.NoError(t, gdb.Exec(`INSERT INTO wx_credentials (appid, kind, value_enc) VALUES ('wx0000000000000001', 'access_token', ?)`, seal("AT")).Error)
	require.NoError(t, gdb.Exec(`INSERT INTO wx_oauth_tokens (account_id, openid, scope, access_token_enc, refresh_token_enc,
		access_expires_at, refresh_expires_at) VALUES (?, 'oFollower', 'snsapi_base', ?, ?, now(), now())`, aid, seal("oauth AT"), seal("oauth RT")).Error)

	read := func(table, col, where string, args ...any) string {
		var v string
		require.NoError(t, gdb.Raw(`SELECT `+col+` FROM `+table+` WHERE `+where, args...).Scan(&v).Error)
		return v
	}
	require.NoError(t, secretbox.UpgradeLegacy(ctx, gdb, k1, nil))
	expect := func(box *secretbox.Box) {
		t.Helper()
		for _, c := range []struct{ table, col, where, want string }{
			{"wx_accounts", "secret_enc", "appid = 'wx0000000000000001'", "app secret"},
			{"wx_accounts", "token_enc", "appid = 'wx0000000000000001'", "cbtoken"},
			{"wx_accounts", "msdk_key_enc", "appid = 'wx0000000000000001'", "msdk"},
			{"wx_credentials", "value_enc", "appid = 'wx0000000000000001'", "AT"},
			{"wx_oauth_tokens", "access_token_enc", "openid = 'oFollower'", "oauth AT"},
			{"wx_oauth_tokens", "refresh_token_enc", "openid = 'oFollower'", "oauth RT"},
		} {
			v := read(c.table, c.col, c.where)
			require.True(t, secretbox.IsBound(v), "%s.%s", c.table, c.col)
			var keys []string
			switch c.table {
			case "wx_credentials":
				keys = []string{"wx0000000000000001", "access_token"}
			case "wx_oauth_tokens":
				keys = []string{strings.TrimSpace(read("wx_oauth_tokens", "account_id::text", "openid = 'oFollower'")), "oFollower"}
			default:
				keys = []string{"wx0000000000000001"}
			}
			got, err := box.OpenFor(secretbox.Named(c.table, c.col).Bound(keys...), v)
			require.NoError(t, err, "%s.%s", c.table, c.col)
			require.Equal(t, c.want, got)
		}
		require.Empty(t, read("wx_accounts", "aes_key_enc", "true"), "empty stays empty")
	}
	expect(k1)
	before := read("wx_accounts", "secret_enc", "true")
	require.NoError(t, secretbox.UpgradeLegacy(ctx, gdb, k1, nil))
	require.Equal(t, before, read("wx_accounts", "secret_enc", "true"), "a second start changes nothing")

	// A wrong current key: nothing moves.
	_, err := secretbox.Rotate(ctx, gdb, k2, mustKeyBox(t, 2), "")
	require.ErrorIs(t, err, secretbox.ErrWrongKey)
	expect(k1)

	n, err := secretbox.Rotate(ctx, gdb, k1, k2, "")
	require.NoError(t, err)
	require.Equal(t, 6, n)
	expect(k2)
	_, err = k1.OpenFor(secretbox.Named("wx_accounts", "secret_enc").Bound("wx0000000000000001"), read("wx_accounts", "secret_enc", "true"))
	require.ErrorIs(t, err, secretbox.ErrOpen, "the old key opens nothing any more")

	// With the generated key kept in the database, the new key replaces it there, in the same transaction.
	require.NoError(t, gdb.Exec(`INSERT INTO app_settings (name, value) VALUES ('secret_key', 'old')`).Error)
	_, err = secretbox.Rotate(ctx, gdb, k2, k1, "6e6577")
	require.NoError(t, err)
	require.Equal(t, "6e6577", read("app_settings", "value", "name = 'secret_key'"))
	expect(k1)
}

package secretbox_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/testenv"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func mustBox(t *testing.T, k []byte) *secretbox.Box {
	t.Helper()
	b, err := secretbox.New(k)
	require.NoError(t, err)
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	b := mustBox(t, key(1))
	for _, name := range []string{"", "x", "AppSecret 0123456789abcdef", "中文 秘密 🔑", strings.Repeat("long ", 10000)} {
		sealed, err := b.Seal(name)
		require.NoError(t, err)
		if len(name) > 4 { // a single letter turns up in base64 by chance half the time
			require.NotContains(t, sealed, name, "sealed text does not show the secret")
		}
		got, err := b.Open(sealed)
		require.NoError(t, err)
		require.Equal(t, name, got)
	}
	empty, err := b.Seal("")
	require.NoError(t, err)
	require.Empty(t, empty, "empty stays empty")

	one, err := b.Seal("same")
	require.NoError(t, err)
	two, err := b.Seal("same")
	require.NoError(t, err)
	require.NotEqual(t, one, two, "a fresh nonce each time: equal secrets do not look equal at rest")
}

func TestOpenRefusesWrongKeyAndDamage(t *testing.T) {
	t.Parallel()
	b := mustBox(t, key(1))
	other := mustBox(t, key(2))
	sealed, err := b.Seal("the AppSecret")
	require.NoError(t, err)

	_, err = other.Open(sealed)
	require.ErrorIs(t, err, secretbox.ErrOpen, "another key cannot open it")

	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	require.NoError(t, err)
	for _, i := range []int{0, len(raw) / 2, len(raw) - 1} {
		damaged := append([]byte(nil), raw...)
		damaged[i] ^= 0x01
		_, err := b.Open(base64.RawStdEncoding.EncodeToString(damaged))
		require.ErrorIs(t, err, secretbox.ErrOpen, "flipped byte %d", i)
	}
	for _, junk := range []string{"not base64 !", "AAAA", base64.RawStdEncoding.EncodeToString(raw[:5])} {
		_, err := b.Open(junk)
		require.ErrorIs(t, err, secretbox.ErrOpen, "%q", junk)
	}

	_, err = secretbox.New(key(1)[:31])
	require.Error(t, err, "a key shorter than 32 bytes is refused")
}

func TestDeriveSeparatesPurposes(t *testing.T) {
	t.Parallel()
	b := mustBox(t, key(1))
	purposes := []string{"seal", "session", "webauth-state", "sandbox-demo-appid", "sandbox-demo-secret", ""}
	seen := map[string]string{}
	for _, p := range purposes {
		k := b.Derive(p)
		require.Len(t, k, 32)
		require.Equal(t, k, b.Derive(p), "deterministic")
		require.NotEqual(t, key(1), k, "never the master key itself")
		h := hex.EncodeToString(k)
		require.NotContains(t, seen, h, "purposes %q and %q share a key", p, seen[h])
		seen[h] = p
	}
	require.NotEqual(t, b.Derive("session"), mustBox(t, key(2)).Derive("session"), "another master, other keys")
	// The box's copy of the master is its own: changing the caller's slice changes nothing.
	k := key(3)
	b3 := mustBox(t, k)
	before := b3.Derive("seal")
	k[0] ^= 0xff
	require.Equal(t, before, b3.Derive("seal"))
}

func TestMasterKeyConfigured(t *testing.T) {
	t.Parallel()
	gdb := dbtest.New(t)
	want := key(7)
	got, err := secretbox.MasterKey(context.Background(), gdb, hex.EncodeToString(want), nil)
	require.NoError(t, err)
	require.Equal(t, want, got)
	var n int
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM app_settings WHERE name = 'secret_key'`).Scan(&n).Error)
	require.Zero(t, n, "a configured key is never stored")
	_, err = secretbox.MasterKey(context.Background(), gdb, "too short", nil)
	require.Error(t, err)
}

// TestGeneratedKeyIsAgreed: without SECRET_KEY, processes starting together on one database (each with its
// own pool) all end up with the one generated key, which a later start reads again; the warning is logged,
// the key never.
func TestGeneratedKeyIsAgreed(t *testing.T) {
	t.Parallel()
	_, url := dbtest.NewWithURL(t)
	ctx := context.Background()
	const procs = 6
	keys := make([][]byte, procs)
	logs := make([]*testenv.LogBuffer, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := db.Open(ctx, url, db.Options{MaxOpenConns: 2})
			if !assertNoError(t, err) {
				return
			}
			defer db.Close(g)
			logs[i] = &testenv.LogBuffer{}
			k, err := secretbox.MasterKey(ctx, g, "", logs[i].Logger())
			if assertNoError(t, err) {
				keys[i] = k
			}
		}()
	}
	wg.Wait()
	require.Len(t, keys[0], 32)
	for i := range procs {
		require.Equal(t, keys[0], keys[i], "process %d", i)
		require.Contains(t, logs[i].String(), "SECRET_KEY is not set")
		require.NotContains(t, logs[i].String(), hex.EncodeToString(keys[0]))
	}
	// What one seals, another opens.
	sealed, err := mustBox(t, keys[1]).Seal("shared secret")
	require.NoError(t, err)
	opened, err := mustBox(t, keys[4]).Open(sealed)
	require.NoError(t, err)
	require.Equal(t, "shared secret", opened)

	// A restart reads the same key.
	g, err := db.Open(ctx, url, db.Options{MaxOpenConns: 1})
	require.NoError(t, err)
	defer db.Close(g)
	again, err := secretbox.MasterKey(ctx, g, "", nil)
	require.NoError(t, err)
	require.Equal(t, keys[0], again)
}

func assertNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

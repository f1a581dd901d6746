package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app"
	"github.com/socialinzen/socialinzen/internal/config"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

const (
	oldKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	newKey = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
)

// TestRotateSecretKey runs `console rotate-secret-key` on a database a console has used: afterwards the
// bound account opens with the new key only, and the console starts with it.
func TestRotateSecretKey(t *testing.T) {
	dbURL := dbtest.NewURL(t)
	ctx := context.Background()
	env := map[string]string{"DATABASE_URL": dbURL, "SECRET_KEY": oldKey, "SANDBOX": "true", "LOG_LEVEL": "warn",
		"BASE_URL": "http://127.0.0.1:1", "SHUTDOWN_DRAIN": "0s"}
	getenv := func(k string) string { return env[k] }
	cfg, err := config.Load(nil, getenv)
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg, log)
	require.NoError(t, err)
	demo := a.Emulator().Demo()
	a.Close()

	env["NEW_SECRET_KEY"] = newKey
	var out bytes.Buffer
	require.NoError(t, run(ctx, []string{"rotate-secret-key"}, getenv, &out, io.Discard))
	require.Contains(t, out.String(), "Set SECRET_KEY")
	require.NotContains(t, out.String(), newKey, "a key the operator chose is not printed back")

	gdb, err := db.Open(ctx, dbURL, db.Options{MaxOpenConns: 2})
	require.NoError(t, err)
	defer db.Close(gdb)
	for key, opens := range map[string]bool{oldKey: false, newKey: true} {
		k, _ := config.DecodeKey(key)
		box, _ := secretbox.New(k)
		got, err := accounts.NewService(gdb, box, accounts.Options{}).ByAppID(ctx, demo.AppID)
		if opens {
			require.NoError(t, err)
			require.Equal(t, demo.Secret, got.Secret)
		} else {
			require.Error(t, err)
		}
	}

	env["SECRET_KEY"] = newKey
	cfg, err = config.Load(nil, getenv)
	require.NoError(t, err)
	a, err = app.New(ctx, cfg, log)
	require.NoError(t, err, "the console starts with the new key")
	a.Close()
}

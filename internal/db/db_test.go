package db_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
)

func TestMigrateIsCurrentAndIdempotent(t *testing.T) {
	gdb := dbtest.New(t)
	ctx := context.Background()
	st, err := db.Status(ctx, gdb)
	require.NoError(t, err)
	require.True(t, st.UpToDate(), "status %+v", st)
	require.Positive(t, st.Latest)
	require.NoError(t, db.Migrate(ctx, gdb, nil), "a second run applies nothing and succeeds")
	var n int
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM users`).Scan(&n).Error)
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM river_job`).Scan(&n).Error, "River's tables are migrated with ours")
}

func TestRefusesANewerSchema(t *testing.T) {
	gdb := dbtest.New(t)
	ctx := context.Background()
	require.NoError(t, gdb.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`).Error)
	err := db.Migrate(ctx, gdb, nil)
	require.Error(t, err)
	require.True(t, errors.Is(err, db.ErrSchemaTooNew), "got %v", err)
	st, err := db.Status(ctx, gdb)
	require.NoError(t, err)
	require.False(t, st.UpToDate())
}

func TestConcurrentMigrationsAgree(t *testing.T) {
	u := dbtest.NewURL(t)
	ctx := context.Background()
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			g, err := db.Open(ctx, u, db.Options{MaxOpenConns: 3})
			if err != nil {
				errs <- err
				return
			}
			defer db.Close(g)
			errs <- db.Migrate(ctx, g, nil)
		}()
	}
	for range 3 {
		require.NoError(t, <-errs)
	}
}

// TestCleanupDeletesUseIndexes: every delete of the periodic cleanup finds its rows through an index.
func TestCleanupDeletesUseIndexes(t *testing.T) {
	gdb := dbtest.New(t)
	require.NoError(t, gdb.Exec(`SET enable_seqscan = off`).Error)
	for _, q := range []string{
		`DELETE FROM login_failures WHERE failed_at < now()`,
		`DELETE FROM access_tokens WHERE expires_at < now()`,
		`DELETE FROM email_tokens WHERE expires_at < now()`,
		`DELETE FROM web_sessions WHERE expires_at < now()`,
		`DELETE FROM wx_webauth_used WHERE expires_at < now() - interval '1 hour'`,
	} {
		var plan []string
		require.NoError(t, gdb.Raw(`EXPLAIN `+q).Scan(&plan).Error)
		require.NotEmpty(t, plan, q)
		require.NotContains(t, strings.Join(plan, "\n"), "Seq Scan", q)
	}
}

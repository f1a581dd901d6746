package db_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
)

// TestWithLockSerialises: holders of one key never overlap, across pools ("processes"); other keys do not
// wait; no transaction is open while fn runs.
func TestWithLockSerialises(t *testing.T) {
	t.Parallel()
	gdb, url := dbtest.NewWithURL(t)
	ctx := context.Background()
	other, err := db.Open(ctx, url, db.Options{MaxOpenConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close(other) })

	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool := gdb
			if i%2 == 1 {
				pool = other
			}
			require.NoError(t, db.WithLock(ctx, pool, db.LockMenu, 42, func() error {
				n := inside.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				var open int
				require.NoError(t, gdb.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
					AND state LIKE 'idle in transaction%'`).Scan(&open).Error)
				require.Zero(t, open, "no transaction is held while fn runs")
				inside.Add(-1)
				return nil
			}))
		}()
	}
	wg.Wait()
	require.EqualValues(t, 1, most.Load(), "one holder at a time")

	// Another key is free while 42 is held.
	require.NoError(t, db.WithLock(ctx, gdb, db.LockMenu, 42, func() error {
		done := make(chan error, 1)
		go func() { done <- db.WithLock(ctx, other, db.LockMenu, 43, func() error { return nil }) }()
		return <-done
	}))
	var held int
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&held).Error)
	require.Zero(t, held, "released")
}

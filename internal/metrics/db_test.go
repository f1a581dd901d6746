package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/metrics"
)

// The pool collector reads sql.DBStats of a real pool at each scrape: a held connection is in use, and a
// caller waiting for the only connection is counted with the time it waited.
func TestDBPool(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sqlDB, err := dbtest.New(t).DB()
	require.NoError(t, err)
	m := metrics.New()
	require.NoError(t, m.WatchDB(sqlDB))
	require.Error(t, m.WatchDB(sqlDB), "the pool is registered once")

	sqlDB.SetMaxOpenConns(1)
	conn, err := sqlDB.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.PingContext(ctx))

	waitCtx, waitCancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer waitCancel()
	require.Error(t, sqlDB.PingContext(waitCtx), "the only connection is held")

	fams, _ := scrape(t, m)
	l := map[string]string{"db_name": "socialinzen"}
	assert.Equal(t, 1.0, value(t, fams, "go_sql_max_open_connections", l))
	assert.Equal(t, 1.0, value(t, fams, "go_sql_open_connections", l))
	assert.Equal(t, 1.0, value(t, fams, "go_sql_in_use_connections", l))
	assert.Equal(t, 0.0, value(t, fams, "go_sql_idle_connections", l))
	assert.Equal(t, 1.0, value(t, fams, "go_sql_wait_count_total", l))
	assert.GreaterOrEqual(t, value(t, fams, "go_sql_wait_duration_seconds_total", l), 0.09)

	require.NoError(t, conn.Close())
	fams, _ = scrape(t, m)
	assert.Equal(t, 0.0, value(t, fams, "go_sql_in_use_connections", l))
	assert.Equal(t, 1.0, value(t, fams, "go_sql_idle_connections", l))
}

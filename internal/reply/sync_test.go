package reply

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
)

// twoProcesses gives two Services on separate pools of one database, as two console processes would have;
// the second one uses opts and is started.
func twoProcesses(t *testing.T, opts func(dsn string) Options) (a, b *Service, gdb *gorm.DB, account int64) {
	t.Helper()
	gdb, url := dbtest.NewWithURL(t)
	ctx := context.Background()
	account = mustAccountRow(t, gdb, mustUser(t, gdb))
	pool, err := db.Open(ctx, url, db.Options{MaxOpenConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close(pool) })
	a = mustService(t, gdb, Options{})
	b = mustService(t, pool, opts(url))
	require.NoError(t, b.Start(ctx))
	return a, b, gdb, account
}

// seesWithin waits until b answers keyword with a rule, failing after d.
func seesWithin(t *testing.T, b *Service, account int64, keyword string, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	require.Eventually(t, func() bool {
		m, err := b.Match(context.Background(), account, text(keyword))
		return err == nil && m != nil
	}, d, 10*time.Millisecond, "the other process did not see the rule %q within %s", keyword, d)
	return time.Since(start)
}

func TestCrossProcessByNotification(t *testing.T) {
	t.Parallel()
	// Polling effectively off: only the listener can bring the change.
	a, b, _, account := twoProcesses(t, func(dsn string) Options { return Options{DSN: dsn, PollInterval: time.Hour} })
	ctx := context.Background()
	require.Eventually(t, b.Listening, 5*time.Second, 10*time.Millisecond)
	require.Nil(t, mustMatch(t, b, account, text("ping")), "loaded, empty")

	_, err := a.Add(ctx, account, Input{Type: TypeText, Content: Content{Content: "pong"}, Request: "ping"})
	require.NoError(t, err)
	took := seesWithin(t, b, account, "ping", time.Second)
	t.Logf("seen after %s", took)

	// Deletions travel too.
	require.NoError(t, a.Delete(ctx, account, Selector{Request: "ping"}))
	require.Eventually(t, func() bool { return mustMatch(t, b, account, text("ping")) == nil }, time.Second, 10*time.Millisecond)
}

func TestCrossProcessByPolling(t *testing.T) {
	t.Parallel()
	// No listener: the version check alone, at its default interval.
	a, b, _, account := twoProcesses(t, func(string) Options { return Options{} })
	ctx := context.Background()
	require.False(t, b.Listening())
	require.Nil(t, mustMatch(t, b, account, text("ping")))

	_, err := a.Add(ctx, account, Input{Type: TypeText, Content: Content{Content: "pong"}, Request: "ping"})
	require.NoError(t, err)
	// One poll interval (500 ms) plus the query and rebuild: well within the second the contract allows.
	took := seesWithin(t, b, account, "ping", time.Second)
	t.Logf("seen after %s", took)
}

// TestListenerReconnects kills the listener's connection: the listener reconnects, and a change made while
// it was away is picked up by the version check it runs once listening again.
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	a, b, gdb, account := twoProcesses(t, func(dsn string) Options { return Options{DSN: dsn, PollInterval: time.Hour} })
	ctx := context.Background()
	require.Eventually(t, b.Listening, 5*time.Second, 10*time.Millisecond)
	require.Nil(t, mustMatch(t, b, account, text("ping")))

	var killed []bool
	require.NoError(t, gdb.Raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = ?`, listenerAppName).Scan(&killed).Error)
	require.Equal(t, []bool{true}, killed)

	_, err := a.Add(ctx, account, Input{Type: TypeText, Content: Content{Content: "pong"}, Request: "ping"})
	require.NoError(t, err)
	seesWithin(t, b, account, "ping", 5*time.Second)
	require.Eventually(t, b.Listening, 5*time.Second, 10*time.Millisecond)

	// And the new connection receives notifications.
	_, err = a.Add(ctx, account, Input{Type: TypeText, Content: Content{Content: "pong"}, Request: "ping2"})
	require.NoError(t, err)
	seesWithin(t, b, account, "ping2", time.Second)
}

// TestListenerPing covers the quiet-connection check: with a short ping interval the listener keeps working
// across several checks.
func TestListenerPing(t *testing.T) {
	t.Parallel()
	gdb, url := dbtest.NewWithURL(t)
	ctx := context.Background()
	account := mustAccountRow(t, gdb, mustUser(t, gdb))
	b := NewService(gdb, Options{DSN: url, PollInterval: time.Hour})
	b.listenerPing = 20 * time.Millisecond
	require.NoError(t, b.Start(ctx))
	t.Cleanup(b.Close)
	require.Eventually(t, b.Listening, 5*time.Second, 10*time.Millisecond)
	require.Nil(t, mustMatch(t, b, account, text("ping")))
	time.Sleep(150 * time.Millisecond)
	require.True(t, b.Listening())

	a := mustService(t, gdb, Options{})
	_, err := a.Add(ctx, account, Input{Type: TypeText, Content: Content{Content: "pong"}, Request: "ping"})
	require.NoError(t, err)
	seesWithin(t, b, account, "ping", time.Second)
}

func TestStartAndClose(t *testing.T) {
	t.Parallel()
	s := NewService(nil, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.Start(ctx))
	require.Error(t, s.Start(ctx))
	cancel()
	s.Close()
	s.Close()
	require.Error(t, s.Start(context.Background()))
}

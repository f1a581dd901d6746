package stats

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/jobs/jobstest"
)

// TestBackfillOnRiver runs the statistics' jobs on a real River queue: binding an account queues its
// 180-day backfill once, the sweep queues the accounts bound before (once), and the daily run pulls what is
// not settled.
func TestBackfillOnRiver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := jobstest.New(t, e.DB, e.DBURL)
	require.NoError(t, e.svc.RegisterJobs(q))
	require.NoError(t, q.Start(context.Background()))
	ctx := context.Background()

	// The account of newEnv was bound before the statistics had a queue: the sweep finds it, once.
	n, err := e.svc.QueueBackfills(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	n, err = e.svc.QueueBackfills(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "queued once")
	require.Eventually(t, func() bool { return e.count("wx_stats_biz_summary") == BackfillDays }, 60*time.Second, 100*time.Millisecond)
	var first, last string
	require.NoError(t, e.DB.Raw(`SELECT min(ref_date)::text, max(ref_date)::text FROM wx_stats_days WHERE account_id = ?`,
		e.acct.ID).Row().Scan(&first, &last))
	require.Equal(t, "2025-09-02", first)
	require.Equal(t, "2026-02-28", last, "up to yesterday")

	// A new account: Bound queues its backfill (the accounts service calls it on binding).
	other := e.Emu.NewAccount("second")
	e.Emu.AddFollowers(other.AppID, 20)
	acct := e.Bind(e.user, other)
	require.NoError(t, e.svc.Bound(ctx, acct.ID))
	require.NoError(t, e.svc.Bound(ctx, acct.ID), "bound again: not queued twice")
	require.Eventually(t, func() bool {
		var days int
		_ = e.DB.Raw(`SELECT count(*) FROM wx_stats_days WHERE account_id = ? AND state = 'ok'`, acct.ID).Scan(&days).Error
		return days == BackfillDays*6
	}, 60*time.Second, 100*time.Millisecond)

	// The next day at 09:00 the daily run asks for the new day only.
	e.clock.Add(15 * time.Hour)
	calls := len(e.bodies("getusercumulate"))
	require.NoError(t, e.svc.QueueDaily(ctx))
	require.Eventually(t, func() bool {
		var n int
		_ = e.DB.Raw(`SELECT count(*) FROM wx_stats_days WHERE endpoint = 'getusercumulate' AND ref_date = '2026-03-01'`).Scan(&n).Error
		return n == 2
	}, 60*time.Second, 100*time.Millisecond)
	require.Equal(t, [][2]string{{"2026-03-01", "2026-03-01"}, {"2026-03-01", "2026-03-01"}}, e.bodies("getusercumulate")[calls:],
		"one day per account")
}

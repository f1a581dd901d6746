package stats

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/jobs"
)

// The statistics' background work on River (internal/jobs): a pull per account (stats_pull), the daily
// run at 08:30 in TIMEZONE (stats_daily, once across every process: River's leader enqueues it), and the
// sweep that queues the 180-day backfill of accounts that never had one (stats_backfills, at start and
// every 10 minutes, besides the one queued when an account is bound).

// PullArgs is one account's pull: the days From to To, every one asked again when Force is set. Equal
// pulls are unique while queued or running.
type PullArgs struct {
	AccountID int64  `json:"accountId" river:"unique"`
	From      string `json:"from" river:"unique"`
	To        string `json:"to" river:"unique"`
	Force     bool   `json:"force" river:"unique"`
}

// Kind names the job.
func (PullArgs) Kind() string { return "stats_pull" }

// InsertOpts: unique by its arguments; failed days are retried with River's backoff, up to 8 times (the
// next day's run asks whatever is still missing).
func (PullArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 8, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type pullWorker struct {
	river.WorkerDefaults[PullArgs]
	svc *Service
}

// Work pulls; a day WeChat did not answer makes the job fail, and the retry asks the days not settled.
func (w *pullWorker) Work(ctx context.Context, job *river.Job[PullArgs]) error {
	appid, err := w.svc.appID(ctx, job.Args.AccountID)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil // unbound since: nothing to pull
	}
	if err != nil {
		return err
	}
	first, err1 := time.Parse(time.DateOnly, job.Args.From)
	last, err2 := time.Parse(time.DateOnly, job.Args.To)
	if err := errors.Join(err1, err2); err != nil {
		return river.JobCancel(fmt.Errorf("stats pull: %w", err))
	}
	_, err = w.svc.Pull(ctx, job.Args.AccountID, appid, first, last, job.Args.Force)
	return err
}

// Timeout: a 180-day backfill makes about 450 calls.
func (w *pullWorker) Timeout(*river.Job[PullArgs]) time.Duration { return 30 * time.Minute }

// DailyArgs is the daily run.
type DailyArgs struct{}

// Kind names the job.
func (DailyArgs) Kind() string { return "stats_daily" }

type dailyWorker struct {
	river.WorkerDefaults[DailyArgs]
	svc *Service
}

// Work queues, for every account, a pull of the last 180 days: settled days are skipped, so it asks
// yesterday and whatever failed or was not final before.
func (w *dailyWorker) Work(ctx context.Context, _ *river.Job[DailyArgs]) error {
	return w.svc.QueueDaily(ctx)
}

// BackfillsArgs is the sweep of accounts without a backfill.
type BackfillsArgs struct{}

// Kind names the job.
func (BackfillsArgs) Kind() string { return "stats_backfills" }

type backfillsWorker struct {
	river.WorkerDefaults[BackfillsArgs]
	svc *Service
}

// Work queues the backfills not queued yet.
func (w *backfillsWorker) Work(ctx context.Context, _ *river.Job[BackfillsArgs]) error {
	_, err := w.svc.QueueBackfills(ctx)
	return err
}

// riverQueue is the Queue of Sync on River.
type riverQueue struct{ q jobs.Enqueuer }

func (r riverQueue) QueuePull(ctx context.Context, accountID int64, first, last time.Time, force bool) error {
	_, err := r.q.Enqueue(ctx, PullArgs{AccountID: accountID, From: ds(first), To: ds(last), Force: force}, nil)
	return err
}

func (r riverQueue) QueuePullTx(ctx context.Context, tx *gorm.DB, accountID int64, first, last time.Time, force bool) error {
	_, err := r.q.EnqueueTx(ctx, tx, PullArgs{AccountID: accountID, From: ds(first), To: ds(last), Force: force}, nil)
	return err
}

// RegisterJobs registers the statistics' workers and periodic jobs on q: the daily run at 08:30 in
// TIMEZONE, and the backfill sweep at start and every 10 minutes.
func (s *Service) RegisterJobs(q *jobs.Queue) error {
	s.queue = riverQueue{q}
	if err := jobs.Register(q, &pullWorker{svc: s}); err != nil {
		return err
	}
	if err := jobs.Register(q, &dailyWorker{svc: s}); err != nil {
		return err
	}
	if err := jobs.Register(q, &backfillsWorker{svc: s}); err != nil {
		return err
	}
	if err := q.Periodic("stats_daily", jobs.DailyAt(8, 30, s.loc), false, func() (river.JobArgs, *river.InsertOpts) {
		return DailyArgs{}, nil
	}); err != nil {
		return err
	}
	return q.Periodic("stats_backfills", jobs.Every(10*time.Minute), true, func() (river.JobArgs, *river.InsertOpts) {
		return BackfillsArgs{}, nil
	})
}

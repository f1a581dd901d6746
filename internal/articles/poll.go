package articles

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/jobs"
)

// PollArgs is the River job that watches one publishing job until WeChat answers its outcome: it asks
// freepublish/get with backoff (3 s at first, then a quarter of the job's age, at most 2 minutes) for up to
// PollWindow. PUBLISHJOBFINISH usually settles the job first; the poll then finds it settled and ends.
// The job is unique per publishing job, survives restarts, and runs in whichever process picks it up.
type PollArgs struct {
	PublishRowID int64 `json:"publish_row_id" river:"unique"`
}

// Kind names the job; stable, as queued jobs carry it.
func (PollArgs) Kind() string { return "articles_publish_poll" }

// InsertOpts: one watch per publishing job; WeChat or database failures are retried (snoozes between polls
// do not count as attempts).
func (PollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 20, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// firstPoll is how long after submitting the first look at WeChat waits: jobs take seconds at least.
const firstPoll = 3 * time.Second

// pollDelay is the wait before the next look at a job running for age.
func pollDelay(age time.Duration) time.Duration {
	return min(max(age/4, firstPoll), 2*time.Minute)
}

type pollWorker struct {
	river.WorkerDefaults[PollArgs]
	svc *Service
}

// Work looks at the job once and snoozes until the next look, or ends when the job has ended.
func (w *pollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	done, age, err := w.svc.PollOnce(ctx, job.Args.PublishRowID)
	if err != nil {
		if age > PollWindow {
			return river.JobCancel(fmt.Errorf("publish poll gave up after %s: %w", PollWindow, err))
		}
		return err
	}
	if done {
		return nil
	}
	return river.JobSnooze(pollDelay(age))
}

// Timeout bounds one look: a WeChat call and two small writes.
func (w *pollWorker) Timeout(*river.Job[PollArgs]) time.Duration { return 30 * time.Second }

// queuePoller enqueues the watch of a publishing job on the River queue.
type queuePoller struct{ q jobs.Enqueuer }

func (p queuePoller) EnqueuePoll(ctx context.Context, tx *gorm.DB, publishRowID int64) error {
	_, err := p.q.EnqueueTx(ctx, tx, PollArgs{PublishRowID: publishRowID},
		&river.InsertOpts{ScheduledAt: time.Now().Add(firstPoll)})
	if err != nil {
		return fmt.Errorf("enqueue publish poll: %w", err)
	}
	return nil
}

// RegisterJobs registers the publishing watch on q (before q starts) and makes Publish enqueue it.
func (s *Service) RegisterJobs(q *jobs.Queue) error {
	if err := jobs.Register(q, &pollWorker{svc: s}); err != nil {
		return err
	}
	s.poller = queuePoller{q: q}
	return nil
}

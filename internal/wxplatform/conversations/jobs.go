package conversations

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/socialinzen/socialinzen/internal/jobs"
)

// CleanupArgs is the periodic job that trims the live stream's event log.
type CleanupArgs struct{}

// Kind names the job.
func (CleanupArgs) Kind() string { return "live_events_cleanup" }

type cleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	h *Hub
}

// Work deletes events past the log's retention; running twice is harmless.
func (w *cleanupWorker) Work(ctx context.Context, _ *river.Job[CleanupArgs]) error {
	return w.h.Cleanup(ctx)
}

// RegisterJobs registers the log's cleanup, once a minute across every process.
func RegisterJobs(q *jobs.Queue, h *Hub) error {
	if err := jobs.Register(q, &cleanupWorker{h: h}); err != nil {
		return err
	}
	return q.Periodic("live_events_cleanup", jobs.Every(time.Minute), false, func() (river.JobArgs, *river.InsertOpts) {
		return CleanupArgs{}, nil
	})
}

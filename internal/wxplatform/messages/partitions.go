package messages

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/jobs"
)

// PartitionsAhead is how many months after the current one have their wx_messages partition ready.
const PartitionsAhead = 3

// Partitions keeps wx_messages' monthly partitions (migration 00140): the coming months created ahead, and,
// with a retention, the months whose every message is older than it dropped whole.
type Partitions struct {
	db        *gorm.DB
	retention time.Duration // 0 keeps every month
	now       func() time.Time
	log       *slog.Logger
}

// NewPartitions builds the maintenance; retention 0 keeps every message.
func NewPartitions(db *gorm.DB, retention time.Duration, log *slog.Logger) *Partitions {
	if log == nil {
		log = slog.Default()
	}
	return &Partitions{db: db, retention: retention, now: time.Now, log: log.With("component", "messages")}
}

// Maintain creates the partitions of the current month and the PartitionsAhead next ones, and drops the
// months that ended before now - retention. It answers the names dropped.
func (p *Partitions) Maintain(ctx context.Context) (dropped []string, err error) {
	now := p.now()
	var made int
	if err := p.db.WithContext(ctx).Raw(`SELECT wx_messages_ensure_partitions(?, ?)`, now.Unix(),
		now.AddDate(0, PartitionsAhead, 0).Unix()).
		Scan(&made).Error; err != nil {
		return nil, fmt.Errorf("create message partitions: %w", err)
	}
	if p.retention > 0 {
		if err := p.db.WithContext(ctx).Raw(`SELECT * FROM wx_messages_drop_partitions(?)`, now.Add(-p.retention).Unix()).
			Scan(&dropped).Error; err != nil {
			return nil, fmt.Errorf("drop old message partitions: %w", err)
		}
	}
	if made > 0 || len(dropped) > 0 {
		p.log.Info("messages: partitions maintained", "created", made, "dropped", dropped)
	}
	return dropped, nil
}

// PartitionsArgs is the periodic job of partition maintenance.
type PartitionsArgs struct{}

// Kind names the job.
func (PartitionsArgs) Kind() string { return "messages_partitions" }

type partitionsWorker struct {
	river.WorkerDefaults[PartitionsArgs]
	p *Partitions
}

func (w *partitionsWorker) Work(ctx context.Context, _ *river.Job[PartitionsArgs]) error {
	_, err := w.p.Maintain(ctx)
	return err
}

// RegisterJobs runs Maintain at start and every 6 hours, once across all processes.
func (p *Partitions) RegisterJobs(q *jobs.Queue) error {
	if err := jobs.Register(q, &partitionsWorker{p: p}); err != nil {
		return err
	}
	return q.Periodic("messages_partitions", jobs.Every(6*time.Hour), true, func() (river.JobArgs, *river.InsertOpts) {
		return PartitionsArgs{}, nil
	})
}

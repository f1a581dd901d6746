// Package jobs is the console's background work: a River job queue (github.com/riverqueue/river) in the
// console's own Postgres. Jobs survive restarts, are retried with backoff when they fail, can be unique
// (one per account at a time) or periodic (once across every process, enqueued by River's elected leader),
// and can be enqueued inside a GORM transaction so that they exist only if the transaction commits.
//
// River's tables are created by db.Migrate, under the same advisory lock as our goose migrations (so at
// start-up, by `console migrate`, and in every dbtest database).
//
// # Lifecycle
//
// internal/app makes one *Queue per process before the services, hands it to every capability's
// constructor, which registers its workers and periodic jobs, then calls Start once everything is wired.
// Registering after Start fails with ErrFrozen. App.Close stops the queue first (no more fetching; running
// jobs get Options.StopTimeout to finish, then their contexts are cancelled) and only then closes the
// services and the database.
//
// # Adding a job to a capability
//
// A job is an args type (its JSON is the job's row; keep it small, ids not objects, never secrets) and a
// worker. Kinds are snake_case and stable: renaming one strands the jobs already queued.
//
//	// in internal/wxplatform/stats
//	type RefreshArgs struct {
//		AppID string `json:"appid" river:"unique"` // the unique key: one refresh per account at a time
//	}
//
//	func (RefreshArgs) Kind() string { return "stats_refresh" }
//
//	// InsertOpts applies to every insert of this kind: unique while queued or running.
//	func (RefreshArgs) InsertOpts() river.InsertOpts {
//		return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
//	}
//
//	type refreshWorker struct {
//		river.WorkerDefaults[RefreshArgs]
//		svc *Service
//	}
//
//	// Work must be idempotent: a job may run again after a crash or a retry. Return an error to retry
//	// later (with backoff), river.JobCancel(err) to give up for good, river.JobSnooze(d) to come back.
//	func (w *refreshWorker) Work(ctx context.Context, job *river.Job[RefreshArgs]) error {
//		return w.svc.refresh(ctx, job.Args.AppID)
//	}
//
//	// Timeout overrides Options.JobTimeout for this kind (-1: no timeout).
//	func (w *refreshWorker) Timeout(*river.Job[RefreshArgs]) time.Duration { return 10 * time.Minute }
//
//	func NewService(db *gorm.DB, q *jobs.Queue) (*Service, error) {
//		s := &Service{db: db, jobs: q}
//		if err := jobs.Register(q, &refreshWorker{svc: s}); err != nil {
//			return nil, err
//		}
//		// Every day at 08:30 Beijing time, and every 10 minutes, across all processes together:
//		sh, _ := time.LoadLocation("Asia/Shanghai") // embed time/tzdata in main for minimal images
//		if err := q.Periodic("stats_daily", jobs.DailyAt(8, 30, sh), false, func() (river.JobArgs, *river.InsertOpts) {
//			return DailyArgs{}, nil
//		}); err != nil {
//			return nil, err
//		}
//		if err := q.Periodic("stats_poll", jobs.Every(10*time.Minute), true, func() (river.JobArgs, *river.InsertOpts) {
//			return PollArgs{}, nil
//		}); err != nil {
//			return nil, err
//		}
//		return s, nil
//	}
//
// # Enqueueing
//
// Outside a transaction:
//
//	res, err := s.jobs.Enqueue(ctx, RefreshArgs{AppID: appid}, nil)
//	// res.UniqueSkippedAsDuplicate is true when an equal unique job is already queued or running.
//
// Inside a GORM transaction, the job commits or rolls back with the rows written beside it (the
// transactional outbox without an outbox: a broadcast row and the job that sends it appear together):
//
//	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
//		if err := tx.Create(&row).Error; err != nil {
//			return err
//		}
//		_, err := s.jobs.EnqueueTx(ctx, tx, SendArgs{BroadcastID: row.ID}, nil)
//		return err
//	})
//
// EnqueueTx inserts through River's database/sql driver on the very *sql.Tx under GORM (GORM runs on
// database/sql over pgx), so it is the same Postgres transaction; it refuses a *gorm.DB that is not in a
// transaction (ErrNoTransaction). Services take the Enqueuer interface when they only enqueue.
//
// # Rules
//
//   - Never call WeChat inside the transaction that enqueues; call it from the job.
//   - Persist progress in your own tables when a job is long (see followers' sync): a restarted job resumes
//     from there instead of starting over.
//   - Tests: jobstest.New(t, gdb, dsn) on dbtest.NewWithURL(t); register, Start, enqueue, and assert on
//     what the job did in the database.
package jobs

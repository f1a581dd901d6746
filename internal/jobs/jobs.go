package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"
)

// ErrNoTransaction means EnqueueTx was given a *gorm.DB that is not inside a transaction.
var ErrNoTransaction = errors.New("jobs: EnqueueTx needs a *gorm.DB inside a transaction")

// ErrFrozen means a worker, periodic job or queue was registered after the queue was built.
var ErrFrozen = errors.New("jobs: register workers and periodic jobs before the queue starts")

// Enqueuer is what a service needs to put work on the queue. *Queue implements it.
type Enqueuer interface {
	// Enqueue inserts a job now, outside any transaction.
	Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// EnqueueTx inserts a job inside tx, a GORM transaction: the job exists only if tx commits.
	EnqueueTx(ctx context.Context, tx *gorm.DB, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Options configures a Queue.
type Options struct {
	// DSN is the database the jobs live in (DATABASE_URL); the queue opens its own pgx pool on it.
	DSN string
	// SQLDB is the GORM pool on the same database, used to insert jobs inside GORM transactions.
	SQLDB *sql.DB
	// Logger receives River's warnings and errors, and failed jobs.
	Logger *slog.Logger
	// MaxWorkers bounds the jobs one process works at once in the default queue (default 10).
	MaxWorkers int
	// MaxConns bounds the queue's pgx pool (default MaxWorkers + 4: one listener, the leader's maintenance).
	MaxConns int32
	// JobTimeout bounds one run of a job unless its worker says otherwise with Timeout (default 5 min).
	JobTimeout time.Duration
	// StopTimeout is how long Stop lets running jobs finish before cancelling them (default 30 s).
	StopTimeout time.Duration
	// FetchPollInterval is how often the queue looks for jobs when no notification came (default 1 s;
	// tests make it shorter).
	FetchPollInterval time.Duration
}

// Queue is one process's River client: the registry of workers and periodic jobs, and the enqueueing API.
// Register everything, then Start; Stop before the database closes.
type Queue struct {
	opts Options
	log  *slog.Logger
	pool *pgxpool.Pool

	mu       sync.Mutex
	workers  *river.Workers
	nworkers int
	periodic []*river.PeriodicJob
	ids      map[string]bool
	queues   map[string]river.QueueConfig
	built    bool
	client   *river.Client[pgx.Tx]
	txClient *river.Client[*sql.Tx] // insert-only, over database/sql, for EnqueueTx
	started  bool
	stopOnce sync.Once
	stopping chan struct{}
}

var _ Enqueuer = (*Queue)(nil)

// New opens the queue's pgx pool; nothing runs until Start.
func New(ctx context.Context, opts Options) (*Queue, error) {
	if opts.SQLDB == nil {
		return nil, errors.New("jobs: Options.SQLDB is required")
	}
	if opts.MaxWorkers <= 0 {
		opts.MaxWorkers = 10
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = int32(opts.MaxWorkers) + 4
	}
	if opts.JobTimeout <= 0 {
		opts.JobTimeout = 5 * time.Minute
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 30 * time.Second
	}
	if opts.FetchPollInterval <= 0 {
		opts.FetchPollInterval = time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(opts.DSN)
	if err != nil {
		return nil, fmt.Errorf("jobs: parse database url: %w", err)
	}
	cfg.MaxConns = opts.MaxConns
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: open pool: %w", err)
	}
	return &Queue{opts: opts, log: log, pool: pool, workers: river.NewWorkers(), ids: map[string]bool{}, stopping: make(chan struct{}),
		queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.MaxWorkers}}}, nil
}

// Register adds the worker of one job kind. Call it before Start; a kind registered twice is an error.
func Register[T river.JobArgs](q *Queue, w river.Worker[T]) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.built {
		return ErrFrozen
	}
	if err := river.AddWorkerSafely(q.workers, w); err != nil {
		return fmt.Errorf("jobs: register: %w", err)
	}
	q.nworkers++
	return nil
}

// Periodic enqueues the job make returns on every tick of sched, once across every process sharing the
// database (River's elected leader enqueues). id names the periodic job and must be unique. With runOnStart
// a job is also enqueued when a leader starts, a hedge for long schedules. make may return nil args to skip.
func (q *Queue) Periodic(id string, sched Schedule, runOnStart bool, make func() (river.JobArgs, *river.InsertOpts)) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.built {
		return ErrFrozen
	}
	if id == "" || q.ids[id] {
		return fmt.Errorf("jobs: periodic job id %q is empty or taken", id)
	}
	q.ids[id] = true
	q.periodic = append(q.periodic, river.NewPeriodicJob(sched, river.PeriodicJobConstructor(make),
		&river.PeriodicJobOpts{ID: id, RunOnStart: runOnStart}))
	return nil
}

// AddQueue declares a named queue with its own concurrency, for jobs that set InsertOpts.Queue (e.g. a
// slow kind that must not starve the default queue).
func (q *Queue) AddQueue(name string, maxWorkers int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.built {
		return ErrFrozen
	}
	q.queues[name] = river.QueueConfig{MaxWorkers: maxWorkers}
	return nil
}

// build freezes the registry and makes the clients. Enqueueing builds too, so a job may be enqueued before
// Start (it waits in the table until a client works it).
func (q *Queue) build() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.built {
		if q.client == nil {
			return errors.New("jobs: the queue failed to build")
		}
		return nil
	}
	q.built = true
	riverLog := slog.New(warnOnly{q.log.Handler()})
	cfg := &river.Config{
		Logger:            riverLog,
		Workers:           q.workers,
		PeriodicJobs:      q.periodic,
		JobTimeout:        q.opts.JobTimeout,
		SoftStopTimeout:   q.opts.StopTimeout,
		FetchPollInterval: q.opts.FetchPollInterval,
		ErrorHandler:      &errorLogger{log: q.log},
		MaxAttempts:       10,
	}
	if cfg.FetchPollInterval < 100*time.Millisecond {
		cfg.FetchCooldown = cfg.FetchPollInterval
	}
	if q.nworkers > 0 {
		cfg.Queues = q.queues
	}
	client, err := river.NewClient(riverpgxv5.New(q.pool), cfg)
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	txClient, err := river.NewClient(riverdatabasesql.New(q.opts.SQLDB), &river.Config{Logger: riverLog, Workers: q.workers, MaxAttempts: 10})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	q.client, q.txClient = client, txClient
	return nil
}

// Start freezes the registry and starts working jobs. Jobs keep running on a context of their own: Stop
// ends them, not ctx.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.build(); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.nworkers == 0 || q.started {
		return nil
	}
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	q.started = true
	return nil
}

// Stop stops fetching jobs and lets running ones finish (at most StopTimeout, then their contexts are
// cancelled), then closes the pool. Call it before the database closes; it is safe to call more than once.
func (q *Queue) Stop(ctx context.Context) error {
	var err error
	q.stopOnce.Do(func() {
		close(q.stopping)
		q.mu.Lock()
		started := q.started
		q.mu.Unlock()
		if started {
			err = q.client.Stop(ctx)
			if err != nil {
				q.log.Warn("jobs: stop", "err", err)
				err = q.client.StopAndCancel(context.Background())
			}
		}
		q.pool.Close()
	})
	return err
}

// Stopping is closed when Stop begins. A long job selects on it to save its place and return early
// (river.JobSnooze(0) makes it available again at once, without spending an attempt), rather than hold
// the shutdown for StopTimeout.
func (q *Queue) Stopping() <-chan struct{} { return q.stopping }

// Enqueue inserts a job outside any transaction.
func (q *Queue) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if err := q.build(); err != nil {
		return nil, err
	}
	res, err := q.client.Insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

// EnqueueTx inserts a job inside tx, a GORM transaction (the *gorm.DB given to db.Transaction's function,
// or returned by Begin): the job is visible to workers only once tx commits, and vanishes if it rolls back.
func (q *Queue) EnqueueTx(ctx context.Context, tx *gorm.DB, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if err := q.build(); err != nil {
		return nil, err
	}
	sqlTx, err := sqlTxOf(tx)
	if err != nil {
		return nil, err
	}
	res, err := q.txClient.InsertTx(ctx, sqlTx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

// sqlTxOf finds the *sql.Tx under a GORM transaction.
func sqlTxOf(tx *gorm.DB) (*sql.Tx, error) {
	if tx == nil || tx.Statement == nil {
		return nil, ErrNoTransaction
	}
	switch p := tx.Statement.ConnPool.(type) {
	case *sql.Tx:
		return p, nil
	case *gorm.PreparedStmtTX:
		if t, ok := p.Tx.(*sql.Tx); ok {
			return t, nil
		}
	}
	return nil, ErrNoTransaction
}

// Pool answers the queue's pgx pool (for tests and tools that read River's tables).
func (q *Queue) Pool() *pgxpool.Pool { return q.pool }

// Subscribe answers a channel of job events (completed, failed, …) of this process, for tests and metrics.
// It must be called after Start.
func (q *Queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return q.client.Subscribe(kinds...)
}

// errorLogger logs a failed run once, with the kind and attempt, never the args (they may name people).
type errorLogger struct{ log *slog.Logger }

func (h *errorLogger) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.log.WarnContext(ctx, "job failed", "kind", job.Kind, "job_id", job.ID, "attempt", job.Attempt,
		"max_attempts", job.MaxAttempts, "err", err)
	return nil
}

func (h *errorLogger) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.log.ErrorContext(ctx, "job panicked", "kind", job.Kind, "job_id", job.ID, "attempt", job.Attempt,
		"panic", fmt.Sprint(panicVal), "trace", trace)
	return nil
}

// warnOnly keeps River's warnings and errors; River logs every routine step at info.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(as)} }
func (h warnOnly) WithGroup(name string) slog.Handler    { return warnOnly{h.Handler.WithGroup(name)} }

package jobs_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/jobs/jobstest"
)

type greetArgs struct {
	Name string `json:"name"`
}

func (greetArgs) Kind() string { return "test_greet" }

// greetWorker records each greeting in a table, so the test checks what a user would: the effect.
type greetWorker struct {
	river.WorkerDefaults[greetArgs]
	db *gorm.DB
}

func (w *greetWorker) Work(ctx context.Context, job *river.Job[greetArgs]) error {
	return w.db.WithContext(ctx).Exec(`INSERT INTO greetings (name) VALUES (?)`, job.Args.Name).Error
}

func setup(t *testing.T) (*gorm.DB, *jobs.Queue) {
	t.Helper()
	gdb, dsn := dbtest.NewWithURL(t)
	require.NoError(t, gdb.Exec(`CREATE TABLE greetings (name text NOT NULL)`).Error)
	q := jobstest.New(t, gdb, dsn)
	require.NoError(t, jobs.Register(q, &greetWorker{db: gdb}))
	return gdb, q
}

// waitFor polls cond on the database; it bounds the wait generously and asserts nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(t *testing.T, gdb *gorm.DB, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, gdb.Raw(q, args...).Scan(&n).Error)
	return n
}

func TestEnqueueIsWorked(t *testing.T) {
	t.Parallel()
	gdb, q := setup(t)
	ctx := context.Background()
	require.NoError(t, q.Start(ctx))
	_, err := q.Enqueue(ctx, greetArgs{Name: "ada"}, nil)
	require.NoError(t, err)
	waitFor(t, "the greeting", func() bool { return count(t, gdb, `SELECT count(*) FROM greetings WHERE name = 'ada'`) == 1 })
	waitFor(t, "the job completed", func() bool {
		return count(t, gdb, `SELECT count(*) FROM river_job WHERE kind = 'test_greet' AND state = 'completed'`) == 1
	})
}

func TestEnqueueTxFollowsTheTransaction(t *testing.T) {
	t.Parallel()
	gdb, q := setup(t)
	ctx := context.Background()

	rollback := errors.New("changed my mind")
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		require.NoError(t, tx.Exec(`INSERT INTO greetings (name) VALUES ('in-tx')`).Error)
		res, err := q.EnqueueTx(ctx, tx, greetArgs{Name: "rolled-back"}, nil)
		require.NoError(t, err)
		require.NotZero(t, res.Job.ID)
		// Inside the transaction the job is there…
		require.Equal(t, 1, count(t, tx, `SELECT count(*) FROM river_job WHERE args->>'name' = 'rolled-back'`))
		return rollback
	})
	require.ErrorIs(t, err, rollback)
	// …and after the rollback it never was: no job row, no greeting.
	require.Zero(t, count(t, gdb, `SELECT count(*) FROM river_job`))

	require.NoError(t, gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, err := q.EnqueueTx(ctx, tx, greetArgs{Name: "committed"}, nil)
		return err
	}))
	require.Equal(t, 1, count(t, gdb, `SELECT count(*) FROM river_job WHERE args->>'name' = 'committed'`))

	require.NoError(t, q.Start(ctx))
	waitFor(t, "the committed job's greeting", func() bool {
		return count(t, gdb, `SELECT count(*) FROM greetings WHERE name = 'committed'`) == 1
	})
	require.Zero(t, count(t, gdb, `SELECT count(*) FROM greetings WHERE name IN ('rolled-back', 'in-tx')`))
}

func TestEnqueueTxRefusesAPlainHandle(t *testing.T) {
	t.Parallel()
	gdb, q := setup(t)
	_, err := q.EnqueueTx(context.Background(), gdb, greetArgs{Name: "x"}, nil)
	require.ErrorIs(t, err, jobs.ErrNoTransaction)
}

func TestUniqueJobsAreNotDuplicated(t *testing.T) {
	t.Parallel()
	gdb, q := setup(t)
	ctx := context.Background()
	opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
	first, err := q.Enqueue(ctx, greetArgs{Name: "once"}, opts)
	require.NoError(t, err)
	require.False(t, first.UniqueSkippedAsDuplicate)
	second, err := q.Enqueue(ctx, greetArgs{Name: "once"}, opts)
	require.NoError(t, err)
	require.True(t, second.UniqueSkippedAsDuplicate)
	require.Equal(t, first.Job.ID, second.Job.ID)
	other, err := q.Enqueue(ctx, greetArgs{Name: "other"}, opts)
	require.NoError(t, err)
	require.False(t, other.UniqueSkippedAsDuplicate, "different args are a different job")
	require.Equal(t, 2, count(t, gdb, `SELECT count(*) FROM river_job`))
}

func TestPeriodicJobRuns(t *testing.T) {
	t.Parallel()
	gdb, q := setup(t)
	ctx := context.Background()
	require.NoError(t, q.Periodic("greet-every-10m", jobs.Every(10*time.Minute), true, func() (river.JobArgs, *river.InsertOpts) {
		return greetArgs{Name: "periodic"}, nil
	}))
	require.Error(t, q.Periodic("greet-every-10m", jobs.Every(time.Hour), false, nil), "ids are unique")
	require.NoError(t, q.Start(ctx))
	waitFor(t, "the periodic job's greeting", func() bool {
		return count(t, gdb, `SELECT count(*) FROM greetings WHERE name = 'periodic'`) >= 1
	})
}

func TestRegisteringAfterStartIsRefused(t *testing.T) {
	t.Parallel()
	_, q := setup(t)
	require.NoError(t, q.Start(context.Background()))
	require.ErrorIs(t, jobs.Register(q, &greetWorker{}), jobs.ErrFrozen)
	require.ErrorIs(t, q.Periodic("late", jobs.Every(time.Hour), false, nil), jobs.ErrFrozen)
}

type blockArgs struct{}

func (blockArgs) Kind() string { return "test_block" }

type blockWorker struct {
	river.WorkerDefaults[blockArgs]
	started  chan struct{}
	release  chan struct{}
	finished atomic.Bool
}

func (w *blockWorker) Work(ctx context.Context, job *river.Job[blockArgs]) error {
	close(w.started)
	select {
	case <-w.release:
		w.finished.Store(true)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop lets a running job finish rather than cutting it off.
func TestStopLetsRunningJobsFinish(t *testing.T) {
	t.Parallel()
	gdb, dsn := dbtest.NewWithURL(t)
	q := jobstest.New(t, gdb, dsn)
	w := &blockWorker{started: make(chan struct{}), release: make(chan struct{})}
	require.NoError(t, jobs.Register(q, w))
	ctx := context.Background()
	require.NoError(t, q.Start(ctx))
	res, err := q.Enqueue(ctx, blockArgs{}, nil)
	require.NoError(t, err)
	<-w.started
	stopped := make(chan error, 1)
	go func() { stopped <- q.Stop(ctx) }()
	close(w.release)
	require.NoError(t, <-stopped)
	require.True(t, w.finished.Load())
	var state string
	require.NoError(t, gdb.Raw(`SELECT state FROM river_job WHERE id = ?`, res.Job.ID).Scan(&state).Error)
	require.Equal(t, string(rivertype.JobStateCompleted), state)
}

func TestDailyAt(t *testing.T) {
	t.Parallel()
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	cases := []struct {
		name string
		s    jobs.Schedule
		now  time.Time
		want time.Time
	}{
		{"later today", jobs.DailyAt(8, 30, sh), time.Date(2026, 5, 1, 6, 0, 0, 0, sh), time.Date(2026, 5, 1, 8, 30, 0, 0, sh)},
		{"exactly now runs tomorrow", jobs.DailyAt(8, 30, sh), time.Date(2026, 5, 1, 8, 30, 0, 0, sh), time.Date(2026, 5, 2, 8, 30, 0, 0, sh)},
		{"now given in UTC", jobs.DailyAt(8, 30, sh), time.Date(2026, 5, 1, 1, 0, 0, 0, time.UTC), time.Date(2026, 5, 2, 8, 30, 0, 0, sh)},
		{"keeps wall clock across DST", jobs.DailyAt(8, 30, ny), time.Date(2026, 3, 7, 9, 0, 0, 0, ny), time.Date(2026, 3, 8, 8, 30, 0, 0, ny)},
		{"end of month", jobs.DailyAt(0, 5, time.UTC), time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 5, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.s.Next(c.now)
			require.True(t, got.Equal(c.want), "got %v want %v", got, c.want)
		})
	}
}

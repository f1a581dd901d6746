package followers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/sync/semaphore"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// Options wire a Service. WeChat and Jobs are required.
type Options struct {
	WeChat WeChat
	// Jobs runs the syncs: NewService registers the follower_sync worker and the periodic
	// follower_sync_resume on it, so it must not be started yet.
	Jobs   *jobs.Queue
	Logger *slog.Logger
	// SyncConcurrency bounds the user/info/batchget calls (each followed by its upsert) that the syncs of
	// this process make at once, all accounts together, so syncs never take the whole connection pool
	// (default 6).
	SyncConcurrency int
	// Lease is how long a sync claimed by a process stays its own without a heartbeat; past it another
	// process may take the sync over and resume it (default 30 s). Heartbeats come every Lease/3.
	Lease time.Duration
	// RunBudget bounds one run of a sync job (default 2 min): then, at a page boundary, the job snoozes
	// and the next run goes on from the saved cursor, so no run outlives River's stuck-job rescue.
	RunBudget time.Duration
}

// Service is the followers and groups capability.
type Service struct {
	db    *gorm.DB
	store store
	wx    WeChat
	log   *slog.Logger
	opts  Options
	proc  string // this process, in the owner of the syncs it runs

	jobs   *jobs.Queue
	work   *semaphore.Weighted // SyncConcurrency slots shared by every sync of the process
	ctx    context.Context     // syncs run under it; Close cancels it
	cancel context.CancelFunc
}

// NewService builds the service and registers its jobs on opts.Jobs. Missing dependencies or a queue
// already started are wiring mistakes: it panics. Close interrupts the syncs this process runs.
func NewService(db *gorm.DB, opts Options) *Service {
	if opts.WeChat == nil || opts.Jobs == nil {
		panic("followers: Options.WeChat and Options.Jobs are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SyncConcurrency <= 0 {
		opts.SyncConcurrency = 6
	}
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.RunBudget <= 0 {
		opts.RunBudget = 2 * time.Minute
	}
	host, _ := os.Hostname()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{db: db, store: store{db: db}, wx: opts.WeChat, log: opts.Logger, opts: opts, jobs: opts.Jobs,
		proc: fmt.Sprintf("%s/%d", host, os.Getpid()), work: semaphore.NewWeighted(int64(opts.SyncConcurrency)),
		ctx: ctx, cancel: cancel}
	if err := jobs.Register(opts.Jobs, &syncWorker{s: s}); err != nil {
		panic("followers: " + err.Error())
	}
	if err := jobs.Register(opts.Jobs, river.WorkFunc(func(ctx context.Context, _ *river.Job[resumeArgs]) error {
		return s.ResumeStale(ctx)
	})); err != nil {
		panic("followers: " + err.Error())
	}
	// A process that died mid-sync leaves its claim without heartbeats: every lease period, one process
	// claims such syncs and enqueues their resumption.
	if err := opts.Jobs.Periodic("follower_sync_resume", jobs.Every(opts.Lease), true, func() (river.JobArgs, *river.InsertOpts) {
		return resumeArgs{}, nil
	}); err != nil {
		panic("followers: " + err.Error())
	}
	return s
}

// Close interrupts the syncs this process runs: their jobs save their place and snooze, and the next run
// (here after a restart, or in another process) goes on from there.
func (s *Service) Close() {
	s.cancel()
}

// account is what the service needs of an official account.
type account struct {
	ID    int64
	AppID string
}

func ref(a *accounts.Account) account { return account{ID: a.ID, AppID: a.AppID} }

func newID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// safeMessage is what an operator may read of a failure: WeChat's code and text, an apperr's message, or
// a pointer to the log.
func safeMessage(err error) string {
	var wx apperr.WeChatError
	if errors.As(err, &wx) {
		msg := fmt.Sprintf("WeChat error %d: %s", wx.WeChatCode(), wx.WeChatMsg())
		if ex := wx.Explanation(); ex != "" {
			msg = ex + " (" + msg + ")"
		}
		return msg
	}
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind != apperr.Internal {
		return ae.Msg
	}
	return "internal error (see the console's log)"
}

package followers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// Options wire a Service. WeChat is required.
type Options struct {
	WeChat WeChat
	Logger *slog.Logger
	// SyncConcurrency bounds the user/info/batchget calls (each followed by its upsert) that the syncs of
	// this process make at once, all accounts together, so syncs never take the whole connection pool
	// (default 6).
	SyncConcurrency int
	// Lease is how long a sync claimed by a process stays its own without a heartbeat; past it another
	// process may take the sync over and resume it (default 30 s). Heartbeats come every Lease/3.
	Lease time.Duration
}

// Service is the followers and groups capability.
type Service struct {
	db    *gorm.DB
	store store
	wx    WeChat
	log   *slog.Logger
	opts  Options
	proc  string // this process, in the owner of the syncs it runs

	work   *semaphore.Weighted // SyncConcurrency slots shared by every sync of the process
	ctx    context.Context     // syncs run under it; Close cancels it
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewService builds the service. Close stops its background syncs.
func NewService(db *gorm.DB, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.SyncConcurrency <= 0 {
		opts.SyncConcurrency = 6
	}
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	host, _ := os.Hostname()
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{db: db, store: store{db: db}, wx: opts.WeChat, log: opts.Logger, opts: opts,
		proc: fmt.Sprintf("%s/%d", host, os.Getpid()), work: semaphore.NewWeighted(int64(opts.SyncConcurrency)),
		ctx: ctx, cancel: cancel}
}

// Close stops the syncs this process runs and waits for them. A stopped sync stays "running" in Postgres
// until its lease ends; then any process resumes it where it stopped (see Worker).
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
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

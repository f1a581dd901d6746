package followers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// Sync states (contract §7).
const (
	StateIdle    = "idle"
	StateRunning = "running"
	StateDone    = "done"
	StateFailed  = "failed"
)

// SyncStatus is where an account's follower sync stands.
type SyncStatus struct {
	State      string     `json:"state"`
	Done       int        `json:"done"`
	Total      int        `json:"total"`
	Error      string     `json:"error,omitempty"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
}

// StartSync starts a sync of the account's followers as a job, unless one is running already (in any
// process), and answers the sync's status. A sync left by a process that stopped (its lease ran out) or
// that failed is resumed from the last page it stored; a finished one starts afresh.
func (s *Service) StartSync(ctx context.Context, a *accounts.Account) (SyncStatus, error) {
	if _, err := s.claimAndEnqueue(ctx, ref(a)); err != nil {
		return SyncStatus{}, err
	}
	return s.SyncStatus(ctx, a)
}

// SyncStatus answers the account's sync status (idle before the first sync).
func (s *Service) SyncStatus(ctx context.Context, a *accounts.Account) (SyncStatus, error) {
	return s.syncs().status(ctx, a.ID)
}

// ResumeStale claims every sync whose lease ran out (its process died) and enqueues a job to resume it.
// The periodic job follower_sync_resume runs it every lease period, once across all processes.
func (s *Service) ResumeStale(ctx context.Context) error {
	stale, err := s.syncs().stale(ctx, s.opts.Lease)
	if err != nil {
		return err
	}
	for _, acct := range stale {
		c, err := s.claimAndEnqueue(ctx, acct)
		if err != nil {
			return err
		}
		if c != nil {
			s.log.InfoContext(ctx, "resuming follower sync", "appid", acct.AppID, "from", c.cursor, "done", c.done)
		}
	}
	return nil
}

// claimAndEnqueue claims the account's sync and, in the same transaction, enqueues the job that runs the
// claim: both happen or neither. nil when another owner holds a live lease.
func (s *Service) claimAndEnqueue(ctx context.Context, acct account) (*claim, error) {
	var got *claim
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := syncStore{db: tx}.claim(ctx, acct.ID, s.owner(), s.opts.Lease)
		if err != nil || c == nil {
			return err
		}
		if _, err := s.jobs.EnqueueTx(ctx, tx, SyncArgs{AccountID: acct.ID, AppID: acct.AppID, Owner: c.owner, Gen: c.gen}, nil); err != nil {
			return fmt.Errorf("enqueue follower sync: %w", err)
		}
		got = c
		return nil
	})
	return got, err
}

func (s *Service) owner() string { return s.proc + "/" + newID() }

func (s *Service) syncs() syncStore { return syncStore{db: s.db} }

// SyncArgs is the job that runs one claimed sync (kind follower_sync). Its owner and gen name the claim:
// the job works only while the claim is still the account's, so a job superseded by a resume (its process
// died and another claimed the sync) ends without writing anything.
type SyncArgs struct {
	AccountID int64  `json:"account_id" river:"unique"`
	AppID     string `json:"appid"`
	Owner     string `json:"owner" river:"unique"`
	Gen       int64  `json:"gen" river:"unique"`
}

// Kind names the job.
func (SyncArgs) Kind() string { return "follower_sync" }

// InsertOpts makes a claim's job unique: enqueueing the same claim twice adds one job. One sync per account
// at a time is the claim's own guarantee (wx_follower_syncs), which holds across processes and restarts.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type resumeArgs struct{}

func (resumeArgs) Kind() string { return "follower_sync_resume" }

func (resumeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: time.Second}}
}

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	s *Service
}

// Timeout: a run is bounded by Options.RunBudget (then the job snoozes and continues), never cut here.
func (w *syncWorker) Timeout(*river.Job[SyncArgs]) time.Duration {
	return w.s.opts.RunBudget + 5*time.Minute
}

// Work runs a slice of the sync (at most RunBudget). When the queue is stopping, or the budget is spent,
// the sync's cursor is already saved and the job snoozes: the next run, in whichever process, goes on
// from there.
func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	s := w.s
	acct := account{ID: job.Args.AccountID, AppID: job.Args.AppID}
	c, err := s.syncs().own(ctx, acct.ID, job.Args.Owner, job.Args.Gen)
	if err != nil {
		return err
	}
	if c == nil {
		return nil // superseded, finished or failed meanwhile
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopWatch := context.AfterFunc(s.ctx, cancel)
	defer stopWatch()
	go func() {
		select {
		case <-s.jobs.Stopping():
			cancel()
		case <-runCtx.Done():
		}
	}()
	var out outcome
	func() {
		defer func() {
			if r := recover(); r != nil {
				s.log.ErrorContext(ctx, "follower sync crashed", "appid", acct.AppID, "panic", fmt.Sprint(r))
				s.finish(acct, *c, StateFailed, 0, 0, errors.New("crashed"))
				out = outcomeEnded
			}
		}()
		out = s.run(runCtx, acct, *c)
	}()
	if out == outcomePaused {
		return river.JobSnooze(0)
	}
	return nil
}

// outcome is how a run of a sync ended.
type outcome int

const (
	outcomeEnded  outcome = iota // done, failed or lost: nothing more for this job
	outcomePaused                // interrupted or out of budget, progress saved: run again
)

// run performs a claimed sync: the blacklist first (so each follower is stored with it), then user/get
// page by page from the claim's cursor, each page's openids read 100 at a time by user/info/batchget with
// bounded concurrency and upserted; the cursor is saved after each page. At the end the followers this
// sync did not see are marked unsubscribed. A run stops after RunBudget at a page boundary.
func (s *Service) run(parent context.Context, acct account, c claim) outcome {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var done atomic.Int64
	done.Store(int64(c.done))
	var lost atomic.Bool
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		s.heartbeat(ctx, acct, c, &done, &lost, cancel)
	}()
	total, err := s.pages(ctx, acct, c, &done, time.Now().Add(s.opts.RunBudget))
	cancel()
	<-hbDone
	if errors.Is(err, errLeaseLost) {
		lost.Store(true)
	}
	switch {
	case lost.Load():
		s.log.WarnContext(ctx, "follower sync lost its lease to another process", "appid", acct.AppID)
		return outcomeEnded
	case errors.Is(err, errBudget):
		return outcomePaused
	case parent.Err() != nil:
		s.log.InfoContext(ctx, "follower sync interrupted; it resumes from its last page", "appid", acct.AppID)
		return outcomePaused
	case err != nil:
		s.log.WarnContext(ctx, "follower sync failed", "appid", acct.AppID, "err", err)
		s.finish(acct, c, StateFailed, int(done.Load()), total, err)
	default:
		s.finish(acct, c, StateDone, int(done.Load()), total, nil)
	}
	return outcomeEnded
}

// errBudget ends a run at a page boundary once its budget is spent; the cursor is saved.
var errBudget = errors.New("follower sync: run budget spent")

func (s *Service) heartbeat(ctx context.Context, acct account, c claim, done *atomic.Int64, lost *atomic.Bool, cancel context.CancelFunc) {
	t := time.NewTicker(max(s.opts.Lease/3, 50*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := s.syncs().beat(ctx, acct.ID, c, int(done.Load()))
		if err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "follower sync heartbeat", "appid", acct.AppID, "err", err)
			}
			continue
		}
		if !ok {
			lost.Store(true)
			cancel()
			return
		}
	}
}

// pages walks user/get from the claim's cursor; it answers WeChat's total.
func (s *Service) pages(ctx context.Context, acct account, c claim, done *atomic.Int64, budget time.Time) (int, error) {
	blacklist, err := s.blacklist(ctx, acct.AppID)
	if err != nil {
		return 0, err
	}
	cursor, restarted, total := c.cursor, false, 0
	for {
		p, err := s.wx.Followers(ctx, acct.AppID, cursor)
		if wxclient.Code(err) == wxclient.CodeInvalidOpenID && cursor != "" && !restarted {
			// The follower the cursor names left meanwhile: WeChat no longer pages from them. Start over;
			// the rows already stored are simply written again.
			s.log.InfoContext(ctx, "follower sync cursor is gone, starting over", "appid", acct.AppID)
			cursor, restarted = "", true
			done.Store(0)
			continue
		}
		if err != nil {
			return total, fmt.Errorf("list followers: %w", err)
		}
		total = p.Total
		ids := pageIDs(p)
		if len(ids) == 0 {
			break
		}
		if err := s.syncs().progress(ctx, acct.ID, c, int(done.Load()), total, "", false); err != nil {
			return total, err
		}
		if err := s.storePage(ctx, acct, c.gen, ids, blacklist, done); err != nil {
			return total, err
		}
		if p.NextOpenID == "" || p.NextOpenID == cursor {
			break
		}
		cursor = p.NextOpenID
		if err := s.syncs().progress(ctx, acct.ID, c, int(done.Load()), total, cursor, true); err != nil {
			return total, err
		}
		if time.Now().After(budget) {
			return total, errBudget
		}
	}
	if _, err := s.store.markGone(ctx, acct.ID, c.gen); err != nil {
		return total, err
	}
	// A sync may have written much of the table. VACUUM sets the visibility map, so counts and pages
	// are answered from the indexes alone, and ANALYZE keeps the search's plans right. Autovacuum would
	// get there too, minutes later; VACUUM skips the pages it has seen, so this costs what the sync wrote.
	if err := s.db.WithContext(ctx).Exec("VACUUM (ANALYZE) wx_followers").Error; err != nil {
		s.log.WarnContext(ctx, "vacuum followers after sync", "err", err)
	}
	return total, nil
}

// blacklist reads every blacklisted openid (getblacklist, 10,000 a page).
func (s *Service) blacklist(ctx context.Context, appid string) (map[string]bool, error) {
	out := map[string]bool{}
	cursor := ""
	for {
		p, err := s.wx.Blacklist(ctx, appid, cursor)
		if err != nil {
			return nil, fmt.Errorf("read blacklist: %w", err)
		}
		ids := pageIDs(p)
		for _, o := range ids {
			out[o] = true
		}
		if len(ids) == 0 || p.NextOpenID == "" || p.NextOpenID == cursor {
			return out, nil
		}
		cursor = p.NextOpenID
	}
}

// storePage reads the profiles of one user/get page and upserts them, batchget calls running
// SyncConcurrency at a time across the process.
func (s *Service) storePage(ctx context.Context, acct account, gen int64, ids []string, blacklist map[string]bool, done *atomic.Int64) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.SyncConcurrency)
	for _, part := range chunks(ids, batchUserInfo) {
		g.Go(func() error {
			if err := s.work.Acquire(gctx, 1); err != nil {
				return err
			}
			defer s.work.Release(1)
			snapshot := time.Now().Unix()
			infos, err := s.batchInfo(gctx, acct.AppID, part)
			if err != nil {
				return err
			}
			now := time.Now().UTC()
			rows := make([]followerRow, 0, len(infos))
			for _, u := range infos {
				if u.OpenID != "" {
					rows = append(rows, rowFromInfo(acct.ID, u, blacklist[u.OpenID], gen, now))
				}
			}
			if err := s.store.upsertInfos(gctx, rows, snapshot); err != nil {
				return err
			}
			done.Add(int64(len(rows)))
			return nil
		})
	}
	return g.Wait()
}

// batchInfo is batchget for one chunk. When WeChat refuses the chunk for an unknown openid (40003), the
// chunk is read one follower at a time and the unknown ones skipped.
func (s *Service) batchInfo(ctx context.Context, appid string, ids []string) ([]wxclient.UserInfo, error) {
	infos, err := s.wx.BatchUserInfo(ctx, appid, ids, wxclient.LangZhCN)
	if err == nil {
		return infos, nil
	}
	if wxclient.Code(err) != wxclient.CodeInvalidOpenID || len(ids) == 1 {
		return nil, fmt.Errorf("read followers' profiles: %w", err)
	}
	var out []wxclient.UserInfo
	for _, id := range ids {
		one, err := s.wx.BatchUserInfo(ctx, appid, []string{id}, wxclient.LangZhCN)
		if wxclient.Code(err) == wxclient.CodeInvalidOpenID {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read followers' profiles: %w", err)
		}
		out = append(out, one...)
	}
	return out, nil
}

// finish records the end of a run, if this run still owns the sync.
func (s *Service) finish(acct account, c claim, state string, done, total int, cause error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
	defer cancel()
	msg := ""
	if cause != nil {
		msg = safeMessage(cause)
	}
	if err := s.syncs().finish(ctx, acct.ID, c, state, done, total, msg); err != nil {
		s.log.WarnContext(ctx, "record follower sync end", "appid", acct.AppID, "err", err)
	}
}

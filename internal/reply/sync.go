package reply

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/socialinzen/socialinzen/internal/db"
)

// listenerAppName names the listener's connection in pg_stat_activity.
const listenerAppName = "socialinzen-reply-listener"

// Start follows the changes other processes make, and returns at once; the work goes on in goroutines
// until ctx ends or Close is called:
//
//   - a listener on a dedicated connection (Options.DSN) runs LISTEN reply_rules and rebuilds an account
//     when its notification arrives; it reconnects with backoff (0.1 s doubling to 10 s) and, once listening
//     again, compares every loaded account's version, so nothing announced while it was away is missed;
//   - a poller compares the versions of the loaded accounts with reply_versions every PollInterval (one
//     small query; 500 ms by default), which bounds the delay even when a notification is lost;
//   - a rebuilder reloads the accounts both of them mark, one at a time, coalescing bursts.
//
// Match works without Start, and changes made through this Service are applied here at once; Start is what
// brings the other processes' changes. It fails only when called twice or after Close.
func (s *Service) Start(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.closed {
		return errors.New("reply: Start after Close")
	}
	if s.started {
		return errors.New("reply: Start called twice")
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.rebuildLoop(ctx) }()
	go func() { defer s.wg.Done(); s.pollLoop(ctx) }()
	if s.opts.DSN != "" {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.listenLoop(ctx) }()
	} else {
		s.log.Info("no DSN for the reply listener: other processes' changes are seen by polling alone")
	}
	return nil
}

// Close stops what Start started and waits for it. The matchers stay usable.
func (s *Service) Close() {
	s.runMu.Lock()
	s.closed = true
	cancel := s.cancel
	s.runMu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
}

// Listening reports whether the change listener is connected and listening.
func (s *Service) Listening() bool { return s.listening.Load() }

// markDirty queues an account already in memory for a rebuild.
func (s *Service) markDirty(accountID int64) {
	if s.loaded(accountID) == nil {
		return
	}
	s.dirtyMu.Lock()
	s.dirty[accountID] = struct{}{}
	s.dirtyMu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) rebuildLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		s.dirtyMu.Lock()
		batch := s.dirty
		s.dirty = map[int64]struct{}{}
		s.dirtyMu.Unlock()
		for id := range batch {
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := s.refresh(rctx, id)
			cancel()
			if err != nil && ctx.Err() == nil {
				// The poller finds the version still differs and marks it again.
				s.log.Warn("rebuild reply rules", "account_id", id, "err", err)
			}
		}
	}
}

func (s *Service) pollLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.checkVersions(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			failing = true
			s.log.Warn("reply version check failed; answering from the rules in memory", "err", err)
		case err == nil && failing:
			failing = false
			s.log.Info("reply version check works again")
		}
	}
}

// checkVersions marks every loaded account whose version in Postgres differs from its matcher's.
func (s *Service) checkVersions(ctx context.Context) error {
	entries := *s.entries.Load()
	ids := make([]int64, 0, len(entries))
	have := make(map[int64]int64, len(entries))
	for id, e := range entries {
		if m := e.m.Load(); m != nil {
			ids = append(ids, id)
			have[id] = m.version
		}
	}
	if len(ids) == 0 {
		return nil
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	now, err := s.store.versions(qctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if now[id] != have[id] {
			s.markDirty(id)
		}
	}
	return nil
}

// listenLoop follows the rules' notifications; after every (re)connection it compares versions, since
// whatever was announced while nobody listened is lost.
func (s *Service) listenLoop(ctx context.Context) {
	db.Follow(ctx, db.Follower{
		DSN: s.opts.DSN, AppName: listenerAppName, Channel: notifyChannel, Ping: s.listenerPing,
		Listening: &s.listening, Log: s.log.With("listener", "reply"),
		OnListen: func(ctx context.Context) {
			if err := s.checkVersions(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("reply version check after LISTEN", "err", err)
			}
		},
		OnNotify: func(payload string) {
			if id, err := strconv.ParseInt(payload, 10, 64); err == nil {
				s.markDirty(id)
			}
		},
	})
}

package qrcode

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// The callback answers a scan within its budget, so the codes with actions are kept in memory: a snapshot
// of every account's codes whose actions are set, replaced as a whole when they change (readers never
// lock). Each process loads what changed since its snapshot's version: at once for changes made through
// it, on a notification on wx_qrcode_actions for the others' (a LISTEN connection, reconnected with
// backoff), and every PollInterval in case a notification was lost.

// action is a code with actions, ready to answer: its reply rendered once (up to 8 articles: a scan is an
// event).
type action struct {
	id        int64
	accountID int64
	appid     string
	scene     string
	ticket    string
	createdAt time.Time
	expireAt  *time.Time
	tagIDs    []int
	reply     *wxcrypto.Reply
}

type ticketKey struct {
	account int64
	ticket  string
}

type sceneKey struct {
	account int64
	scene   string
}

// snapshot is immutable once published.
type snapshot struct {
	version  int64
	byID     map[int64]*action
	byTicket map[ticketKey]*action
	byScene  map[sceneKey][]*action // newest code first
}

func emptySnapshot() *snapshot {
	return &snapshot{byID: map[int64]*action{}, byTicket: map[ticketKey]*action{}, byScene: map[sceneKey][]*action{}}
}

// with answers a new snapshot with rows applied (a row without actions removes its code).
func (s *snapshot) with(rows []actionRow) (*snapshot, error) {
	n := &snapshot{version: s.version, byID: maps.Clone(s.byID), byTicket: maps.Clone(s.byTicket), byScene: maps.Clone(s.byScene)}
	touched := map[sceneKey]bool{}
	// scene answers the list of k for changing: a copy the first time, as the old snapshot shares it.
	scene := func(k sceneKey) []*action {
		if !touched[k] {
			touched[k] = true
			n.byScene[k] = slices.Clone(n.byScene[k])
		}
		return n.byScene[k]
	}
	for i := range rows {
		r := &rows[i]
		if old := n.byID[r.ID]; old != nil {
			k := sceneKey{old.accountID, old.scene}
			n.byScene[k] = slices.DeleteFunc(scene(k), func(a *action) bool { return a.id == r.ID })
			delete(n.byTicket, ticketKey{old.accountID, old.ticket})
			delete(n.byID, r.ID)
		}
		n.version = max(n.version, r.ActionsVersion)
		acts, err := r.actions()
		if err != nil {
			return nil, err
		}
		if acts.Empty() {
			continue
		}
		a := &action{id: r.ID, accountID: r.AccountID, appid: r.AppID, scene: r.Scene, ticket: r.Ticket,
			createdAt: r.CreatedAt, expireAt: r.ExpireAt, tagIDs: acts.TagIDs}
		if acts.Reply != nil {
			rep := acts.Reply.Content.Passive(acts.Reply.Type, reply.MaxArticlesEvent)
			a.reply = &rep
		}
		n.byID[r.ID] = a
		n.byTicket[ticketKey{r.AccountID, r.Ticket}] = a
		k := sceneKey{r.AccountID, r.Scene}
		n.byScene[k] = append(scene(k), a)
	}
	for k := range touched {
		if len(n.byScene[k]) == 0 {
			delete(n.byScene, k)
			continue
		}
		slices.SortFunc(n.byScene[k], func(x, y *action) int { return cmp.Compare(y.id, x.id) })
	}
	return n, nil
}

// scanScene answers the scene a QR event names: SCAN carries it as is, a subscribe through a code as
// qrscene_<scene>. ok is false for every other message.
func scanScene(m *wxcrypto.Message) (scene string, ok bool) {
	if m == nil || m.MsgType != "event" {
		return "", false
	}
	switch {
	case strings.EqualFold(m.Event, "SCAN"):
		return m.EventKey, m.EventKey != "" || m.Ticket != ""
	case strings.EqualFold(m.Event, "subscribe"):
		s, found := strings.CutPrefix(m.EventKey, "qrscene_")
		return s, found
	}
	return "", false
}

// lookup answers the code with actions a QR event came through, or nil: by its ticket (WeChat sends it),
// else by its scene among the account's codes valid at the event's time, newest first.
func (s *Service) lookup(accountID int64, m *wxcrypto.Message) *action {
	scene, ok := scanScene(m)
	if !ok {
		return nil
	}
	snap := s.snap.Load()
	if m.Ticket != "" {
		if a := snap.byTicket[ticketKey{accountID, m.Ticket}]; a != nil {
			return a
		}
	}
	if scene == "" {
		return nil
	}
	at := time.Unix(m.CreateTime, 0)
	if m.CreateTime == 0 {
		at = time.Now()
	}
	for _, a := range snap.byScene[sceneKey{accountID, scene}] {
		if at.Before(a.createdAt.Add(-time.Minute)) || (a.expireAt != nil && at.After(*a.expireAt)) {
			continue
		}
		return a
	}
	return nil
}

// refresh loads every change after the snapshot's version and publishes the new snapshot. Changes are read
// in pages but applied at once: a snapshot is copied per application, so the first load of many codes
// costs one copy, not one per page.
func (s *Service) refresh(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	const page = 1000
	cur := s.snap.Load()
	var all []actionRow
	for version := cur.version; ; {
		rows, err := changedSince(ctx, s.db, version, page)
		if err != nil {
			return err
		}
		all = append(all, rows...)
		if len(rows) < page {
			break
		}
		version = rows[len(rows)-1].ActionsVersion
	}
	if len(all) > 0 {
		next, err := cur.with(all)
		if err != nil {
			return err
		}
		s.snap.Store(next)
	}
	s.loaded.Store(true)
	return nil
}

// Start loads the snapshot and follows the other processes' changes until ctx ends or Close is called:
// a listener on a dedicated connection to dsn (none when dsn is empty: polling alone), and a poller every
// PollInterval. It returns once the first load is done or has failed (the poller keeps trying).
func (s *Service) Start(ctx context.Context, dsn string) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if err := s.refresh(lctx); err != nil {
		s.log.Warn("QR code actions: first load failed; retrying", "err", err)
	}
	cancel()
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.reloadLoop(ctx) }()
	go func() { defer s.wg.Done(); s.pollLoop(ctx) }()
	if dsn != "" {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.listenLoop(ctx, dsn) }()
	}
}

// Close stops what Start started and waits for it.
func (s *Service) Close() {
	s.runMu.Lock()
	cancel := s.cancel
	s.runMu.Unlock()
	if cancel != nil {
		cancel()
	}
	s.wg.Wait()
}

func (s *Service) wakeReload() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) reloadLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.refresh(rctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Warn("QR code actions: reload failed", "err", err)
		}
	}
}

func (s *Service) pollLoop(ctx context.Context) {
	t := time.NewTicker(s.pollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := latestVersion(qctx, s.db)
		cancel()
		if err == nil && (v != s.snap.Load().version || !s.loaded.Load()) {
			s.wakeReload()
		}
	}
}

// listenerAppName names the listener's connection in pg_stat_activity.
const listenerAppName = "socialinzen-qrcode-listener"

// listenLoop follows the codes' change notifications; after every (re)connection it reloads, since
// whatever was announced while nobody listened is lost.
func (s *Service) listenLoop(ctx context.Context, dsn string) {
	db.Follow(ctx, db.Follower{
		DSN: dsn, AppName: listenerAppName, Channel: notifyChannel, Ping: time.Minute,
		Log:      s.log.With("listener", "QR code actions"),
		OnListen: func(context.Context) { s.wakeReload() },
		OnNotify: func(string) { s.wakeReload() },
	})
}

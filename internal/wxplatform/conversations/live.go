package conversations

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socialinzen/socialinzen/internal/db"
)

// The live stream's tuning.
const (
	// ReplayWindow is how far back a reconnecting client (Last-Event-ID) is served from the event log.
	ReplayWindow = 5 * time.Minute
	// eventRetention is how long the log keeps events: the replay window and a margin.
	eventRetention = 10 * time.Minute
	// ClientBuffer bounds the events waiting for one client; a client that far behind is dropped (it
	// reconnects with Last-Event-ID and is served from the log).
	ClientBuffer = 256
	// maxReplay bounds the events one reconnection replays.
	maxReplay = 2000
	// notifyQueue bounds the event ids heard from Postgres and not yet loaded.
	notifyQueue = 8192
	// loadBatch is how many events one query loads.
	loadBatch     = 500
	notifyChannel = "wx_live"
)

// Event is one server-sent event.
type Event struct {
	ID        int64
	AccountID int64
	Name      string // message | conversation
	Data      []byte // JSON
}

// Subscriber is one open stream: the accounts it may see and its bounded buffer. C is closed when the
// hub drops the subscriber (too slow) or stops.
type Subscriber struct {
	accounts map[int64]string // account id -> appid
	C        chan Event
	closed   bool // guarded by Hub.mu
}

// Hub fans the events of every console process out to this process's streams. A dedicated connection
// LISTENs to wx_live (reconnecting with backoff); each notification names an event of wx_live_events,
// loaded in batches and offered to the subscribers of its account without ever blocking.
type Hub struct {
	dsn  string
	svc  *Service
	log  *slog.Logger
	ids  chan int64
	mu   sync.Mutex
	subs map[*Subscriber]struct{}
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup

	listening atomic.Bool
	dropped   atomic.Uint64
}

// NewHub builds a hub; Start runs it.
func NewHub(svc *Service, dsn string, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{dsn: dsn, svc: svc, log: log, ids: make(chan int64, notifyQueue), subs: map[*Subscriber]struct{}{},
		done: make(chan struct{})}
}

// Start runs the listener and the loader until ctx ends or Close.
func (h *Hub) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	h.wg.Add(3)
	go func() { defer h.wg.Done(); <-h.done; cancel() }()
	go func() { defer h.wg.Done(); h.listen(ctx) }()
	go func() { defer h.wg.Done(); h.load(ctx) }()
}

// Close stops the hub and ends every stream (their clients reconnect elsewhere or later).
func (h *Hub) Close() {
	h.once.Do(func() {
		close(h.done)
		h.mu.Lock()
		for s := range h.subs {
			h.drop(s)
		}
		h.mu.Unlock()
	})
	h.wg.Wait()
}

// Done is closed when the hub stops.
func (h *Hub) Done() <-chan struct{} { return h.done }

// Listening reports whether the LISTEN connection is up.
func (h *Hub) Listening() bool { return h.listening.Load() }

// Subscribe opens a stream of the events of accounts (id -> appid).
func (h *Hub) Subscribe(accounts map[int64]string) *Subscriber {
	s := &Subscriber{accounts: accounts, C: make(chan Event, ClientBuffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.done:
		s.closed = true
		close(s.C)
	default:
		h.subs[s] = struct{}{}
	}
	return s
}

// Unsubscribe ends a stream.
func (h *Hub) Unsubscribe(s *Subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(s)
}

// drop removes s and closes its channel. The caller holds h.mu.
func (h *Hub) drop(s *Subscriber) {
	delete(h.subs, s)
	if !s.closed {
		s.closed = true
		close(s.C)
	}
}

// wanted answers the accounts some subscriber watches.
func (h *Hub) wanted() map[int64]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[int64]bool{}
	for s := range h.subs {
		for id := range s.accounts {
			out[id] = true
		}
	}
	return out
}

// publish offers events to their subscribers; a full buffer drops its subscriber.
func (h *Hub) publish(events []Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range events {
		for s := range h.subs {
			if _, ok := s.accounts[e.AccountID]; !ok {
				continue
			}
			select {
			case s.C <- e:
			default:
				h.dropped.Add(1)
				h.log.Info("live stream: a client fell behind and was dropped; it reconnects with Last-Event-ID")
				h.drop(s)
			}
		}
	}
}

// listen follows wx_live; each notification names an event for the loader. A reconnecting browser replays
// what it missed (Last-Event-ID), so nothing is caught up here after a reconnection.
func (h *Hub) listen(ctx context.Context) {
	db.Follow(ctx, db.Follower{
		DSN: h.dsn, AppName: "socialinzen-live", Channel: notifyChannel, MinBackoff: 200 * time.Millisecond,
		Listening: &h.listening, Log: h.log.With("listener", "live stream"),
		OnNotify: func(payload string) {
			id, err := strconv.ParseInt(payload, 10, 64)
			if err != nil {
				return
			}
			select {
			case h.ids <- id:
			default:
				// The loader is far behind: clients miss this event live (a reconnect replays it).
				h.dropped.Add(1)
			}
		},
	})
}

// load turns notified ids into events, in batches, and publishes them.
func (h *Hub) load(ctx context.Context) {
	batch := make([]int64, 0, loadBatch)
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-h.ids:
			batch = append(batch[:0], id)
		}
	fill:
		for len(batch) < loadBatch {
			select {
			case id := <-h.ids:
				batch = append(batch, id)
			default:
				break fill
			}
		}
		wanted := h.wanted()
		if len(wanted) == 0 {
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		events, err := h.svc.loadEvents(lctx, `e.id = ANY($1::bigint[])`, int64Array(batch))
		cancel()
		if err != nil {
			h.log.Warn("live stream: load events", "err", err)
			continue
		}
		h.publish(events)
	}
}

// Replay answers the events of accounts after lastID within the replay window, oldest first.
func (h *Hub) Replay(ctx context.Context, accounts map[int64]string, lastID int64) ([]Event, error) {
	ids := make([]int64, 0, len(accounts))
	for id := range accounts {
		ids = append(ids, id)
	}
	return h.svc.loadEvents(ctx, `e.account_id = ANY($1::bigint[]) AND e.id > $2 AND e.at > $3`,
		int64Array(ids), lastID, h.svc.now().Add(-ReplayWindow))
}

// Cleanup deletes events older than the log keeps them.
func (h *Hub) Cleanup(ctx context.Context) error {
	_, err := h.svc.store.db.ExecContext(ctx, `DELETE FROM wx_live_events WHERE at < $1`, h.svc.now().Add(-eventRetention))
	return err
}

// eventData is the JSON of an event.
type eventData struct {
	ID           int64         `json:"id"`
	AppID        string        `json:"appid"`
	OpenID       string        `json:"openid"`
	Action       string        `json:"action,omitempty"`   // conversation events: read | assigned
	Message      *Item         `json:"message,omitempty"`  // message events
	Messages     []Item        `json:"messages,omitempty"` // message events: the message and its automatic answer
	Conversation *Conversation `json:"conversation,omitempty"`
}

// loadEvents reads events of the log and builds their JSON: messages from the timeline, conversations
// as listConversations shows them.
func (s *Service) loadEvents(ctx context.Context, cond string, args ...any) ([]Event, error) {
	rows, err := s.store.db.QueryContext(ctx, `SELECT e.id, e.account_id, a.appid, e.kind, e.openid, coalesce(e.ref_id, 0), e.action
		FROM wx_live_events e JOIN wx_accounts a ON a.id = e.account_id WHERE `+cond+` ORDER BY e.id LIMIT `+strconv.Itoa(maxReplay), args...)
	if err != nil {
		return nil, fmt.Errorf("live events: %w", err)
	}
	type raw struct {
		id, account, ref    int64
		appid, kind, openid string
		action              string
	}
	var list []raw
	var refs []int64
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.id, &r.account, &r.appid, &r.kind, &r.openid, &r.ref, &r.action); err != nil {
			rows.Close()
			return nil, fmt.Errorf("live events: %w", err)
		}
		list = append(list, r)
		if r.ref != 0 {
			refs = append(refs, r.ref)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("live events: %w", err)
	}
	items, _, err := s.store.itemsByID(ctx, refs)
	if err != nil {
		return nil, err
	}
	now := s.now()
	convs := map[string]*Conversation{}
	out := make([]Event, 0, len(list))
	for _, r := range list {
		d := eventData{ID: r.id, AppID: r.appid, OpenID: r.openid, Action: r.action}
		key := itoa(r.account) + "/" + r.openid
		c, ok := convs[key]
		if !ok {
			c, _ = s.store.conversation(ctx, r.account, r.openid, now)
			convs[key] = c
		}
		d.Conversation = c
		if r.kind == "message" {
			its := items[r.ref]
			if len(its) == 0 {
				continue
			}
			d.Message, d.Messages = &its[0], its
		}
		data, err := json.Marshal(d)
		if err != nil {
			continue
		}
		out = append(out, Event{ID: r.id, AccountID: r.account, Name: r.kind, Data: data})
	}
	return out, nil
}

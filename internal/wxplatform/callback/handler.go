// Package callback serves WeChat's message callback, /wxplatform/callback/{appid} (contract §5): the URL
// verification handshake, inbound messages and events in plaintext, compatible and safe (AES) modes, and
// the passive reply of the matching keyword rule. Every message is stored exactly once with the answer it
// got, in the message store that the inbox and the statistics read.
//
// The callback never makes WeChat wait: accounts and rules are answered from memory, and the message goes
// to the message store's Writer (internal/wxplatform/messages): a group-committed INSERT with a short
// deadline, or, when Postgres is slow or down, a bounded in-memory queue drained once Postgres is back.
package callback

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// MaxBodyBytes bounds a callback body. WeChat's largest message is a few KB; the compatible mode roughly
// triples it.
const MaxBodyBytes = 64 << 10

// MaxClockSkew is how far a request's timestamp may be from the console's clock (contract §5: 5 minutes).
const MaxClockSkew = 300 * time.Second

// RetryWindow is how long WeChat retries a message; within it a retry must get the first answer even when
// Postgres is down, so the in-memory cache of recent answers keeps them this long.
const RetryWindow = 5 * time.Minute

// AccountSource finds an official account by AppID; *accounts.Service implements it (cached, and served
// stale while the database is down).
type AccountSource interface {
	ByAppID(ctx context.Context, appid string) (*accounts.Account, error)
}

// Matcher finds the keyword rule answering a message; *reply.Service implements it. (nil, nil) means no
// rule matched; an error means the rules are unavailable, and the callback answers "success".
type Matcher interface {
	Match(ctx context.Context, accountID int64, msg *wxcrypto.Message) (*reply.Match, error)
}

// EventObserver is told of subscribe, unsubscribe, SCAN and PUBLISHJOBFINISH events once they are stored, asynchronously:
// it never delays the answer to WeChat. An event is reported once, by the process that stored it, also when
// it was stored late by the queue writer. ctx carries a deadline of ObserverTimeout.
type EventObserver interface {
	OnEvent(ctx context.Context, accountID int64, msg *wxcrypto.Message)
}

// Options wire a Handler. DB, Accounts and Replies are required.
type Options struct {
	DB       *gorm.DB
	Accounts AccountSource
	Replies  Matcher
	Observer EventObserver // optional
	// JobFinish hooks take WeChat's *JOBFINISH events by event name (upper case), e.g.
	// "MASSSENDJOBFINISH" (optional; each capability adds its own).
	JobFinish map[string]JobFinishHook
	// FollowUps enqueues the replies a rule in "all" mode sends after the passive one (optional).
	FollowUps FollowUpHook
	// Outcomes counts what became of each delivery, for /metrics (optional).
	Outcomes OutcomeObserver
	Logger   *slog.Logger // default slog.Default()
	Now      func() time.Time

	// Budget bounds the work of one callback (account lookup, matching, storing); the answer is written
	// when it runs out, whatever is still pending (default 1.5 s, well inside WeChat's 5 s and our 2 s).
	Budget time.Duration
	// WriteTimeout bounds the INSERT of one message; past it the record is queued (default 500 ms).
	WriteTimeout time.Duration
	// QueueSize bounds the records waiting for Postgres (default 10,000); QueueBytes bounds their size
	// (default 32 MiB). Past either, the oldest record is dropped, logged and counted.
	QueueSize  int
	QueueBytes int
	// RecentSize bounds the cache of recent answers that deduplicates retries while Postgres is down and
	// makes same-process retries cheap (default 20,000 messages).
	RecentSize int
	// ObserverQueue bounds the events waiting for the observer (default 4,096); ObserverTimeout bounds one
	// OnEvent call (default 10 s).
	ObserverQueue   int
	ObserverTimeout time.Duration
}

// Handler serves the callback. Create it with New, mount it with Routes, and run its message writer and
// event observer with Start; Close stops them.
type Handler struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time
	// writer stores every message exactly once (the message store's writing side).
	writer *messages.Writer

	recent *recentCache

	ciphers sync.Map // account id -> *cipherEntry

	events chan eventJob

	startOnce sync.Once
	stopOnce  sync.Once
	// Close stops the writer first (its batchers, then its queue writer), then the observer (which hears
	// of what the writer stored).
	stop, stopObserver chan struct{}
	observerWG         sync.WaitGroup

	stats stats
}

type stats struct {
	received      atomic.Uint64
	duplicates    atomic.Uint64 // retries answered from memory; the writer counts those Postgres had
	eventsDropped atomic.Uint64
	lastWarn      sync.Map // warning message -> *atomic.Int64, unix nanos of its last logging
}

// New builds a Handler. It does not start the queue writer: call Start.
func New(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Budget <= 0 {
		opts.Budget = 1500 * time.Millisecond
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 500 * time.Millisecond
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 10_000
	}
	if opts.QueueBytes <= 0 {
		opts.QueueBytes = 32 << 20
	}
	if opts.RecentSize <= 0 {
		opts.RecentSize = 20_000
	}
	if opts.ObserverQueue <= 0 {
		opts.ObserverQueue = 4096
	}
	if opts.ObserverTimeout <= 0 {
		opts.ObserverTimeout = 10 * time.Second
	}
	h := &Handler{
		opts:         opts,
		log:          opts.Logger.With("component", "callback"),
		now:          opts.Now,
		recent:       newRecentCache(opts.RecentSize, RetryWindow),
		events:       make(chan eventJob, opts.ObserverQueue),
		stop:         make(chan struct{}),
		stopObserver: make(chan struct{}),
	}
	h.writer = messages.NewWriter(messages.WriterOptions{DB: opts.DB, Logger: opts.Logger, WriteTimeout: opts.WriteTimeout,
		QueueSize: opts.QueueSize, QueueBytes: opts.QueueBytes,
		Watch: func(r *messages.Record) bool { return observed(r.Msg) || h.hooked(r.Msg) || h.wantsFollowUp(r) },
		OnStored: func(r *messages.Record) {
			if observed(r.Msg) || h.hooked(r.Msg) {
				h.notify(r.AccountID, r.Msg, r.Raw)
			}
			h.notifyFollowUp(r)
		},
	})
	return h
}

// Routes mounts GET and POST /wxplatform/callback/:appid. They are public (WeChat signs its requests) and
// carry their own 64 KB body limit.
func (h *Handler) Routes(r gin.IRouter) {
	r.GET("/wxplatform/callback/:appid", h.verify)
	r.POST("/wxplatform/callback/:appid", h.receive)
}

// Start runs the background work until Close, or until ctx ends, which closes the handler the same way:
// the group-commit batchers, the queue writer and the event observer. Calling it again does nothing.
// Without it (and after Close), each message is stored by its own INSERT on the request's goroutine, and
// queued messages wait for Start.
func (h *Handler) Start(ctx context.Context) {
	h.startOnce.Do(func() {
		go func() {
			select {
			case <-ctx.Done():
				h.Close()
			case <-h.stop:
			}
		}()
		h.writer.Start(ctx)
		h.observerWG.Add(1)
		go func() { defer h.observerWG.Done(); h.runObserver(ctx) }()
	})
}

// Close stops the background work, in order: the batchers hand what they hold to the queue, the writer
// makes one last attempt (a few seconds at most) to store the queue, and the observer hears of the events
// already stored. Call it after the HTTP server has finished its requests.
func (h *Handler) Close() {
	h.stopOnce.Do(func() {
		close(h.stop)
		h.writer.Close()
		close(h.stopObserver)
		h.observerWG.Wait()
	})
}

// QueueLen is how many message records wait for Postgres.
func (h *Handler) QueueLen() int { return h.writer.Backlog() }

// Health is the callback's state for /readyz and the operators' dashboard.
type Health struct {
	// Queued records wait for Postgres; while there are any, new messages go to the queue too.
	Queued int `json:"queued"`
	// Dropped counts records lost because the queue was full (since start).
	Dropped uint64 `json:"dropped"`
	// Received, Stored and Duplicates count messages since start.
	Received   uint64 `json:"received"`
	Stored     uint64 `json:"stored"`
	Duplicates uint64 `json:"duplicates"`
	// DBFailures counts INSERTs that failed or timed out, sending their messages to the queue.
	DBFailures uint64 `json:"dbFailures"`
	// EventsDropped counts events the observer never saw because its queue was full.
	EventsDropped uint64 `json:"eventsDropped"`
	// Degraded is true while messages wait for Postgres; LastError says why.
	Degraded  bool   `json:"degraded"`
	LastError string `json:"lastError,omitempty"`
}

// Err is nil unless messages wait for Postgres. Messages are still answered then: whether that makes the
// process unready is the caller's choice.
func (h Health) Err() error {
	if h.Degraded {
		return errors.New("callback: " + strconv.Itoa(h.Queued) + " messages wait for the database: " + h.LastError)
	}
	return nil
}

// Health answers the current state.
func (h *Handler) Health() Health {
	w := h.writer.Health()
	return Health{
		Queued:        w.Queued,
		Dropped:       w.Dropped,
		Received:      h.stats.received.Load(),
		Stored:        w.Stored,
		Duplicates:    h.stats.duplicates.Load() + w.Duplicates,
		DBFailures:    w.DBFailures,
		EventsDropped: h.stats.eventsDropped.Load(),
		Degraded:      w.Queued > 0,
		LastError:     w.LastError,
	}
}

// warnEvery logs a warning at most once per interval (per message text), for conditions that could
// otherwise log on every callback.
func (h *Handler) warnEvery(interval time.Duration, msg string, args ...any) {
	v, ok := h.stats.lastWarn.Load(msg)
	if !ok {
		v, _ = h.stats.lastWarn.LoadOrStore(msg, new(atomic.Int64))
	}
	last := v.(*atomic.Int64)
	now := time.Now().UnixNano()
	prev := last.Load()
	if prev != 0 && now-prev < int64(interval) || !last.CompareAndSwap(prev, now) {
		return
	}
	h.log.Warn(msg, args...)
}

// appIDPattern is the shape of every AppID the accounts package accepts; anything else is answered 404
// without a lookup, so junk paths cannot churn the account cache.
var appIDPattern = regexp.MustCompile(`^wx[0-9a-zA-Z]{16}$`)

// cipherEntry caches an account's expanded AES key; a changed EncodingAESKey replaces it.
type cipherEntry struct {
	key    string
	appid  string
	cipher *wxcrypto.Cipher
}

func (h *Handler) cipherFor(a *accounts.Account) (*wxcrypto.Cipher, error) {
	if v, ok := h.ciphers.Load(a.ID); ok {
		e := v.(*cipherEntry)
		if e.key == a.EncodingAESKey && e.appid == a.AppID {
			return e.cipher, nil
		}
	}
	c, err := wxcrypto.NewCipher(a.EncodingAESKey, a.AppID)
	if err != nil {
		return nil, err
	}
	h.ciphers.Store(a.ID, &cipherEntry{key: a.EncodingAESKey, appid: a.AppID, cipher: c})
	return c, nil
}

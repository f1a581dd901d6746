package messages

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// WriterOptions wire a Writer. DB is required.
type WriterOptions struct {
	DB     *gorm.DB
	Logger *slog.Logger // default slog.Default()
	// WriteTimeout bounds the INSERT of one batch on the direct path; past it the records are queued
	// (default 500 ms).
	WriteTimeout time.Duration
	// QueueSize bounds the records waiting for Postgres (default 10,000); QueueBytes bounds their size
	// (default 32 MiB). Past either, the oldest record is dropped, logged and counted.
	QueueSize  int
	QueueBytes int
	// Watch says whether OnStored wants to hear of r once it is stored (optional).
	Watch func(r *Record) bool
	// OnStored is told of each watched record this process stored, once, also when the queue writer
	// stored it late. It runs on the writer's goroutines and must not block.
	OnStored func(r *Record)
}

// Writer stores the callback's records in wx_messages, exactly once: group-committed batches on the direct
// path (batcher.go), and a bounded in-memory queue with a background writer while Postgres is slow or down
// (queue.go). Start runs its goroutines; without Start, Submit stores on the caller's goroutine.
type Writer struct {
	log          *slog.Logger
	store        *writeStore
	queue        *queue
	pending      chan pending
	writeTimeout time.Duration
	watchFn      func(*Record) bool
	onStoredFn   func(*Record)

	startOnce, stopOnce sync.Once
	running             atomic.Bool
	stop, stopWriter    chan struct{}
	batchWG, writerWG   sync.WaitGroup

	storedN     atomic.Uint64
	duplicates  atomic.Uint64
	directFails atomic.Uint64
	lastWarn    sync.Map // warning message -> *atomic.Int64, unix nanos of its last logging
}

// NewWriter builds a Writer; call Start to run its batchers and queue writer.
func NewWriter(o WriterOptions) *Writer {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 500 * time.Millisecond
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 10_000
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = 32 << 20
	}
	return &Writer{
		log:          o.Logger.With("component", "messages"),
		store:        &writeStore{gdb: o.DB},
		queue:        newQueue(o.QueueSize, o.QueueBytes),
		pending:      make(chan pending, 1024),
		writeTimeout: o.WriteTimeout,
		watchFn:      o.Watch,
		onStoredFn:   o.OnStored,
		stop:         make(chan struct{}),
		stopWriter:   make(chan struct{}),
	}
}

func (w *Writer) watch(r *Record) bool { return w.watchFn != nil && r.Msg != nil && w.watchFn(r) }

func (w *Writer) onStored(r *Record) {
	if w.onStoredFn != nil {
		w.onStoredFn(r)
	}
}

// Start runs the group-commit batchers and the queue writer until Close (or until ctx ends, after which
// the caller still calls Close). Calling it again does nothing.
func (w *Writer) Start(ctx context.Context) {
	w.startOnce.Do(func() {
		w.running.Store(true)
		for range batchWorkers {
			w.batchWG.Add(1)
			go func() { defer w.batchWG.Done(); w.runBatcher(ctx) }()
		}
		w.writerWG.Add(1)
		go func() { defer w.writerWG.Done(); w.runWriter(ctx) }()
	})
}

// Close stops the batchers, which hand what they hold to the queue, then the writer, which makes one last
// attempt (a few seconds at most) to store the queue.
func (w *Writer) Close() {
	w.stopOnce.Do(func() {
		w.running.Store(false)
		close(w.stop)
		w.batchWG.Wait()
		close(w.stopWriter)
		w.writerWG.Wait()
	})
}

// Submit hands r to the batchers and answers the channel its outcome arrives on. ok is false when the
// batchers are that far behind (Postgres is not keeping up): queue r with Queue instead. Without Start (or
// after Close) r is stored on the caller's goroutine before Submit returns.
func (w *Writer) Submit(ctx context.Context, r *Record) (done <-chan Stored, ok bool) {
	p := pending{rec: r, done: make(chan Stored, 1)}
	if !w.running.Load() {
		w.storeBatch(ctx, []pending{p})
		return p.done, true
	}
	select {
	case w.pending <- p:
		return p.done, true
	default:
		w.warnEvery(10*time.Second, "messages: database not keeping up, queueing messages")
		return nil, false
	}
}

// Queue hands r to the write-behind queue, for the background writer.
func (w *Writer) Queue(r *Record) { w.pushQueue(r) }

// Backlog is how many records wait for Postgres, including those the writer is storing right now. While
// it is not zero, new records should be queued behind them.
func (w *Writer) Backlog() int { return w.queue.Len() }

// WriterHealth counts what the writer did since start.
type WriterHealth struct {
	Queued     int
	Dropped    uint64
	Stored     uint64
	Duplicates uint64 // records Postgres already held (retries seen first by another process)
	DBFailures uint64 // INSERTs that failed or timed out, sending their records to the queue
	LastError  string
}

// Health answers the writer's counters.
func (w *Writer) Health() WriterHealth {
	return WriterHealth{
		Queued:     w.queue.Len(),
		Dropped:    w.queue.Dropped(),
		Stored:     w.storedN.Load(),
		Duplicates: w.duplicates.Load(),
		DBFailures: w.directFails.Load(),
		LastError:  w.queue.LastError(),
	}
}

// warnEvery logs a warning at most once per interval (per message text), for conditions that could
// otherwise log on every message.
func (w *Writer) warnEvery(interval time.Duration, msg string, args ...any) {
	v, ok := w.lastWarn.Load(msg)
	if !ok {
		v, _ = w.lastWarn.LoadOrStore(msg, new(atomic.Int64))
	}
	last := v.(*atomic.Int64)
	now := time.Now().UnixNano()
	prev := last.Load()
	if prev != 0 && now-prev < int64(interval) || !last.CompareAndSwap(prev, now) {
		return
	}
	w.log.Warn(msg, args...)
}

package messages

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// queue holds message records that could not be written while Postgres was slow or down. It is bounded by
// count and by bytes; past either bound the oldest record is dropped. Records taken by the writer count as
// queued until they are stored, so the callback keeps queueing (instead of waiting on Postgres) until the
// writer has caught up.
type queue struct {
	maxLen, maxBytes int

	mu       sync.Mutex
	items    []*Record // FIFO: items[head:] are waiting
	head     int
	bytes    int
	inflight int
	lastErr  string

	length  atomic.Int64 // waiting + inflight, read without the lock on every callback
	dropped atomic.Uint64
	wake    chan struct{}
}

func newQueue(maxLen, maxBytes int) *queue {
	return &queue{maxLen: maxLen, maxBytes: maxBytes, wake: make(chan struct{}, 1)}
}

// Len is how many records wait for Postgres, including those the writer is storing right now.
func (q *queue) Len() int { return int(q.length.Load()) }

// Dropped counts records lost to the bounds.
func (q *queue) Dropped() uint64 { return q.dropped.Load() }

// LastError is the last database error that made records wait, "" once the writer caught up.
func (q *queue) LastError() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lastErr
}

func (q *queue) setError(err error) {
	q.mu.Lock()
	q.lastErr = err.Error()
	q.mu.Unlock()
}

// push adds r and answers how many older records it pushed out.
func (q *queue) push(r *Record) (dropped int) {
	q.mu.Lock()
	q.items = append(q.items, r)
	q.bytes += r.size()
	for len(q.items)-q.head > 1 && (len(q.items)-q.head > q.maxLen || q.bytes > q.maxBytes) {
		q.bytes -= q.items[q.head].size()
		q.items[q.head] = nil
		q.head++
		dropped++
	}
	// Compact once the dead prefix dominates, so the backing array does not grow without bound.
	if q.head > 1024 && q.head*2 > len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	q.length.Store(int64(len(q.items) - q.head + q.inflight))
	q.mu.Unlock()
	if dropped > 0 {
		q.dropped.Add(uint64(dropped))
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return dropped
}

// take moves up to n of the oldest records to the writer.
func (q *queue) take(n int) []*Record {
	q.mu.Lock()
	defer q.mu.Unlock()
	avail := len(q.items) - q.head
	if avail == 0 {
		return nil
	}
	n = min(n, avail)
	out := make([]*Record, n)
	copy(out, q.items[q.head:q.head+n])
	for i := q.head; i < q.head+n; i++ {
		q.bytes -= q.items[i].size()
		q.items[i] = nil
	}
	q.head += n
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	q.inflight += n
	q.length.Store(int64(len(q.items) - q.head + q.inflight))
	return out
}

// done ends the writer's hold on n records, stored or given up.
func (q *queue) done(n int) {
	q.mu.Lock()
	q.inflight -= n
	l := len(q.items) - q.head + q.inflight
	q.length.Store(int64(l))
	if l == 0 {
		q.lastErr = ""
	}
	q.mu.Unlock()
}

// writerBatch is how many records one INSERT of the writer stores.
const writerBatch = 200

// Backoff of the writer while Postgres fails.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// pushQueue queues a record for the writer, logging (at most every 10 s) when that pushes older ones out.
func (w *Writer) pushQueue(r *Record) {
	if dropped := w.queue.push(r); dropped > 0 {
		w.warnEvery(10*time.Second, "messages: message queue full, oldest messages dropped unstored",
			"dropped_total", w.queue.Dropped(), "queued", w.queue.Len())
	}
}

// runWriter stores queued records, oldest first, in batches, retrying with backoff while Postgres fails.
// The unique indexes make a retry after an ambiguous failure (a commit whose answer was lost) harmless.
func (w *Writer) runWriter(ctx context.Context) {
	backoff := minBackoff
	var batch []*Record
	for {
		if batch == nil {
			batch = w.queue.take(writerBatch)
		}
		if batch == nil {
			select {
			case <-w.queue.wake:
				continue
			case <-w.stopWriter:
				w.finalFlush(nil)
				return
			}
		}
		err := w.writeBatch(ctx, batch)
		if err == nil {
			w.queue.done(len(batch))
			batch = nil
			if backoff > minBackoff {
				w.log.Info("messages: database is back, queued messages stored", "queued", w.queue.Len())
			}
			backoff = minBackoff
			continue
		}
		w.queue.setError(err)
		w.warnEvery(10*time.Second, "messages: queued messages cannot be stored yet, retrying",
			"err", err, "queued", w.queue.Len(), "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-w.stopWriter:
			w.finalFlush(batch)
			return
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// writeBatch stores a batch; records Postgres refuses for good are logged and given up one by one, so one
// bad record cannot hold back the others.
func (w *Writer) writeBatch(ctx context.Context, batch []*Record) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	fresh, err := w.store.insertBatch(wctx, batch)
	if err == nil {
		w.storedLate(wctx, batch, fresh)
		return nil
	}
	if !permanent(err) {
		return err
	}
	for _, r := range batch {
		one, err := w.store.insertBatch(wctx, []*Record{r})
		switch {
		case err == nil:
			w.storedLate(wctx, []*Record{r}, one)
		case permanent(err):
			w.log.Warn("messages: queued message refused by the database, dropped", "account_id", r.AccountID, "err", err)
		default:
			return err
		}
	}
	return nil
}

// storedLate counts what the writer stored and tells the observer about the new events. A record whose
// earlier INSERT timed out may have been stored by it after all: for an observed event that is checked, so
// the observer hears of it once.
func (w *Writer) storedLate(ctx context.Context, batch []*Record, fresh map[Key]bool) {
	for _, r := range batch {
		if !fresh[r.Key()] {
			own := false
			if r.uncertain && w.watch(r) {
				own, _ = w.store.isOwn(ctx, r)
			}
			if !own {
				w.duplicates.Add(1)
				continue
			}
		}
		w.storedN.Add(1)
		if w.watch(r) {
			w.onStored(r)
		}
	}
}

// finalFlushFor bounds how long closing waits for the database to take the queued records: a rolling
// restart during a short outage (Postgres restarting too) should not lose what was answered.
const finalFlushFor = 8 * time.Second

// finalFlush stores what is left when the handler closes, retrying with backoff until finalFlushFor.
func (w *Writer) finalFlush(batch []*Record) {
	deadline := time.Now().Add(finalFlushFor)
	if n := w.queue.Len(); n > 0 || batch != nil {
		w.log.Warn("messages: storing the queued messages before stopping", "queued", n+len(batch))
	}
	backoff := 100 * time.Millisecond
	for time.Now().Before(deadline) {
		if batch == nil {
			batch = w.queue.take(writerBatch)
		}
		if batch == nil {
			return
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err := w.writeBatch(ctx, batch)
		cancel()
		if err != nil {
			time.Sleep(min(backoff, time.Until(deadline)))
			backoff = min(2*backoff, time.Second)
			continue
		}
		w.queue.done(len(batch))
		batch = nil
	}
	if n := w.queue.Len() + len(batch); n > 0 {
		w.log.Error("messages: messages lost at shutdown, the database did not answer", "lost", n)
	}
}

package callback

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
	items    []*record // FIFO: items[head:] are waiting
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
func (q *queue) push(r *record) (dropped int) {
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
func (q *queue) take(n int) []*record {
	q.mu.Lock()
	defer q.mu.Unlock()
	avail := len(q.items) - q.head
	if avail == 0 {
		return nil
	}
	n = min(n, avail)
	out := make([]*record, n)
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
func (h *Handler) pushQueue(r *record) {
	if dropped := h.queue.push(r); dropped > 0 {
		h.warnEvery(10*time.Second, "callback: message queue full, oldest messages dropped unstored",
			"dropped_total", h.queue.Dropped(), "queued", h.queue.Len())
	}
}

// runWriter stores queued records, oldest first, in batches, retrying with backoff while Postgres fails.
// The unique indexes make a retry after an ambiguous failure (a commit whose answer was lost) harmless.
func (h *Handler) runWriter(ctx context.Context) {
	backoff := minBackoff
	var batch []*record
	for {
		if batch == nil {
			batch = h.queue.take(writerBatch)
		}
		if batch == nil {
			select {
			case <-h.queue.wake:
				continue
			case <-h.stopWriter:
				h.finalFlush(nil)
				return
			}
		}
		err := h.writeBatch(ctx, batch)
		if err == nil {
			h.queue.done(len(batch))
			batch = nil
			if backoff > minBackoff {
				h.log.Info("callback: database is back, queued messages stored", "queued", h.queue.Len())
			}
			backoff = minBackoff
			continue
		}
		h.queue.setError(err)
		h.warnEvery(10*time.Second, "callback: queued messages cannot be stored yet, retrying",
			"err", err, "queued", h.queue.Len(), "retry_in", backoff)
		select {
		case <-time.After(backoff):
		case <-h.stopWriter:
			h.finalFlush(batch)
			return
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// writeBatch stores a batch; records Postgres refuses for good are logged and given up one by one, so one
// bad record cannot hold back the others.
func (h *Handler) writeBatch(ctx context.Context, batch []*record) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	fresh, err := h.store.insertBatch(wctx, batch)
	if err == nil {
		h.storedLate(wctx, batch, fresh)
		return nil
	}
	if !permanent(err) {
		return err
	}
	for _, r := range batch {
		one, err := h.store.insertBatch(wctx, []*record{r})
		switch {
		case err == nil:
			h.storedLate(wctx, []*record{r}, one)
		case permanent(err):
			h.log.Warn("callback: queued message refused by the database, dropped", "account_id", r.accountID, "err", err)
		default:
			return err
		}
	}
	return nil
}

// storedLate counts what the writer stored and tells the observer about the new events. A record whose
// earlier INSERT timed out may have been stored by it after all: for an observed event that is checked, so
// the observer hears of it once.
func (h *Handler) storedLate(ctx context.Context, batch []*record, fresh map[msgKey]bool) {
	for _, r := range batch {
		if !fresh[r.key()] {
			own := false
			if r.uncertain && r.msg != nil && (observed(r.msg) || h.hooked(r.msg) || h.wantsFollowUp(r)) {
				own, _ = h.store.isOwn(ctx, r)
			}
			if !own {
				h.stats.duplicates.Add(1)
				continue
			}
		}
		h.stats.stored.Add(1)
		if r.msg != nil && (observed(r.msg) || h.hooked(r.msg)) {
			h.notify(r.accountID, r.msg, r.raw)
		}
		h.notifyFollowUp(r)
	}
}

// finalFlushFor bounds how long closing waits for the database to take the queued records: a rolling
// restart during a short outage (Postgres restarting too) should not lose what was answered.
const finalFlushFor = 8 * time.Second

// finalFlush stores what is left when the handler closes, retrying with backoff until finalFlushFor.
func (h *Handler) finalFlush(batch []*record) {
	deadline := time.Now().Add(finalFlushFor)
	if n := h.queue.Len(); n > 0 || batch != nil {
		h.log.Warn("callback: storing the queued messages before stopping", "queued", n+len(batch))
	}
	backoff := 100 * time.Millisecond
	for time.Now().Before(deadline) {
		if batch == nil {
			batch = h.queue.take(writerBatch)
		}
		if batch == nil {
			return
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err := h.writeBatch(ctx, batch)
		cancel()
		if err != nil {
			time.Sleep(min(backoff, time.Until(deadline)))
			backoff = min(2*backoff, time.Second)
			continue
		}
		h.queue.done(len(batch))
		batch = nil
	}
	if n := h.queue.Len() + len(batch); n > 0 {
		h.log.Error("callback: messages lost at shutdown, the database did not answer", "lost", n)
	}
}

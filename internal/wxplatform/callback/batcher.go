package callback

import (
	"context"
	"errors"
	"time"
)

// Group commit: the messages that arrive while an INSERT is in flight are stored together by the next one,
// one statement and one commit for all of them. At a few thousand messages a second this divides
// Postgres's work per message (parse, commit, WAL flush, round trip) by the batch size, and adds no delay
// when traffic is light: a lone message is inserted at once.

const (
	// batchWorkers is how many INSERTs may be in flight at once.
	batchWorkers = 4
	// maxBatch bounds the rows of one INSERT.
	maxBatch = 128
)

// stored is the outcome of storing one record, for the callback waiting on it.
type stored struct {
	inserted bool   // this delivery stored the message
	first    answer // when not inserted: the answer stored with the first delivery
	found    bool   // first was read back
	err      error  // the record could not be stored now (it is queued, or refused for good)
}

// pending is a record on its way to Postgres, with the channel its callback waits on.
type pending struct {
	rec  *record
	done chan stored // buffered: the batcher never blocks on a callback that gave up waiting
}

// runBatcher is one of the batchWorkers goroutines storing pending records.
func (h *Handler) runBatcher(ctx context.Context) {
	batch := make([]pending, 0, maxBatch)
	for {
		select {
		case p := <-h.pending:
			batch = append(batch[:0], p)
		case <-h.stop:
			h.drainPending()
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case p := <-h.pending:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		h.storeBatch(ctx, batch)
		clear(batch)
	}
}

// storeBatch inserts a batch and tells each callback what happened to its record. On a transient failure
// the records go to the queue, whose writer retries them; the callbacks answer from memory meanwhile.
func (h *Handler) storeBatch(ctx context.Context, batch []pending) {
	recs := make([]*record, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.WriteTimeout)
	defer cancel()
	fresh, err := h.store.insertBatch(wctx, recs)
	if err != nil && permanent(err) && len(batch) > 1 {
		// One record spoils the statement for all: store them one by one.
		for i := range batch {
			h.storeBatch(ctx, batch[i:i+1])
		}
		return
	}
	if err != nil {
		if permanent(err) {
			h.warnEvery(10*time.Second, "callback: message refused by the database, not stored", "account_id", recs[0].accountID, "err", err)
		} else {
			h.stats.directFails.Add(1)
			h.queue.setError(err)
			h.warnEvery(10*time.Second, "callback: database slow or down, answering from memory and queueing messages",
				"err", err, "queued", h.queue.Len()+len(recs))
			for _, r := range recs {
				r.uncertain = true
				h.pushQueue(r)
			}
		}
		for _, p := range batch {
			p.done <- stored{err: err}
		}
		return
	}
	firstOf := make(map[msgKey]int, len(batch)) // the same message twice in one batch: the first one counts
	for i, p := range batch {
		r := p.rec
		k := r.key()
		if j, dup := firstOf[k]; dup {
			h.stats.duplicates.Add(1)
			p.done <- stored{first: batch[j].rec.ans, found: true}
			continue
		}
		firstOf[k] = i
		if fresh[k] {
			h.stats.stored.Add(1)
			if r.msg != nil && (observed(r.msg) || h.hooked(r.msg)) {
				h.notify(r.accountID, r.msg, r.raw)
			}
			h.notifyFollowUp(r)
			p.done <- stored{inserted: true}
			continue
		}
		h.stats.duplicates.Add(1)
		first, found, err := h.store.answerOf(wctx, r)
		p.done <- stored{first: first, found: found && err == nil}
	}
}

var errStopping = errors.New("callback: stopping")

// drainPending hands records still waiting for a batch to the queue when the handler stops.
func (h *Handler) drainPending() {
	for {
		select {
		case p := <-h.pending:
			h.pushQueue(p.rec)
			p.done <- stored{err: errStopping}
			h.stats.directFails.Add(1)
		default:
			return
		}
	}
}

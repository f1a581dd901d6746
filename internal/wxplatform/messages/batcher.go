package messages

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

// Stored is the outcome of storing one record, for the callback waiting on it.
type Stored struct {
	Inserted bool   // this delivery stored the message
	First    Answer // when not inserted: the answer stored with the first delivery
	Found    bool   // First was read back
	Err      error  // the record could not be stored now (it is queued, or refused for good)
}

// pending is a record on its way to Postgres, with the channel its callback waits on.
type pending struct {
	rec  *Record
	done chan Stored // buffered: the batcher never blocks on a callback that gave up waiting
}

// runBatcher is one of the batchWorkers goroutines storing pending records.
func (w *Writer) runBatcher(ctx context.Context) {
	batch := make([]pending, 0, maxBatch)
	for {
		select {
		case p := <-w.pending:
			batch = append(batch[:0], p)
		case <-w.stop:
			w.drainPending()
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case p := <-w.pending:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		w.storeBatch(ctx, batch)
		clear(batch)
	}
}

// storeBatch inserts a batch and tells each callback what happened to its record. On a transient failure
// the records go to the queue, whose writer retries them; the callbacks answer from memory meanwhile.
func (w *Writer) storeBatch(ctx context.Context, batch []pending) {
	recs := make([]*Record, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.writeTimeout)
	defer cancel()
	fresh, err := w.store.insertBatch(wctx, recs)
	if err != nil && permanent(err) && len(batch) > 1 {
		// One record spoils the statement for all: store them one by one.
		for i := range batch {
			w.storeBatch(ctx, batch[i:i+1])
		}
		return
	}
	if err != nil {
		if permanent(err) {
			w.warnEvery(10*time.Second, "messages: message refused by the database, not stored", "account_id", recs[0].AccountID, "err", err)
		} else {
			w.directFails.Add(1)
			w.queue.setError(err)
			w.warnEvery(10*time.Second, "messages: database slow or down, answering from memory and queueing messages",
				"err", err, "queued", w.queue.Len()+len(recs))
			for _, r := range recs {
				r.uncertain = true
				w.pushQueue(r)
			}
		}
		for _, p := range batch {
			p.done <- Stored{Err: err}
		}
		return
	}
	firstOf := make(map[Key]int, len(batch)) // the same message twice in one batch: the first one counts
	for i, p := range batch {
		r := p.rec
		k := r.Key()
		if j, dup := firstOf[k]; dup {
			w.duplicates.Add(1)
			p.done <- Stored{First: batch[j].rec.Answer, Found: true}
			continue
		}
		firstOf[k] = i
		if fresh[k] {
			w.storedN.Add(1)
			if w.watch(r) {
				w.onStored(r)
			}
			p.done <- Stored{Inserted: true}
			continue
		}
		w.duplicates.Add(1)
		first, found, err := w.store.answerOf(wctx, r)
		p.done <- Stored{First: first, Found: found && err == nil}
	}
}

var errStopping = errors.New("messages: stopping")

// drainPending hands records still waiting for a batch to the queue when the handler stops.
func (w *Writer) drainPending() {
	for {
		select {
		case p := <-w.pending:
			w.pushQueue(p.rec)
			p.done <- Stored{Err: errStopping}
			w.directFails.Add(1)
		default:
			return
		}
	}
}

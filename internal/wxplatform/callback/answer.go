package callback

import (
	"context"
	"strings"
	"time"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// WeChat shows one article in answer to a message and up to eight in answer to an event.
const (
	maxArticlesMessage = 1
	maxArticlesEvent   = 8
)

// answer is what a message was answered with: the reply XML before encryption (nil: "success") and the
// rule that produced it. Answers are shared between goroutines and never modified.
type answer struct {
	xml     []byte
	ruleID  int64
	keyword string
	kind    string // "" when no rule matched
	// followUps are the replies the rule sends after this one (contract §20, "all" mode); not stored: only
	// the first delivery, which stores the message, has them.
	followUps []reply.Reply
}

// msgKey identifies a message the way WeChat deduplicates: MsgId for messages, FromUserName + CreateTime
// (+ Event) for events. It is the in-memory twin of the table's two unique indexes.
type msgKey struct {
	account    int64
	msgID      int64
	from       string
	createTime int64
	event      string
}

func keyOf(accountID int64, m *wxcrypto.Message) msgKey {
	if !isEvent(m) && m.MsgID != 0 {
		return msgKey{account: accountID, msgID: m.MsgID}
	}
	return msgKey{account: accountID, from: m.FromUserName, createTime: m.CreateTime, event: m.Event}
}

// isEvent: events are deduplicated by sender and time even when they carry a MsgID (the *JOBFINISH ones).
func isEvent(m *wxcrypto.Message) bool { return m.MsgType == "event" }

// observed are the events the EventObserver hears about.
func observed(m *wxcrypto.Message) bool {
	if !isEvent(m) {
		return false
	}
	return strings.EqualFold(m.Event, "subscribe") || strings.EqualFold(m.Event, "unsubscribe") || strings.EqualFold(m.Event, "SCAN") ||
		strings.EqualFold(m.Event, "PUBLISHJOBFINISH")
}

// answer decides the answer to a message and stores the message with it, exactly once: a retry gets the
// answer stored with the first delivery, whichever process received it. dup tells the metrics that this
// delivery was a retry of one answered before.
func (h *Handler) answer(ctx context.Context, acct *accounts.Account, in inbound, received time.Time) (ans answer, dup bool) {
	key := keyOf(acct.ID, in.msg)
	if ans, ok := h.recent.get(key, received); ok {
		h.stats.duplicates.Add(1)
		return ans, true
	}
	ans = h.match(ctx, acct.ID, in.msg, received)
	rec := messages.NewRecord(acct.ID, in.msg, in.raw, ans.stored(), received)
	if len(ans.followUps) > 0 {
		rec.FollowUps = ans.followUps
	}

	if h.writer.Backlog() > 0 {
		// Postgres was slow or down a moment ago and the writer is still catching up: queue behind it
		// instead of making this message wait for the same deadline.
		return h.enqueue(key, rec, received)
	}
	done, ok := h.writer.Submit(ctx, rec)
	if !ok {
		// The batchers are that far behind: Postgres is not keeping up.
		return h.enqueue(key, rec, received)
	}
	wait := time.NewTimer(h.opts.WriteTimeout)
	defer wait.Stop()
	select {
	case res := <-done:
		switch {
		case res.Inserted:
			h.recent.put(key, ans, received)
			return ans, false
		case res.Err != nil:
			// Queued by the batcher (or refused for good): answer from memory, the first answer winning.
			return h.recent.putIfAbsent(key, ans, received)
		default:
			// Stored before, by an earlier delivery in this or another process: answer as it was answered.
			// If the row could not be read back in time, ours was computed the same way.
			first := ans
			if res.Found {
				first = answerOf(res.First)
			}
			h.recent.put(key, first, received)
			return first, true
		}
	case <-wait.C:
	case <-ctx.Done():
	}
	// Postgres is slow: answer now; the batcher stores the record, or queues it, on its own.
	return h.recent.putIfAbsent(key, ans, received)
}

// enqueue answers while Postgres is away: the first answer in memory for this message wins, so concurrent
// and later retries in this process get the same one, and only the first delivery is queued.
func (h *Handler) enqueue(key msgKey, rec *messages.Record, received time.Time) (answer, bool) {
	first, loaded := h.recent.putIfAbsent(key, answerOf(rec.Answer), received)
	if loaded {
		h.stats.duplicates.Add(1)
		return first, true
	}
	h.writer.Queue(rec)
	return answerOf(rec.Answer), false
}

// stored is the answer as the message store keeps it.
func (a answer) stored() messages.Answer {
	return messages.Answer{XML: a.xml, RuleID: a.ruleID, Keyword: a.keyword, Kind: a.kind}
}

func answerOf(a messages.Answer) answer {
	return answer{xml: a.XML, ruleID: a.RuleID, keyword: a.Keyword, kind: a.Kind}
}

// match asks the rules for a reply and renders it for this message: To and From swapped, CreateTime now,
// as many articles as WeChat shows.
func (h *Handler) match(ctx context.Context, accountID int64, msg *wxcrypto.Message, now time.Time) answer {
	// Matching gets half the budget at most (regex rules stop at this deadline and the message gets the
	// default reply), so that storing the message and answering always fit in the rest.
	ctx, cancel := context.WithTimeout(ctx, h.opts.Budget/2)
	defer cancel()
	m, err := h.opts.Replies.Match(ctx, accountID, msg)
	if err != nil {
		h.warnEvery(10*time.Second, "callback: rules unavailable, answering success", "account_id", accountID, "err", err)
		return answer{}
	}
	if m == nil {
		return answer{}
	}
	return render(m, msg, now)
}

func render(m *reply.Match, msg *wxcrypto.Message, now time.Time) answer {
	r := m.Reply // a copy; its Articles slice is the matcher's, only resliced here
	r.ToUserName = msg.FromUserName
	r.FromUserName = msg.ToUserName
	r.CreateTime = now.Unix()
	limit := maxArticlesMessage
	if isEvent(msg) {
		limit = maxArticlesEvent
	}
	if len(r.Articles) > limit {
		r.Articles = r.Articles[:limit]
	}
	if r.MsgType == "" {
		return answer{}
	}
	kind := m.Kind
	if kind == "" {
		kind = "keyword"
	}
	return answer{xml: r.Marshal(), ruleID: m.RuleID, keyword: m.Keyword, kind: kind, followUps: m.FollowUps}
}

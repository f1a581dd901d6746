package callback

import (
	"context"
	"time"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// FollowUpHook is told, once a message is stored for the first time, of the replies its rule sends after
// the passive one (a rule in "all" mode, contract §20). It runs on the observer's goroutine, after the
// answer went out, and should only enqueue the sending: a retry of the message is never stored again, so
// it is never told twice (its implementation makes the job unique too).
type FollowUpHook interface {
	FollowUp(ctx context.Context, accountID int64, msg *wxcrypto.Message, ruleID int64, replies []reply.Reply) error
}

// wantsFollowUp reports whether a stored record has replies to send after its answer.
func (h *Handler) wantsFollowUp(r *messages.Record) bool {
	replies, _ := r.FollowUps.([]reply.Reply)
	return h.opts.FollowUps != nil && r.Msg != nil && len(replies) > 0
}

// notifyFollowUp hands a stored record's follow-up replies to the observer's goroutine (never blocking: a
// full queue drops and counts them, as for events).
func (h *Handler) notifyFollowUp(r *messages.Record) {
	if !h.wantsFollowUp(r) {
		return
	}
	replies, _ := r.FollowUps.([]reply.Reply)
	select {
	case h.events <- eventJob{accountID: r.AccountID, msg: r.Msg, ruleID: r.Answer.RuleID, followUps: replies}:
	default:
		h.stats.eventsDropped.Add(1)
		h.warnEvery(10*time.Second, "callback: event observer is behind, rule follow-up replies dropped",
			"dropped_total", h.stats.eventsDropped.Load())
	}
}

// followUp runs the hook for one record (on the observer's goroutine).
func (h *Handler) followUp(ctx context.Context, job eventJob) {
	if err := h.opts.FollowUps.FollowUp(ctx, job.accountID, job.msg, job.ruleID, job.followUps); err != nil {
		h.log.Warn("callback: rule follow-up replies not queued", "account_id", job.accountID, "rule_id", job.ruleID, "err", err)
	}
}

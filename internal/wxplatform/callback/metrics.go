package callback

// What became of one delivery, as /metrics counts it.
const (
	OutcomeReplied   = "replied"   // answered with a rule's passive reply
	OutcomeNoMatch   = "no_match"  // answered "success": no rule applied
	OutcomeDuplicate = "duplicate" // a retry, answered as the first delivery was
	OutcomeRefused   = "refused"   // a 4xx or 503: bad signature, stale, malformed, too large, unknown
)

// OutcomeObserver counts outcomes (the metrics package implements it).
type OutcomeObserver interface {
	CallbackOutcome(outcome string)
}

func (h *Handler) outcome(o string) {
	if h.opts.Outcomes != nil {
		h.opts.Outcomes.CallbackOutcome(o)
	}
}

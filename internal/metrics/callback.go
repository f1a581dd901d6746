package metrics

import (
	"fmt"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of a message posted to the WeChat callback.
const (
	// OutcomeReplied: a rule matched and its passive reply was sent.
	OutcomeReplied = "replied"
	// OutcomeNoMatch: no rule matched (or the rules were unavailable); WeChat got "success".
	OutcomeNoMatch = "no_match"
	// OutcomeDuplicate: WeChat's retry of a message already answered, answered the same way.
	OutcomeDuplicate = "duplicate"
	// OutcomeRefused: the request was not accepted as a message (bad signature, stale timestamp, malformed
	// or too large body, unknown account, account unavailable).
	OutcomeRefused = "refused"
)

var outcomes = []string{OutcomeReplied, OutcomeNoMatch, OutcomeDuplicate, OutcomeRefused}

// CallbackOutcome records how one message posted to the callback was answered: one of the Outcome
// constants; anything else counts as "other".
func (m *Metrics) CallbackOutcome(outcome string) {
	if !slices.Contains(outcomes, outcome) {
		outcome = "other"
	}
	m.callbackMessages.WithLabelValues(outcome).Inc()
}

// WatchQueue exposes queued, read at each scrape, as the gauge socialinzen_callback_queued_records: the
// message records waiting for Postgres (callback.Handler.QueueLen).
func (m *Metrics) WatchQueue(queued func() int) error {
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "callback", Name: "queued_records",
		Help: "Message records answered but waiting for Postgres (slow or down) in the in-memory queue.",
	}, func() float64 { return float64(queued()) })
	if err := m.reg.Register(g); err != nil {
		return fmt.Errorf("metrics: watch queue: %w", err)
	}
	return nil
}

package metrics_test

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/metrics"
)

func TestCallbackOutcomes(t *testing.T) {
	m := metrics.New()
	const name = "socialinzen_callback_messages_total"

	fams, _ := scrape(t, m)
	for _, o := range []string{"replied", "no_match", "duplicate", "refused"} {
		assert.Zero(t, value(t, fams, name, map[string]string{"outcome": o}), "%s is there from the start", o)
	}

	m.CallbackOutcome(metrics.OutcomeReplied)
	m.CallbackOutcome(metrics.OutcomeReplied)
	m.CallbackOutcome(metrics.OutcomeNoMatch)
	m.CallbackOutcome(metrics.OutcomeDuplicate)
	m.CallbackOutcome(metrics.OutcomeRefused)
	m.CallbackOutcome("/wxplatform/callback/wx0123456789abcdef")

	fams, body := scrape(t, m)
	for o, want := range map[string]float64{"replied": 2, "no_match": 1, "duplicate": 1, "refused": 1, "other": 1} {
		assert.Equal(t, want, value(t, fams, name, map[string]string{"outcome": o}), o)
	}
	assert.NotContains(t, body, "wx0123456789abcdef")
}

func TestQueueGauge(t *testing.T) {
	m := metrics.New()
	var queued atomic.Int64
	require.NoError(t, m.WatchQueue(func() int { return int(queued.Load()) }))

	fams, _ := scrape(t, m)
	assert.Zero(t, value(t, fams, "socialinzen_callback_queued_records", nil))

	queued.Store(42)
	fams, _ = scrape(t, m)
	assert.Equal(t, 42.0, value(t, fams, "socialinzen_callback_queued_records", nil), "read at each scrape")

	assert.Error(t, m.WatchQueue(func() int { return 0 }), "a second queue would be a duplicate series")
}

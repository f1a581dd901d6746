package conversations

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSlowClientDropped: a client that does not read falls ClientBuffer events behind and is dropped
// (its channel closed, so its stream ends and the browser reconnects with Last-Event-ID); publishing
// never blocks on it, and other clients keep their events.
func TestSlowClientDropped(t *testing.T) {
	h := NewHub(nil, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	slow := h.Subscribe(map[int64]string{1: "wx1"})
	fast := h.Subscribe(map[int64]string{1: "wx1"})
	other := h.Subscribe(map[int64]string{2: "wx2"})
	got := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range fast.C {
			got++
			if got == ClientBuffer+10 {
				return
			}
		}
	}()
	start := time.Now()
	for i := range ClientBuffer + 10 {
		h.publish([]Event{{ID: int64(i + 1), AccountID: 1, Name: "message", Data: []byte("{}")}})
		time.Sleep(50 * time.Microsecond) // the fast reader keeps up
	}
	require.Less(t, time.Since(start), 5*time.Second, "publishing never waits for a client")
	<-done
	n := 0
	for range slow.C {
		n++
	}
	require.Equal(t, ClientBuffer, n, "the slow client got its buffer, then its stream ended")
	require.Equal(t, ClientBuffer+10, got)
	select {
	case <-other.C:
		t.Fatal("another account's events are not sent")
	default:
	}
	require.EqualValues(t, 1, h.dropped.Load())
	h.Unsubscribe(fast)
	h.Unsubscribe(slow)
}

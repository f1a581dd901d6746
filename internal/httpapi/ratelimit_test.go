package httpapi

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestClientRate(t *testing.T) {
	r := NewClientRate(time.Minute, 3)
	now := time.Now()
	for i := range 3 {
		ok, _ := r.allow("1.2.3.4", now)
		require.True(t, ok, "request %d", i)
	}
	ok, wait := r.allow("1.2.3.4", now)
	require.False(t, ok)
	require.InDelta(t, time.Minute.Seconds(), wait.Seconds(), 1)
	ok, _ = r.allow("5.6.7.8", now)
	require.True(t, ok, "another address has its own bucket")
	ok, _ = r.allow("1.2.3.4", now.Add(61*time.Second))
	require.True(t, ok, "the bucket refills")
}

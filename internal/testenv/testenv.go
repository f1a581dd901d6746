// Package testenv holds what the tests of every package share: RequireTool for tests that need a program
// on the machine, a settable Clock, and a LogBuffer that collects a test's log from many goroutines.
//
// It is imported by tests only.
package testenv

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI (CI=true), where a missing tool is a broken machine.
func InCI() bool { return os.Getenv("CI") == "true" }

// RequireTool answers the path of the first of names found (a name on PATH, or a path). When none is
// found the test fails under CI=true and is skipped elsewhere, saying how to install the tool, so a test
// that needs pg_dump, openssl or chromium can never pass silently in CI.
func RequireTool(t testing.TB, names ...string) string {
	t.Helper()
	return requireTool(t, InCI(), names...)
}

func requireTool(t testing.TB, ci bool, names ...string) string {
	t.Helper()
	for _, n := range names {
		if n == "" {
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := "needs " + strings.Join(nonEmpty(names), " or ") + ", which is not installed (apt-get install it)"
	if ci {
		t.Fatal(msg + " — CI=true, so a missing tool fails the run instead of skipping")
	}
	t.Skip(msg)
	return ""
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Clock is a settable time source, safe for concurrent use: a test hands Now to the code under test and
// moves time with Add or Set instead of sleeping, so nothing depends on how fast the machine is.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Epoch is where NewClock starts: a fixed instant, so runs are repeatable.
var Epoch = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// NewClock starts a clock at Epoch.
func NewClock() *Clock { return &Clock{t: Epoch} }

// NewClockAt starts a clock at t.
func NewClockAt(t time.Time) *Clock { return &Clock{t: t} }

// Now answers the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// LogBuffer collects log output written from many goroutines; a test reads it to check what was (and
// what was never) logged, e.g. that no secret reached the log.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

var _ io.Writer = (*LogBuffer)(nil)

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String answers everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger answers a text logger at debug level writing into b.
func (b *LogBuffer) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

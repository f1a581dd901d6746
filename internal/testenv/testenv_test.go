package testenv

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a testing.TB that records how a test ended instead of ending the real one.
type recorder struct {
	testing.TB
	failed, skipped bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatal(args ...any)     { r.failed = true; panic(r) }
func (r *recorder) Skip(args ...any)      { r.skipped = true; panic(r) }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(r) }

func run(ci bool, names ...string) (r *recorder, path string) {
	r = &recorder{}
	defer func() {
		if v := recover(); v != nil && v != r {
			panic(v)
		}
	}()
	path = requireTool(r, ci, names...)
	return r, path
}

func TestRequireTool(t *testing.T) {
	r, p := run(false, "no-such-tool-xyz", "sh")
	if r.failed || r.skipped || p == "" {
		t.Fatalf("sh is on PATH: failed=%v skipped=%v path=%q", r.failed, r.skipped, p)
	}
	r, _ = run(false, "no-such-tool-xyz")
	if !r.skipped || r.failed {
		t.Fatalf("outside CI a missing tool skips: %+v", r)
	}
	r, _ = run(true, "no-such-tool-xyz")
	if !r.failed || r.skipped {
		t.Fatalf("under CI a missing tool fails: %+v", r)
	}
}

func TestClock(t *testing.T) {
	c := NewClock()
	if !c.Now().Equal(Epoch) {
		t.Fatal("starts at Epoch")
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Add(time.Second); _ = c.Now() }()
	}
	wg.Wait()
	if got := c.Now().Sub(Epoch); got != 10*time.Second {
		t.Fatalf("moved %v", got)
	}
	c.Set(Epoch)
	if !c.Now().Equal(Epoch) {
		t.Fatal("Set")
	}
}

func TestLogBuffer(t *testing.T) {
	var b LogBuffer
	log := b.Logger()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); log.Info("line", "i", i) }()
	}
	wg.Wait()
	for i := range 20 {
		if want := fmt.Sprintf("i=%d\n", i); !strings.Contains(b.String(), want) {
			t.Fatalf("missing %q", want)
		}
	}
}

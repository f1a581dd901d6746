package logctx_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/socialinzen/socialinzen/internal/logctx"
	"github.com/socialinzen/socialinzen/internal/testenv"
)

func TestRequestIDInEveryLine(t *testing.T) {
	var buf testenv.LogBuffer
	log := slog.New(logctx.Handler(logctx.Handler(slog.NewTextHandler(&buf, nil))))
	ctx := logctx.WithRequestID(context.Background(), "abc123")

	log.InfoContext(ctx, "from a service")
	log.With("component", "wxclient").WarnContext(ctx, "from a sub-logger")
	log.With(logctx.Key, "abc123").InfoContext(ctx, "already has it")
	log.Info("no context")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("lines: %q", lines)
	}
	for _, l := range lines[:3] {
		if strings.Count(l, "request_id=abc123") != 1 {
			t.Errorf("want the id once: %s", l)
		}
	}
	if strings.Contains(lines[3], "request_id") {
		t.Errorf("no id without a context: %s", lines[3])
	}
}

func TestClientAddr(t *testing.T) {
	ctx := context.Background()
	if got := logctx.ClientAddr(ctx); got != "" {
		t.Fatalf("empty context: %q", got)
	}
	if got := logctx.ClientAddr(logctx.WithClientAddr(ctx, "203.0.113.7")); got != "203.0.113.7" {
		t.Fatalf("got %q", got)
	}
}

// Package logctx carries a request's id (and the client's address) in its context.Context and adds the id
// to every log line written with that context (slog's InfoContext, WarnContext…, and GORM's logger),
// whichever package writes it. The audit log reads both from the same context (internal/audit).
package logctx

import (
	"context"
	"log/slog"
)

// Key is the attribute the id is logged under.
const Key = "request_id"

type ctxKey struct{}

type addrKey struct{}

// WithRequestID answers ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID answers the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// WithClientAddr answers ctx carrying the address of the client that made the request (gin's ClientIP:
// the peer, or what a trusted proxy's X-Forwarded-For names).
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, addrKey{}, addr)
}

// ClientAddr answers the client address ctx carries, or "".
func ClientAddr(ctx context.Context) string {
	a, _ := ctx.Value(addrKey{}).(string)
	return a
}

// Handler wraps h so that a record logged with a context carrying a request id gets request_id, unless
// the logger already has it (logger.With("request_id", …)). Wrapping twice changes nothing.
func Handler(h slog.Handler) slog.Handler {
	if _, ok := h.(handler); ok {
		return h
	}
	return handler{Handler: h}
}

type handler struct {
	slog.Handler
	hasID bool
}

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if !h.hasID && ctx != nil {
		if id := RequestID(ctx); id != "" {
			r = r.Clone()
			r.AddAttrs(slog.String(Key, id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler {
	has := h.hasID
	for _, a := range as {
		if a.Key == Key {
			has = true
		}
	}
	return handler{Handler: h.Handler.WithAttrs(as), hasID: has}
}

func (h handler) WithGroup(name string) slog.Handler {
	return handler{Handler: h.Handler.WithGroup(name), hasID: h.hasID}
}

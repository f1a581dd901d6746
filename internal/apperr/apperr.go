// Package apperr is the vocabulary of failures every capability shares: a Kind that the API edge maps to the
// contract's errcode and HTTP status in one place (httpapi.Fail), and a message that is safe to show.
// Capability packages declare their sentinels with New and wrap them with %w.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Kind is what went wrong, in the contract's terms (§2).
type Kind int

// The kinds, one per row of the contract's errcode table.
const (
	Internal        Kind = iota // 50000
	Invalid                     // 40000: invalid or missing field
	Unauthenticated             // 40100
	BadCredentials              // 40101
	Unverified                  // 40102
	Forbidden                   // 40300
	NotFound                    // 40400
	Conflict                    // 40900
	TooLarge                    // 41300
	UnsupportedType             // 41500
	TooManyRequests             // 42900
	Upstream                    // 50200: WeChat answered with an error
	UpstreamTimeout             // 50400: WeChat did not answer in time
	WindowClosed                // 40301: the follower's customer-service window is closed or used up (§16)
)

// Error is a failure with a kind and a message meant for the caller. Msg is English (the API answers
// it); Key and Args, when set, name the same sentence in the i18n catalogue, which the pages show in
// the operator's language.
type Error struct {
	Kind  Kind
	Msg   string
	Field string // the offending field, for Invalid
	Key   string // i18n key of the message, e.g. "err.required"; empty: the pages show Msg
	Args  []any  // arguments of Key's text
	// RetryAfter is set for TooManyRequests.
	RetryAfter time.Duration
	// Details are more fields of the answer beside errcode and msg (40301's windowClosesAt, remaining).
	Details map[string]any
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes two errors of one kind with the same message equal, so sentinels survive being copied.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && t.Msg == e.Msg && t.Field == e.Field
}

// WithKey answers a copy of e whose message has the i18n key key (with args) for the pages.
func (e *Error) WithKey(key string, args ...any) *Error {
	c := *e
	c.Key, c.Args = key, args
	return &c
}

// Term is an argument of a key that is itself a word of the catalogue (e.g. "materials.kind.a.image"):
// the pages show it in the operator's language too.
type Term string

// New makes a sentinel or one-off error of a kind.
func New(kind Kind, msg string) *Error { return &Error{Kind: kind, Msg: msg} }

// Wrap gives err a kind and a caller-safe message; err stays reachable through errors.Is/As for logs.
func Wrap(kind Kind, msg string, err error) *Error { return &Error{Kind: kind, Msg: msg, Err: err} }

// Invalidf reports an invalid or missing field; the message names it. Key it like every message, with
// the field as the first argument: Invalidf("name", "must be at most %d characters", n).
// WithKey("err.field.max_chars", "name", n).
func Invalidf(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Kind: Invalid, Field: field, Msg: field + ": " + msg}
}

// Missing reports a required field that is absent or empty.
func Missing(field string) *Error {
	return Invalidf(field, "is required").WithKey("err.required", field)
}

// KindOf answers the kind of err, Internal when it carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// WeChatError is implemented by errors that carry WeChat's own errcode and errmsg (the WeChat client's).
// The edge answers them with 50200 and the two fields wxErrcode and wxErrmsg.
type WeChatError interface {
	error
	WeChatCode() int
	WeChatMsg() string
	// Explanation is a plain English sentence for the operator, e.g. what to do about 40164.
	Explanation() string
	// ExplanationKey names the same sentence in the i18n catalogue ("" when there is none).
	ExplanationKey() (key string, args []any)
}

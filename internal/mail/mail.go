// Package mail sends the console's few mails (address verification, password reset). Capability packages
// depend on the Sender interface only; the wiring picks SMTP or, when no relay is configured, the log, so a
// local operator can still follow the links.
package mail

import (
	"context"
	"log/slog"
)

// Message is one mail to one recipient, with a plain-text body and an optional HTML alternative.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Sender delivers a message. Implementations are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// New answers the sender for the configuration: SMTP when smtpURL is set, else the log sender.
func New(smtpURL, from string, logger *slog.Logger) (Sender, error) {
	if smtpURL == "" {
		return NewLog(logger), nil
	}
	return NewSMTP(smtpURL, from)
}

// SenderFunc adapts a function to Sender, for tests and decorators.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

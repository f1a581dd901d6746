package mail

import (
	"context"
	"log/slog"
)

// logSender writes every message to the log instead of sending it.
type logSender struct{ log *slog.Logger }

// NewLog answers a Sender that writes each whole message, links included, to logger. It stands in for SMTP
// when SMTP_URL is empty, so that an operator running the console locally can still follow a verification
// or reset link; that is the one place where a link token is meant to reach the log.
func NewLog(logger *slog.Logger) Sender {
	if logger == nil {
		logger = slog.Default()
	}
	return logSender{log: logger}
}

func (s logSender) Send(ctx context.Context, m Message) error {
	s.log.InfoContext(ctx, "mail not sent (SMTP_URL is empty); here it is",
		"to", m.To, "subject", m.Subject, "text", m.Text, "html", m.HTML)
	return nil
}

// Package mailtest runs an in-process SMTP server for tests: it accepts every message on 127.0.0.1, keeps
// it, and lets a test wait for the next mail to an address and read its decoded parts and links.
package mailtest

import (
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Server is a running test SMTP server.
type Server struct {
	srv  *smtp.Server
	addr string
	user string
	pass string

	mu       sync.Mutex
	received []Received
	taken    map[int]bool  // indexes already answered by Wait
	changed  chan struct{} // closed and replaced on each new message
}

// Option configures Start.
type Option func(*Server)

// WithAuth makes the server advertise AUTH PLAIN and refuse mail from a client that did not log in with
// user and pass.
func WithAuth(user, pass string) Option {
	return func(s *Server) { s.user, s.pass = user, pass }
}

// Start listens on 127.0.0.1:0 and serves until t ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{taken: map[int]bool{}, changed: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.addr = l.Addr().String()
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, helo: c.Hostname()}, nil
	}))
	s.srv.Domain = "mailtest.localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.MaxMessageBytes = 4 << 20
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// URL answers the server's address as an SMTP_URL (with the credentials of WithAuth, if any).
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.addr}
	if s.user != "" {
		u.User = url.UserPassword(s.user, s.pass)
	}
	return u.String()
}

// Addr answers host:port.
func (s *Server) Addr() string { return s.addr }

// All answers a copy of every message received so far, in order.
func (s *Server) All() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Count answers how many messages were sent to the address (any case).
func (s *Server) Count(to string) int {
	n := 0
	for _, r := range s.All() {
		if r.SentTo(to) {
			n++
		}
	}
	return n
}

// Wait answers the oldest message to the address (any case) that no earlier Wait answered, waiting up to
// timeout for it to arrive; it fails the test when none comes.
func (s *Server) Wait(t testing.TB, to string, timeout time.Duration) Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i, r := range s.received {
			if !s.taken[i] && r.SentTo(to) {
				s.taken[i] = true
				s.mu.Unlock()
				return r
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("mailtest: no mail to %s within %s", to, timeout)
			return Received{}
		}
	}
}

func (s *Server) keep(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.received = append(s.received, r)
	close(s.changed)
	s.changed = make(chan struct{})
}

// session collects one SMTP transaction.
type session struct {
	srv    *Server
	helo   string
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.srv.user || pass != ss.srv.pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	rec, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "mailtest: cannot parse message: " + err.Error()}
	}
	rec.Helo, rec.From, rec.To = ss.helo, ss.from, append([]string(nil), ss.to...)
	ss.srv.keep(rec)
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// SentTo reports whether the message's envelope names the address (any case).
func (r Received) SentTo(addr string) bool {
	for _, to := range r.To {
		if strings.EqualFold(to, addr) {
			return true
		}
	}
	return false
}

var errNoLink = errors.New("no link")

// Link answers the first link in the message (plain text first, then HTML) that starts with prefix, or "".
func (r Received) Link(prefix string) string {
	for _, body := range []string{r.Text, r.HTML} {
		if l, err := FirstLink(body, prefix); err == nil {
			return l
		}
	}
	return ""
}

// FirstLink finds the first link in text that starts with prefix: it ends at white space, a quote or an
// angle bracket, and HTML's &amp; is turned back into &.
func FirstLink(text, prefix string) (string, error) {
	if prefix == "" {
		return "", errNoLink
	}
	i := strings.Index(text, prefix)
	if i < 0 {
		return "", errNoLink
	}
	rest := text[i:]
	end := strings.IndexFunc(rest, func(r rune) bool {
		return r == '"' || r == '\'' || r == '<' || r == '>' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
	if end >= 0 {
		rest = rest[:end]
	}
	return strings.ReplaceAll(rest, "&amp;", "&"), nil
}

package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// sendTimeout bounds one delivery (dial, TLS, auth and data) so a stuck relay cannot hold a request.
const sendTimeout = 30 * time.Second

type smtpSender struct {
	client *gomail.Client
	from   string
}

// NewSMTP answers a Sender that delivers through the relay of smtpURL:
//
//	smtp://[user:pass@]host[:port]   port 25; STARTTLS when the relay offers it (a local relay often does not)
//	smtps://[user:pass@]host[:port]  port 465; implicit TLS
//
// The query parameter tls=none|opportunistic|required overrides the STARTTLS policy of smtp:// (none for a
// relay with a certificate nobody can verify, required to refuse plain text). Credentials in the URL turn
// on SMTP AUTH; PLAIN and LOGIN are only used over TLS or to a relay on the loopback address, so a password
// never crosses the network in clear. The HELO name is "localhost": some relays refuse the container's
// hostname that go-mail would send otherwise.
func NewSMTP(smtpURL, from string) (Sender, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("mail: SMTP_URL must look like smtp://user:pass@host:port")
	}
	if _, err := netmail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("mail: sender address %q: %w", from, err)
	}
	opts := []gomail.Option{gomail.WithHELO("localhost"), gomail.WithTimeout(sendTimeout)}
	port := 25
	switch u.Scheme {
	case "smtp":
		policy, err := tlsPolicy(u.Query().Get("tls"))
		if err != nil {
			return nil, err
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("mail: SMTP_URL scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("mail: SMTP_URL port %q: %w", p, err)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts,
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass),
			// Challenge-response first; PLAIN and LOGIN refuse themselves on a clear remote connection.
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthCramMD5, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
	}
	client, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return &smtpSender{client: client, from: from}, nil
}

func tlsPolicy(v string) (gomail.TLSPolicy, error) {
	switch v {
	case "", "opportunistic":
		return gomail.TLSOpportunistic, nil
	case "none":
		return gomail.NoTLS, nil
	case "required":
		return gomail.TLSMandatory, nil
	}
	return gomail.NoTLS, fmt.Errorf("mail: SMTP_URL tls=%q: want none, opportunistic or required", v)
}

// Send delivers m on a connection of its own: go-mail's DialAndSend is safe for concurrent use, and the
// console sends too few mails for a pooled connection to matter.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail send: %w", err)
	}
	return nil
}

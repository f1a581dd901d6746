package mail_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/mail"
	"github.com/socialinzen/socialinzen/internal/mail/mailtest"
)

func testMessage(to string) mail.Message {
	return mail.Message{
		To:      to,
		Subject: "请验证您的邮箱 / Verify your email",
		Text:    "打开链接 / Open the link:\nhttp://localhost:8080/apis/user/verify?token=abc_DEF-123\n",
		HTML:    `<p>打开链接 / Open the link: <a href="http://localhost:8080/apis/user/verify?token=abc_DEF-123&amp;x=1">verify</a></p>`,
	}
}

func TestSMTPDelivers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []mailtest.Option
	}{
		{"plain relay", nil},
		{"relay with auth", []mailtest.Option{mailtest.WithAuth("alice", "s3cret pass")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := mailtest.Start(t, tc.opts...)
			s, err := mail.New(srv.URL(), "socialinzen <no-reply@localhost>", nil)
			require.NoError(t, err)
			require.NoError(t, s.Send(context.Background(), testMessage("Bob@Example.com")))

			got := srv.Wait(t, "bob@example.com", 5*time.Second)
			require.Equal(t, "localhost", got.Helo)
			require.Equal(t, "no-reply@localhost", got.From)
			require.Equal(t, "请验证您的邮箱 / Verify your email", got.Subject)
			require.Contains(t, got.Text, "打开链接 / Open the link:")
			require.Contains(t, got.HTML, "<p>打开链接")
			require.Equal(t, "http://localhost:8080/apis/user/verify?token=abc_DEF-123", got.Link("http://localhost:8080/apis/user/verify?"))
			link, err := mailtest.FirstLink(got.HTML, "http://localhost:8080/")
			require.NoError(t, err)
			require.Equal(t, "http://localhost:8080/apis/user/verify?token=abc_DEF-123&x=1", link)
		})
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.WithAuth("alice", "right"))
	s, err := mail.NewSMTP("smtp://alice:wrong@"+srv.Addr(), "no-reply@localhost")
	require.NoError(t, err)
	require.Error(t, s.Send(context.Background(), testMessage("bob@example.com")))
	require.Empty(t, srv.All())
}

func TestNewSMTPRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, url, from string }{
		{"no host", "smtp://", "a@b.c"},
		{"wrong scheme", "http://mail.example.com", "a@b.c"},
		{"bad tls policy", "smtp://mail.example.com?tls=maybe", "a@b.c"},
		{"bad port", "smtp://mail.example.com:abc", "a@b.c"},
		{"bad sender", "smtp://mail.example.com", "not an address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mail.NewSMTP(tc.url, tc.from)
			require.Error(t, err)
		})
	}
	for _, ok := range []string{"smtp://relay:2525?tls=none", "smtps://u:p@mail.example.com", "smtp://mail.example.com?tls=required"} {
		_, err := mail.NewSMTP(ok, "socialinzen <no-reply@localhost>")
		require.NoError(t, err, ok)
	}
}

func TestNewWithoutSMTPLogsTheWholeMessage(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s, err := mail.New("", "no-reply@localhost", slog.New(slog.NewTextHandler(&buf, nil)))
	require.NoError(t, err)
	require.NoError(t, s.Send(context.Background(), testMessage("bob@example.com")))
	out := buf.String()
	for _, want := range []string{"bob@example.com", "Verify your email", "verify?token=abc_DEF-123"} {
		require.True(t, strings.Contains(out, want), "log lacks %q: %s", want, out)
	}
}

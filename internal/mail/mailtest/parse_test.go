package mailtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	t.Parallel()
	crlf := func(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }
	tests := []struct {
		name              string
		raw               []byte
		subject, text, ht string
	}{
		{
			name:    "plain 7bit",
			raw:     crlf("Subject: hello\nContent-Type: text/plain\n\nline one\nline two\n"),
			subject: "hello", text: "line one\r\nline two\r\n",
		},
		{
			name: "alternative, quoted-printable and base64, encoded subject",
			raw: crlf("Subject: =?UTF-8?q?=E8=AF=B7=E9=AA=8C=E8=AF=81?= / Verify\n" +
				"MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=XX\n\n" +
				"--XX\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
				"=E8=AF=B7 http://x/verify?token=3Dabc=\n-def\n" +
				"--XX\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n" +
				"PGEgaHJlZj0iaHR0cDov\nL3gvdiI+djwvYT4=\n--XX--\n"),
			subject: "请验证 / Verify", text: "请 http://x/verify?token=abc-def", ht: `<a href="http://x/v">v</a>`,
		},
		{
			name: "nested in mixed",
			raw: crlf("Subject: n\nContent-Type: multipart/mixed; boundary=A\n\n--A\n" +
				"Content-Type: multipart/alternative; boundary=B\n\n--B\nContent-Type: text/plain\n\nt\n--B\n" +
				"Content-Type: text/html\n\n<b>h</b>\n--B--\n--A--\n"),
			subject: "n", text: "t", ht: "<b>h</b>",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.raw)
			require.NoError(t, err)
			require.Equal(t, tc.subject, r.Subject)
			require.Equal(t, tc.text, r.Text)
			require.Equal(t, tc.ht, r.HTML)
		})
	}
}

func TestFirstLink(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text, prefix, want string }{
		{"in text", "open http://h/a?token=x1 now", "http://h/a", "http://h/a?token=x1"},
		{"in href", `<a href="http://h/a?t=1&amp;u=2">`, "http://h/", "http://h/a?t=1&u=2"},
		{"at end", "http://h/z", "http://h/", "http://h/z"},
		{"none", "nothing", "http://", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := FirstLink(tc.text, tc.prefix)
			require.Equal(t, tc.want, got)
		})
	}
}

package wxcrypto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/: the official vectors, WeChat's samples and malformed
// variants of them. They run as ordinary tests; `go test -fuzz FuzzName` explores from them.

// FuzzParseMessage: any input either fails with ErrMalformedXML or parses to a message whose Marshal output
// parses back to the same bytes.
func FuzzParseMessage(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMessage(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedXML)
			require.Nil(t, m)
			return
		}
		out := m.Marshal()
		again, err := ParseMessage(out)
		require.NoError(t, err, "Marshal wrote unparsable XML:\n%q", out)
		require.Equal(t, string(out), string(again.Marshal()))
	})
}

// FuzzParseReply: the same property for passive replies.
func FuzzParseReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReply(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedXML)
			require.Nil(t, r)
			return
		}
		out := r.Marshal()
		again, err := ParseReply(out)
		require.NoError(t, err, "Marshal wrote unparsable XML:\n%q", out)
		require.Equal(t, r, again)
	})
}

// FuzzMarshalReply feeds arbitrary strings, invalid UTF-8 and control characters included, to the writer: the
// XML must always parse and carry the strings back, with only what XML cannot represent replaced.
func FuzzMarshalReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, a, b string) {
		r := &Reply{ToUserName: a, FromUserName: b, MsgType: "news", Articles: []Article{{a, b, a + b, b + a}}}
		got, err := ParseReply(r.Marshal())
		require.NoError(t, err, "Marshal wrote unparsable XML:\n%q", r.Marshal())
		want := &Reply{ToUserName: xmlSafe(a), FromUserName: xmlSafe(b), MsgType: "news",
			Articles: []Article{{xmlSafe(a), xmlSafe(b), xmlSafe(a + b), xmlSafe(b + a)}}}
		require.Equal(t, want, got)

		env, err := ParseEncryptedReply(EncryptedReply(a, b, a, b))
		require.NoError(t, err)
		require.Equal(t, &Envelope{Encrypt: xmlSafe(a), MsgSignature: xmlSafe(b), TimeStamp: xmlSafe(a), Nonce: xmlSafe(b)}, env)
	})
}

// FuzzDecrypt: arbitrary <Encrypt> text never panics and fails only with the package's errors; whatever
// opens, seals again to the same message.
func FuzzDecrypt(f *testing.F) {
	c, err := NewCipher(officialKey, vecBAppID)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, encrypt string) {
		msg, err := c.Decrypt(encrypt)
		any, appid, anyErr := c.DecryptAnyAppID(encrypt)
		if err != nil {
			require.True(t, errors.Is(err, ErrDecrypt) || errors.Is(err, ErrAppIDMismatch), "unexpected error %v", err)
			require.Equal(t, errors.Is(err, ErrDecrypt), anyErr != nil)
			if anyErr == nil {
				require.NotEqual(t, vecBAppID, appid)
			}
			return
		}
		require.NoError(t, anyErr)
		require.Equal(t, vecBAppID, appid)
		require.Equal(t, msg, any)

		enc, err := c.Encrypt(msg)
		require.NoError(t, err)
		again, err := c.Decrypt(enc)
		require.NoError(t, err)
		require.Equal(t, msg, again)
	})
}

// FuzzDecryptPlaintext reaches the checks behind AES, which random ciphertext almost never gets past: the
// input is taken as a decrypted plaintext (zero-extended to whole blocks), sealed, and opened again.
func FuzzDecryptPlaintext(f *testing.F) {
	c, err := NewCipher(officialKey, vecBAppID)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, plain []byte) {
		if rem := len(plain) % 16; rem != 0 || len(plain) == 0 {
			plain = append(plain, make([]byte, 16-rem)...)
		}
		msg, appid, err := c.DecryptAnyAppID(seal(t, officialKey, plain))
		if err != nil {
			require.ErrorIs(t, err, ErrDecrypt)
			return
		}
		pad := int(plain[len(plain)-1])
		require.True(t, pad >= 1 && pad <= 32)
		require.Equal(t, bytes.Repeat([]byte{byte(pad)}, pad), plain[len(plain)-pad:])
		body := plain[:len(plain)-pad]
		require.Equal(t, int(binary.BigEndian.Uint32(body[16:20])), len(msg))
		require.Equal(t, body[20:20+len(msg)], msg)
		require.Equal(t, string(body[20+len(msg):]), appid)
	})
}

// FuzzOpenReply: an arbitrary reply body never panics and only fails with the package's errors.
func FuzzOpenReply(f *testing.F) {
	c, err := NewCipher(officialKey, vecBAppID)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := c.OpenReply(vecBToken, body)
		if err != nil {
			require.True(t, errors.Is(err, ErrMalformedXML) || errors.Is(err, ErrSignature) ||
				errors.Is(err, ErrDecrypt) || errors.Is(err, ErrAppIDMismatch), "unexpected error %v", err)
		}
	})
}

// xmlSafe is what appendCDATA promises to deliver: s with every rune XML 1.0 cannot carry replaced by U+FFFD.
func xmlSafe(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				b.WriteRune(utf8.RuneError)
				continue
			}
		}
		if !isXMLChar(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

package wxcrypto

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEncryptedReply(t *testing.T) {
	got := EncryptedReply(vecBEncrypt, vecBMsgSig, vecBTimestamp, vecBNonce)
	want := "<xml><Encrypt><![CDATA[" + vecBEncrypt + "]]></Encrypt>" +
		"<MsgSignature><![CDATA[" + vecBMsgSig + "]]></MsgSignature>" +
		"<TimeStamp>" + vecBTimestamp + "</TimeStamp>" +
		"<Nonce><![CDATA[" + vecBNonce + "]]></Nonce></xml>"
	require.Equal(t, want, string(got))

	env, err := ParseEncryptedReply(got)
	require.NoError(t, err)
	require.Equal(t, &Envelope{Encrypt: vecBEncrypt, MsgSignature: vecBMsgSig, TimeStamp: vecBTimestamp, Nonce: vecBNonce}, env)
}

func TestEncryptedReplyEscapesTimeStamp(t *testing.T) {
	got := EncryptedReply("e", "s", "1<2&3]]>", "n]]>")
	require.Contains(t, string(got), "<TimeStamp>1&lt;2&amp;3]]&gt;</TimeStamp>")
	env, err := ParseEncryptedReply(got)
	require.NoError(t, err)
	require.Equal(t, "1<2&3]]>", env.TimeStamp)
	require.Equal(t, "n]]>", env.Nonce)
}

func TestParseEncryptedReplyRejects(t *testing.T) {
	tests := []struct{ name, data string }{
		{"empty", ""},
		{"no Encrypt", "<xml><MsgSignature>s</MsgSignature></xml>"},
		{"Encrypt nested too deep", "<xml><X><Encrypt>e</Encrypt></X></xml>"},
		{"two roots", "<xml><Encrypt>e</Encrypt></xml><xml/>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEncryptedReply([]byte(tt.data))
			require.ErrorIs(t, err, ErrMalformedXML)
		})
	}
}

func TestSealAndOpenReply(t *testing.T) {
	c := mustCipher(t, officialKey, vecBAppID)
	reply := (&Reply{ToUserName: "o", FromUserName: "gh", CreateTime: 1, MsgType: "text", Content: "你好]]>"}).Marshal()

	body, err := c.SealReply(vecBToken, reply, vecBTimestamp, vecBNonce)
	require.NoError(t, err)
	env, err := ParseEncryptedReply(body)
	require.NoError(t, err)
	require.Equal(t, vecBTimestamp, env.TimeStamp)
	require.Equal(t, vecBNonce, env.Nonce)
	require.Equal(t, MsgSignature(vecBToken, vecBTimestamp, vecBNonce, env.Encrypt), env.MsgSignature)

	got, err := c.OpenReply(vecBToken, body)
	require.NoError(t, err)
	require.Equal(t, reply, got)

	t.Run("wrong token", func(t *testing.T) {
		_, err := c.OpenReply("other", body)
		require.ErrorIs(t, err, ErrSignature)
	})
	t.Run("signature of another ciphertext", func(t *testing.T) {
		forged := EncryptedReply(vecBEncrypt, env.MsgSignature, env.TimeStamp, env.Nonce)
		_, err := c.OpenReply(vecBToken, forged)
		require.ErrorIs(t, err, ErrSignature)
	})
	t.Run("another account", func(t *testing.T) {
		_, err := mustCipher(t, officialKey, vecAAppID).OpenReply(vecBToken, body)
		require.ErrorIs(t, err, ErrAppIDMismatch)
	})
	t.Run("not an envelope", func(t *testing.T) {
		_, err := c.OpenReply(vecBToken, []byte("success"))
		require.ErrorIs(t, err, ErrMalformedXML)
	})
	t.Run("signed garbage", func(t *testing.T) {
		junk := "AAAA"
		_, err := c.OpenReply(vecBToken, EncryptedReply(junk, MsgSignature(vecBToken, "1", "2", junk), "1", "2"))
		require.ErrorIs(t, err, ErrDecrypt)
	})
}

func TestOpenReplyVectorB(t *testing.T) {
	body := EncryptedReply(vecBEncrypt, vecBMsgSig, vecBTimestamp, vecBNonce)
	got, err := mustCipher(t, officialKey, vecBAppID).OpenReply(vecBToken, body)
	require.NoError(t, err)
	require.Equal(t, vecBMsg, string(got))
}

func TestOpenMessage(t *testing.T) {
	c := mustCipher(t, officialKey, vecAAppID)
	safe := "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[" + vecAEncrypt + "]]></Encrypt></xml>"
	compat := strings.Replace(vecAMsg, "</xml>", "<Encrypt><![CDATA["+vecAEncrypt+"]]></Encrypt>\n</xml>", 1)

	for name, body := range map[string]string{"safe mode": safe, "compatible mode": compat} {
		t.Run(name, func(t *testing.T) {
			m, err := c.OpenMessage(vecAToken, vecATimestamp, vecANonce, vecAMsgSig, []byte(body))
			require.NoError(t, err)
			require.Equal(t, "text", m.MsgType)
			require.Equal(t, "abcdteT", m.Content)
			require.Equal(t, int64(6054768590064713728), m.MsgID)
			require.Empty(t, m.Encrypt)
		})
	}
	t.Run("bad msg_signature", func(t *testing.T) {
		_, err := c.OpenMessage(vecAToken, vecATimestamp, "1", vecAMsgSig, []byte(safe))
		require.ErrorIs(t, err, ErrSignature)
	})
	t.Run("plaintext body", func(t *testing.T) {
		_, err := c.OpenMessage(vecAToken, vecATimestamp, vecANonce, vecAMsgSig, []byte(vecAMsg))
		require.ErrorIs(t, err, ErrMalformedXML)
	})
	t.Run("another account", func(t *testing.T) {
		_, err := mustCipher(t, officialKey, vecBAppID).OpenMessage(vecAToken, vecATimestamp, vecANonce, vecAMsgSig, []byte(safe))
		require.ErrorIs(t, err, ErrAppIDMismatch)
	})
}

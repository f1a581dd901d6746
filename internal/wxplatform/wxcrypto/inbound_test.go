package wxcrypto

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSealMessageOpensAsTheCallbackReadsIt(t *testing.T) {
	const token, aesKey, appid = "spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2"
	c, err := NewCipher(aesKey, appid)
	require.NoError(t, err)
	msg := &Message{ToUserName: "gh_1", FromUserName: "o_user", CreateTime: 1409735668, MsgType: "text", Content: "你好", MsgID: 42}

	q, body, err := SealMessage(token, nil, false, msg, "1409735669", "1320562132")
	require.NoError(t, err)
	require.True(t, VerifySignature(token, "1409735669", "1320562132", q.Get("signature")))
	require.Equal(t, "o_user", q.Get("openid"))
	require.Empty(t, q.Get("encrypt_type"))
	got, err := ParseMessage(body)
	require.NoError(t, err)
	require.Equal(t, "你好", got.Content)

	for _, compat := range []bool{false, true} {
		q, body, err = SealMessage(token, c, compat, msg, "1409735669", "1320562132")
		require.NoError(t, err)
		require.Equal(t, "aes", q.Get("encrypt_type"))
		outer, err := ParseMessage(body)
		require.NoError(t, err)
		require.Equal(t, compat, strings.Contains(string(body), "<Content>"), "plaintext fields only in compat mode")
		require.True(t, VerifyMsgSignature(token, "1409735669", "1320562132", outer.Encrypt, q.Get("msg_signature")))
		inner, err := c.Decrypt(outer.Encrypt)
		require.NoError(t, err)
		got, err = ParseMessage(inner)
		require.NoError(t, err)
		require.Equal(t, int64(42), got.MsgID)
	}
}

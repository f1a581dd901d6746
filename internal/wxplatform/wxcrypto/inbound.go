package wxcrypto

import "net/url"

// SealMessage builds the callback request WeChat sends for msg, for everything that plays WeChat's part
// (the emulator's follower simulator, the console's chat simulator, the load generator): the query —
// signature, timestamp, nonce and openid, and with a cipher encrypt_type=aes and msg_signature — and the
// body. Without a cipher the body is the message (plaintext mode); with one it carries only ToUserName
// and the ciphertext (safe mode), or, when compat is set, the ciphertext beside the plaintext fields.
func SealMessage(token string, c *Cipher, compat bool, msg *Message, timestamp, nonce string) (url.Values, []byte, error) {
	m := *msg
	m.Encrypt = ""
	plain := m.Marshal()
	q := url.Values{}
	q.Set("signature", Signature(token, timestamp, nonce))
	q.Set("timestamp", timestamp)
	q.Set("nonce", nonce)
	q.Set("openid", m.FromUserName)
	if c == nil {
		return q, plain, nil
	}
	enc, err := c.Encrypt(plain)
	if err != nil {
		return nil, nil, err
	}
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", MsgSignature(token, timestamp, nonce, enc))
	if compat {
		m.Encrypt = enc
		return q, m.Marshal(), nil
	}
	b := make([]byte, 0, len(enc)+96)
	b = append(b, "<xml>\n"...)
	b = append(appendCDATAElem(b, "ToUserName", m.ToUserName), '\n')
	b = append(appendCDATAElem(b, "Encrypt", enc), '\n')
	b = append(b, "</xml>"...)
	return q, b, nil
}

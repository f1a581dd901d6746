package wxcrypto

import "fmt"

// Envelope is the encrypted reply body of safe and compatible modes (§2.2).
type Envelope struct {
	Encrypt, MsgSignature, TimeStamp, Nonce string
}

// EncryptedReply writes the envelope in the layout of WeChat's SDKs:
// <xml><Encrypt><![CDATA[..]]></Encrypt><MsgSignature><![CDATA[..]]></MsgSignature><TimeStamp>ts</TimeStamp><Nonce><![CDATA[..]]></Nonce></xml>.
// msgSignature must be MsgSignature(token, timestamp, nonce, encrypt); SealReply does all of it.
func EncryptedReply(encrypt, msgSignature, timestamp, nonce string) []byte {
	b := make([]byte, 0, 160+len(encrypt)+len(timestamp)+len(nonce))
	b = append(b, "<xml>"...)
	b = appendCDATAElem(b, "Encrypt", encrypt)
	b = appendCDATAElem(b, "MsgSignature", msgSignature)
	b = appendTextElem(b, "TimeStamp", timestamp)
	b = appendCDATAElem(b, "Nonce", nonce)
	return append(b, "</xml>"...)
}

// ParseEncryptedReply reads an envelope back. One without an Encrypt element is malformed; the signature is
// not checked here (OpenReply does).
func ParseEncryptedReply(data []byte) (*Envelope, error) {
	var e envelopeWalker
	if err := walkDocument(data, &e); err != nil {
		return nil, err
	}
	if !e.hasEncrypt {
		return nil, fmt.Errorf("%w: no <Encrypt> element", ErrMalformedXML)
	}
	return &e.Envelope, nil
}

type envelopeWalker struct {
	Envelope
	hasEncrypt bool
}

func (e *envelopeWalker) start([]string) {}

func (e *envelopeWalker) end(path []string, text []byte) error {
	if len(path) != 1 {
		return nil
	}
	switch path[0] {
	case "Encrypt":
		e.Encrypt, e.hasEncrypt = string(text), true
	case "MsgSignature":
		e.MsgSignature = string(text)
	case "TimeStamp":
		e.TimeStamp = string(text)
	case "Nonce":
		e.Nonce = string(text)
	}
	return nil
}

// SealReply encrypts a passive reply body for safe mode and wraps it in a signed envelope. The callback
// passes the request's timestamp and nonce, as WeChat's SDKs do.
func (c *Cipher) SealReply(token string, reply []byte, timestamp, nonce string) ([]byte, error) {
	encrypt, err := c.Encrypt(reply)
	if err != nil {
		return nil, err
	}
	return EncryptedReply(encrypt, MsgSignature(token, timestamp, nonce, encrypt), timestamp, nonce), nil
}

// OpenReply is SealReply in reverse, for the follower simulator reading the console's answer: it checks the
// envelope's MsgSignature before decrypting (ErrSignature), then checks the AppID like Decrypt.
func (c *Cipher) OpenReply(token string, body []byte) ([]byte, error) {
	env, err := ParseEncryptedReply(body)
	if err != nil {
		return nil, err
	}
	if !VerifyMsgSignature(token, env.TimeStamp, env.Nonce, env.Encrypt, env.MsgSignature) {
		return nil, ErrSignature
	}
	return c.Decrypt(env.Encrypt)
}

// OpenMessage is the inbound half for the callback in safe or compatible mode: it checks the msg_signature
// of the query string against the body's <Encrypt> before decrypting, so no unsigned ciphertext reaches AES,
// and parses the decrypted message. Plaintext fields next to <Encrypt> (compatible mode) are ignored: only
// the sealed copy is authenticated.
func (c *Cipher) OpenMessage(token, timestamp, nonce, msgSignature string, body []byte) (*Message, error) {
	outer, err := ParseMessage(body)
	if err != nil {
		return nil, err
	}
	if outer.Encrypt == "" {
		return nil, fmt.Errorf("%w: no <Encrypt> element", ErrMalformedXML)
	}
	if !VerifyMsgSignature(token, timestamp, nonce, outer.Encrypt, msgSignature) {
		return nil, ErrSignature
	}
	plain, err := c.Decrypt(outer.Encrypt)
	if err != nil {
		return nil, err
	}
	return ParseMessage(plain)
}

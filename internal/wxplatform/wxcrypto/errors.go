package wxcrypto

import "errors"

// The sentinel errors are wrapped with detail ("%w: ...") by the functions that return them, so callers test
// them with errors.Is. The comments name the WXBizMsgCrypt code each one corresponds to.
var (
	// ErrInvalidAESKey reports an EncodingAESKey that is not 43 characters of [a-zA-Z0-9] (−40004).
	ErrInvalidAESKey = errors.New("wxcrypto: invalid EncodingAESKey")
	// ErrDecrypt reports ciphertext that is not valid Base64, not whole AES blocks, badly padded or whose
	// length field points outside the plaintext (−40007, −40008, −40010). The detail never includes key
	// material or plaintext.
	ErrDecrypt = errors.New("wxcrypto: cannot decrypt message")
	// ErrAppIDMismatch reports a message that decrypted cleanly but was sealed for another AppID (−40005).
	ErrAppIDMismatch = errors.New("wxcrypto: appid mismatch")
	// ErrMalformedXML reports a body that is not one well-formed <xml> element of the expected shape (−40002).
	ErrMalformedXML = errors.New("wxcrypto: malformed xml")
	// ErrSignature reports an msg_signature that does not match the envelope it came with (−40001).
	ErrSignature = errors.New("wxcrypto: signature mismatch")
	// ErrEncrypt reports arguments that cannot be sealed: a random prefix that is not 16 bytes, or a message
	// too long for the 32-bit length field (−40006).
	ErrEncrypt = errors.New("wxcrypto: cannot encrypt message")
)

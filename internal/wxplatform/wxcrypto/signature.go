package wxcrypto

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
)

// sigBufSize covers the concatenation of a token, a timestamp, a nonce and the Base64 of a typical message,
// so the hot path hashes from the stack; longer inputs spill to the heap, which is only slower.
const sigBufSize = 2048

// Signature is WeChat's request signature (§1, §2.2): the parts sorted byte-wise, concatenated without a
// separator, hashed with SHA-1 and written as lowercase hex. The caller's slice is not reordered.
func Signature(parts ...string) string {
	sum := signatureHex(parts)
	return string(sum[:])
}

// VerifySignature checks the signature of a callback URL (the GET handshake and every POST), comparing in
// constant time so that a guesser learns nothing from response timing.
func VerifySignature(token, timestamp, nonce, signature string) bool {
	return verifyHex(signatureHex([]string{token, timestamp, nonce}), signature)
}

// MsgSignature is the msg_signature of compatible and safe modes: the same algorithm as Signature with the
// Base64 ciphertext as a fourth part.
func MsgSignature(token, timestamp, nonce, encrypt string) string {
	return Signature(token, timestamp, nonce, encrypt)
}

// VerifyMsgSignature checks an msg_signature in constant time. Checking it before decrypting is what keeps
// the AES-CBC layer from acting as a padding oracle: without the token nobody can get a forged ciphertext
// as far as Decrypt.
func VerifyMsgSignature(token, timestamp, nonce, encrypt, msgSignature string) bool {
	return verifyHex(signatureHex([]string{token, timestamp, nonce, encrypt}), msgSignature)
}

// RandomNonce returns a fresh nonce shaped like WeChat's own: ten decimal digits that also fit in a uint32,
// for callers that store it as a number. It draws from crypto/rand because a nonce that repeats would let a
// recorded reply be replayed.
func RandomNonce() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24; it crashes the program instead.
	const lo, hi = 1_000_000_000, 1 << 32
	return strconv.FormatUint(lo+binary.BigEndian.Uint64(b[:])%(hi-lo), 10)
}

// signatureHex sorts a copy of parts and hashes their concatenation. Small part counts and typical lengths
// stay on the stack: this runs on every callback.
func signatureHex(parts []string) [2 * sha1.Size]byte {
	var sorted []string
	var small [4]string
	if len(parts) <= len(small) {
		sorted = small[:len(parts)]
	} else {
		sorted = make([]string, len(parts))
	}
	copy(sorted, parts)
	slices.Sort(sorted)

	var stack [sigBufSize]byte
	buf := stack[:0]
	for _, p := range sorted {
		buf = append(buf, p...)
	}
	sum := sha1.Sum(buf)
	var out [2 * sha1.Size]byte
	hex.Encode(out[:], sum[:])
	return out
}

// verifyHex compares a computed signature with the one received. Only the length is checked outside the
// constant-time compare, and the length of a SHA-1 hex string is public.
func verifyHex(want [2 * sha1.Size]byte, got string) bool {
	if len(got) != len(want) {
		return false
	}
	var g [2 * sha1.Size]byte
	copy(g[:], got)
	return subtle.ConstantTimeCompare(want[:], g[:]) == 1
}

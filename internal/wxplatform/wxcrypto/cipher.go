package wxcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
)

const (
	// encodingAESKeyLen is the length of the key an operator copies from WeChat's console.
	encodingAESKeyLen = 43
	// randomLen is the random prefix of every plaintext; it makes two encryptions of one reply differ.
	randomLen = 16
	// headerLen is the random prefix plus the big-endian uint32 message length.
	headerLen = randomLen + 4
	// padBlock is WeChat's PKCS#7 block size: 32 bytes, not AES's 16, so a pad byte can be up to 32.
	padBlock = 32
)

// Cipher seals and opens the AES payloads of one official account. It is safe for concurrent use: it holds
// only the expanded key, whose cipher.Block is read-only, and the constants derived with it.
type Cipher struct {
	block cipher.Block
	iv    [aes.BlockSize]byte
	appid string
}

// ValidEncodingAESKey reports whether s has the shape WeChat's console generates: exactly 43 characters of
// [a-zA-Z0-9]. Any such string decodes to 32 bytes once "=" is appended, so nothing else needs checking.
func ValidEncodingAESKey(s string) bool {
	if len(s) != encodingAESKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// NewCipher expands an account's EncodingAESKey. The key is Base64 of 32 bytes without its "=": 43
// characters carry 258 bits, and WeChat's keys (the official sample's included) set the 2 spare bits, so
// the decoding must be the lenient one; StdEncoding.Strict() would reject valid keys.
func NewCipher(encodingAESKey, appid string) (*Cipher, error) {
	if !ValidEncodingAESKey(encodingAESKey) {
		return nil, fmt.Errorf("%w: want 43 characters of [a-zA-Z0-9], got %d characters", ErrInvalidAESKey, len(encodingAESKey))
	}
	key, err := base64.RawStdEncoding.DecodeString(encodingAESKey)
	if err != nil || len(key) != 32 {
		// Unreachable for a key that passed ValidEncodingAESKey; kept so a future change cannot panic below.
		return nil, fmt.Errorf("%w: does not decode to 32 bytes", ErrInvalidAESKey)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidAESKey, err)
	}
	c := &Cipher{block: block, appid: appid}
	copy(c.iv[:], key[:aes.BlockSize]) // WeChat's IV is the first half of the key, fixed for every message.
	return c, nil
}

// AppID is the AppID this cipher seals for and expects at the end of every plaintext.
func (c *Cipher) AppID() string { return c.appid }

// Encrypt seals msg with a fresh random prefix, as WeChat's SDKs do for a passive reply, and returns the
// Base64 that goes in <Encrypt>.
func (c *Cipher) Encrypt(msg []byte) (string, error) {
	var random [randomLen]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("%w: %v", ErrEncrypt, err)
	}
	return c.EncryptWithRandom(random[:], msg)
}

// EncryptWithRandom is Encrypt with the random prefix given, which makes the output deterministic: the
// official test vectors are built this way. random must be exactly 16 bytes. Never reuse a prefix outside
// tests.
func (c *Cipher) EncryptWithRandom(random, msg []byte) (string, error) {
	if len(random) != randomLen {
		return "", fmt.Errorf("%w: random prefix must be %d bytes, got %d", ErrEncrypt, randomLen, len(random))
	}
	if uint64(len(msg)) > math.MaxUint32 {
		return "", fmt.Errorf("%w: message of %d bytes overflows the length field", ErrEncrypt, len(msg))
	}
	plainLen := headerLen + len(msg) + len(c.appid)
	pad := padBlock - plainLen%padBlock // 1..32: an aligned plaintext still gets a full block of padding.
	sealedLen := plainLen + pad
	encLen := base64.StdEncoding.EncodedLen(sealedLen)

	// One allocation holds both the Base64 output (front) and the plaintext encrypted in place (back).
	buf := make([]byte, encLen+sealedLen)
	p := buf[encLen:]
	copy(p, random)
	binary.BigEndian.PutUint32(p[randomLen:], uint32(len(msg)))
	n := headerLen + copy(p[headerLen:], msg)
	n += copy(p[n:], c.appid)
	for i := n; i < len(p); i++ {
		p[i] = byte(pad)
	}
	c.encryptCBC(p)
	base64.StdEncoding.Encode(buf[:encLen], p)
	return string(buf[:encLen]), nil
}

// Decrypt opens the Base64 of an <Encrypt> element and returns the message, after checking the padding, the
// length field and that the trailing AppID is this account's. The result aliases no caller memory.
func (c *Cipher) Decrypt(encrypt string) ([]byte, error) {
	msg, appid, err := c.open(encrypt)
	if err != nil {
		return nil, err
	}
	if string(appid) != c.appid {
		if len(appid) > 32 { // garbage from a foreign key can be long; the start is enough to diagnose
			appid = appid[:32]
		}
		return nil, fmt.Errorf("%w: sealed for %q", ErrAppIDMismatch, appid)
	}
	return msg, nil
}

// DecryptAnyAppID opens a payload without checking whom it was sealed for and reports the AppID found in it.
// The emulator and diagnostic tools use it; the callback must use Decrypt.
func (c *Cipher) DecryptAnyAppID(encrypt string) (msg []byte, appid string, err error) {
	msg, id, err := c.open(encrypt)
	if err != nil {
		return nil, "", err
	}
	return msg, string(id), nil
}

// open does the work of Decrypt in a single buffer: Base64 is decoded into it, AES decrypts it in place,
// and the message and AppID returned are slices of it.
func (c *Cipher) open(encrypt string) (msg, appid []byte, err error) {
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(encrypt)))
	n, err := base64.StdEncoding.Decode(buf, []byte(encrypt))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: base64: %v", ErrDecrypt, err)
	}
	p := buf[:n]
	if len(p) == 0 || len(p)%aes.BlockSize != 0 {
		return nil, nil, fmt.Errorf("%w: ciphertext of %d bytes is not whole AES blocks", ErrDecrypt, len(p))
	}
	c.decryptCBC(p)

	pad := int(p[len(p)-1])
	if pad < 1 || pad > padBlock || pad > len(p) {
		return nil, nil, fmt.Errorf("%w: padding value %d out of range", ErrDecrypt, pad)
	}
	for _, b := range p[len(p)-pad:] {
		if int(b) != pad {
			return nil, nil, fmt.Errorf("%w: inconsistent padding", ErrDecrypt)
		}
	}
	p = p[:len(p)-pad]
	if len(p) < headerLen {
		return nil, nil, fmt.Errorf("%w: plaintext of %d bytes is shorter than its header", ErrDecrypt, len(p))
	}
	size := binary.BigEndian.Uint32(p[randomLen:headerLen])
	if uint64(size) > uint64(len(p)-headerLen) {
		return nil, nil, fmt.Errorf("%w: length field %d exceeds the %d bytes present", ErrDecrypt, size, len(p)-headerLen)
	}
	end := headerLen + int(size)
	return p[headerLen:end:end], p[end:], nil
}

// encryptCBC and decryptCBC run CBC mode in place over whole blocks with the account's fixed IV. They stand
// in for cipher.NewCBCEncrypter/NewCBCDecrypter, which copy the ~500-byte expanded AES key into a new
// BlockMode on every call: on a path taken for every callback, that copy was the largest allocation. Go's
// AES CBC has no amd64 assembly either, so this per-block loop is the same work the library does.
func (c *Cipher) encryptCBC(p []byte) {
	prev := c.iv[:]
	for i := 0; i < len(p); i += aes.BlockSize {
		blk := p[i : i+aes.BlockSize]
		subtle.XORBytes(blk, blk, prev)
		c.block.Encrypt(blk, blk)
		prev = blk
	}
}

// decryptCBC walks backwards so that every block can be decrypted in place: the ciphertext block it XORs
// with, the one before it, is still intact.
func (c *Cipher) decryptCBC(p []byte) {
	for i := len(p) - aes.BlockSize; i >= 0; i -= aes.BlockSize {
		blk := p[i : i+aes.BlockSize]
		c.block.Decrypt(blk, blk)
		if i == 0 {
			subtle.XORBytes(blk, blk, c.iv[:])
		} else {
			subtle.XORBytes(blk, blk, p[i-aes.BlockSize:i])
		}
	}
}

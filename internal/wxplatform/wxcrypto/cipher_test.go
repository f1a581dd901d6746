package wxcrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOfficialKeyNeedsLenientBase64(t *testing.T) {
	_, err := base64.StdEncoding.Strict().DecodeString(officialKey + "=")
	require.Error(t, err, "the quirk this test pins: strict decoding rejects WeChat's own sample key")

	c := mustCipher(t, officialKey, vecBAppID)
	want, _ := hex.DecodeString(officialKeyHex)
	require.Equal(t, want[:16], c.iv[:], "IV is the first half of the key")
	require.Equal(t, want, keyBytes(t, officialKey))
}

func TestValidEncodingAESKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{"official sample", officialKey, true},
		{"vector C", vecCKey, true},
		{"empty", "", false},
		{"42 characters", officialKey[:42], false},
		{"44 characters", officialKey + "A", false},
		{"with the padding", officialKey + "=", false},
		{"plus sign", "+" + officialKey[1:], false},
		{"slash", officialKey[:42] + "/", false},
		{"url-safe dash", "-" + officialKey[1:], false},
		{"non-ascii", "é" + officialKey[2:], false},
		{"space", " " + officialKey[1:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ValidEncodingAESKey(tt.key))
			_, err := NewCipher(tt.key, "wx")
			if tt.want {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrInvalidAESKey)
			}
		})
	}
}

// cipherVector is one official ciphertext with everything needed to check both directions.
type cipherVector struct {
	name, key, appid, encrypt, msg string
	random                         string // empty when the source does not publish it
	pad                            int
}

var cipherVectors = []cipherVector{
	{"A official python sample", officialKey, vecAAppID, vecAEncrypt, vecAMsg, vecARandom, 2},
	{"B official java sample", officialKey, vecBAppID, vecBEncrypt, vecBMsg, vecBRandom, 7},
	{"B2 official java sample, video reply", officialKey, vecBAppID, vecB2Encrypt, vecB2Msg, vecBRandom, 0},
	{"C chanxuehong, full padding block", vecCKey, vecCAppID, vecCEncrypt, "", vecCRandom, 32},
	{"E easywechat", officialKey, vecEAppID, vecEEncrypt, vecEMsg, "", 0},
}

func TestDecryptVectors(t *testing.T) {
	for _, v := range cipherVectors {
		t.Run(v.name, func(t *testing.T) {
			c := mustCipher(t, v.key, v.appid)
			msg, err := c.Decrypt(v.encrypt)
			require.NoError(t, err)
			if v.msg != "" {
				require.Equal(t, v.msg, string(msg))
			}

			msg2, appid, err := c.DecryptAnyAppID(v.encrypt)
			require.NoError(t, err)
			require.Equal(t, v.appid, appid)
			require.Equal(t, msg, msg2)

			plain := rawPlaintext(t, v.key, v.encrypt)
			if v.random != "" {
				require.Equal(t, v.random, string(plain[:16]))
			}
			if v.pad != 0 {
				require.Equal(t, v.pad, int(plain[len(plain)-1]))
			}
		})
	}
}

func TestVectorCMessage(t *testing.T) {
	msg, err := mustCipher(t, vecCKey, vecCAppID).Decrypt(vecCEncrypt)
	require.NoError(t, err)
	m, err := ParseMessage(msg)
	require.NoError(t, err)
	require.Equal(t, "gh_b1eb3f8bd6c6", m.ToUserName)
	require.Equal(t, "okPEat9FRX96xG8JQvTxHLpzDV64", m.FromUserName)
	require.Equal(t, int64(1458864389), m.CreateTime)
	require.Equal(t, "哈哈哈", m.Content)
	require.Equal(t, int64(6265774840459235675), m.MsgID)
	require.Equal(t, string(msg), string(m.Marshal()), "Marshal reproduces WeChat's own layout")
}

func TestEncryptWithRandomVectors(t *testing.T) {
	for _, v := range cipherVectors {
		t.Run(v.name, func(t *testing.T) {
			c := mustCipher(t, v.key, v.appid)
			plain := rawPlaintext(t, v.key, v.encrypt)
			random := plain[:16] // equal to v.random where published, checked in TestDecryptVectors
			msg, err := c.Decrypt(v.encrypt)
			require.NoError(t, err)

			got, err := c.EncryptWithRandom(random, msg)
			require.NoError(t, err)
			require.Equal(t, v.encrypt, got)
		})
	}
}

func TestEncryptWithRandomRejectsBadRandom(t *testing.T) {
	c := mustCipher(t, officialKey, vecBAppID)
	for _, n := range []int{0, 15, 17, 32} {
		_, err := c.EncryptWithRandom(make([]byte, n), []byte("hi"))
		require.ErrorIs(t, err, ErrEncrypt, "random of %d bytes", n)
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	c := mustCipher(t, officialKey, vecBAppID)
	// Every residue modulo 32 of the plaintext length, so every pad value 1..32 is produced and accepted.
	for n := range 70 {
		msg := bytes.Repeat([]byte{'m'}, n)
		enc, err := c.Encrypt(msg)
		require.NoError(t, err)
		got, err := c.Decrypt(enc)
		require.NoError(t, err)
		require.Equal(t, msg, append([]byte{}, got...))
		raw, _ := base64.StdEncoding.DecodeString(enc)
		require.Zero(t, len(raw)%padBlock, "WeChat pads to 32-byte blocks")
	}

	a, err := c.Encrypt([]byte("same"))
	require.NoError(t, err)
	b, err := c.Encrypt([]byte("same"))
	require.NoError(t, err)
	require.NotEqual(t, a, b, "the random prefix must differ between encryptions")
}

func TestDecryptResultDoesNotAliasTheAppID(t *testing.T) {
	c := mustCipher(t, officialKey, vecBAppID)
	msg, err := c.Decrypt(vecBEncrypt)
	require.NoError(t, err)
	_ = append(msg, "overwrite"...)
	_, appid, err := c.DecryptAnyAppID(vecBEncrypt)
	require.NoError(t, err)
	require.Equal(t, vecBAppID, appid)
}

func TestDecryptWrongAppID(t *testing.T) {
	c := mustCipher(t, officialKey, "wx0000000000000000")
	_, err := c.Decrypt(vecBEncrypt)
	require.ErrorIs(t, err, ErrAppIDMismatch)

	msg, appid, err := c.DecryptAnyAppID(vecBEncrypt)
	require.NoError(t, err)
	require.Equal(t, vecBAppID, appid)
	require.Equal(t, vecBMsg, string(msg))
}

func TestDecryptWrongKey(t *testing.T) {
	c := mustCipher(t, vecCKey, vecBAppID)
	_, err := c.Decrypt(vecBEncrypt)
	require.Error(t, err)
	require.True(t, isDecryptError(err), "got %v", err)
}

func TestDecryptRejects(t *testing.T) {
	key := officialKey
	appid := vecBAppID
	header := func(n uint32) []byte {
		h := make([]byte, headerLen)
		copy(h, vecBRandom)
		binary.BigEndian.PutUint32(h[randomLen:], n)
		return h
	}
	// plain builds a WeChat plaintext of msg and appid padded with the given pad bytes.
	plain := func(lenField uint32, body string, pad ...byte) []byte {
		return append(append(header(lenField), body...), pad...)
	}
	flipped := []byte(vecBEncrypt)
	raw, _ := base64.StdEncoding.DecodeString(vecBEncrypt)
	raw[0] ^= 0x80 // first ciphertext block XORs into the second plaintext block: the length field's top byte
	lengthFlipped := base64.StdEncoding.EncodeToString(raw)
	flipped[len(flipped)-5] ^= 1 // inside the last block: scrambles the padding

	tests := []struct {
		name    string
		encrypt string
	}{
		{"empty", ""},
		{"not base64", "!!!!"},
		{"base64 with a bad character", vecBEncrypt[:10] + "*" + vecBEncrypt[11:]},
		{"truncated base64", vecBEncrypt[:len(vecBEncrypt)-3]},
		{"not whole AES blocks", base64.StdEncoding.EncodeToString(make([]byte, 31))},
		{"tampered last block", string(flipped)},
		{"tampered length field", lengthFlipped},
		{"pad value 0", seal(t, key, plain(2, "hi"+appid, fill(8, 0)...))},
		{"pad value 33", seal(t, key, plain(2, "hi"+appid, fill(8, 33)...))},
		{"pad value 255", seal(t, key, plain(2, "hi"+appid, fill(8, 255)...))},
		{"pad longer than the data", seal(t, key, fill(16, 32))},
		{"inconsistent padding", seal(t, key, plain(2, "hi"+appid, 1, 2, 3, 4, 5, 6, 7, 8))},
		{"shorter than the header", seal(t, key, append([]byte("0123456789ab"), fill(20, 20)...))},
		{"length field larger than the data", seal(t, key, plain(1000, "hi"+appid, fill(8, 8)...))},
		{"length field at uint32 max", seal(t, key, plain(0xFFFFFFFF, "hi"+appid, fill(8, 8)...))},
	}
	c := mustCipher(t, key, appid)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Decrypt(tt.encrypt)
			require.ErrorIs(t, err, ErrDecrypt)
			_, _, err = c.DecryptAnyAppID(tt.encrypt)
			require.ErrorIs(t, err, ErrDecrypt)
		})
	}

	t.Run("16-byte padding of other SDKs is accepted", func(t *testing.T) {
		msg, err := c.Decrypt(seal(t, key, plain(2, "hi"+appid, fill(8, 8)...)))
		require.NoError(t, err)
		require.Equal(t, "hi", string(msg))
	})
	t.Run("line-wrapped base64 is accepted", func(t *testing.T) {
		msg, err := c.Decrypt(vecBEncrypt[:40] + "\r\n" + vecBEncrypt[40:])
		require.NoError(t, err)
		require.Equal(t, vecBMsg, string(msg))
	})
}

func TestCipherConcurrentUse(t *testing.T) {
	c := mustCipher(t, officialKey, vecBAppID)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			msg := []byte(strings.Repeat("x", i*37))
			for range 200 {
				enc, err := c.Encrypt(msg)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := c.Decrypt(enc)
				if err != nil || !bytes.Equal(got, msg) {
					t.Errorf("round trip failed: %v", err)
					return
				}
				if _, err := c.Decrypt(vecBEncrypt); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func mustCipher(t testing.TB, key, appid string) *Cipher {
	t.Helper()
	c, err := NewCipher(key, appid)
	require.NoError(t, err)
	return c
}

// keyBytes decodes an EncodingAESKey independently of NewCipher.
func keyBytes(t testing.TB, key string) []byte {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(key + "=")
	require.NoError(t, err)
	require.Len(t, k, 32)
	return k
}

// rawPlaintext decrypts without any of Decrypt's checks, padding included, to look at the bytes themselves.
func rawPlaintext(t testing.TB, key, encrypt string) []byte {
	t.Helper()
	k := keyBytes(t, key)
	raw, err := base64.StdEncoding.DecodeString(encrypt)
	require.NoError(t, err)
	block, err := aes.NewCipher(k)
	require.NoError(t, err)
	cipher.NewCBCDecrypter(block, k[:16]).CryptBlocks(raw, raw)
	return raw
}

// seal encrypts an already block-aligned plaintext as WeChat would, so tests can craft bad paddings and
// length fields that Encrypt never produces.
func seal(t testing.TB, key string, plain []byte) string {
	t.Helper()
	require.Zero(t, len(plain)%aes.BlockSize, "test plaintext must be whole blocks")
	k := keyBytes(t, key)
	block, err := aes.NewCipher(k)
	require.NoError(t, err)
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, k[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out)
}

func fill(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

func isDecryptError(err error) bool {
	return err != nil && (errors.Is(err, ErrDecrypt) || errors.Is(err, ErrAppIDMismatch))
}

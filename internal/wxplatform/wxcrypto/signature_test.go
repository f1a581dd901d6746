package wxcrypto

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSignature(t *testing.T) {
	long := strings.Repeat("x", 3*sigBufSize) // forces the heap path of signatureHex
	tests := []struct {
		name  string
		parts []string
		want  string
	}{
		{"sha1 of abc", []string{"a", "b", "c"}, "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"parts are sorted first", []string{"c", "a", "b"}, "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"url signature, vector C", []string{vecCToken, vecCTimestamp, vecCNonce}, vecCSignature},
		{"no parts", nil, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"more parts than the stack array", []string{"e", "d", "c", "b", "a"}, sha1Hex("abcde")},
		{"longer than the stack buffer", []string{long, "a"}, sha1Hex("a" + long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Signature(tt.parts...))
		})
	}
}

func TestSignatureLeavesCallerSliceAlone(t *testing.T) {
	parts := []string{"c", "b", "a"}
	Signature(parts...)
	require.Equal(t, []string{"c", "b", "a"}, parts)
}

func TestMsgSignatureVectors(t *testing.T) {
	tests := []struct {
		name                             string
		token, timestamp, nonce, encrypt string
		want                             string
	}{
		{"A official python sample", vecAToken, vecATimestamp, vecANonce, vecAEncrypt, vecAMsgSig},
		{"B official java sample", vecBToken, vecBTimestamp, vecBNonce, vecBEncrypt, vecBMsgSig},
		{"C chanxuehong", vecCToken, vecCTimestamp, vecCNonce, vecCEncrypt, vecCMsgSig},
		{"E easywechat", vecEToken, vecETimestamp, vecENonce, vecEEncrypt, vecEMsgSig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, MsgSignature(tt.token, tt.timestamp, tt.nonce, tt.encrypt))
			require.True(t, VerifyMsgSignature(tt.token, tt.timestamp, tt.nonce, tt.encrypt, tt.want))
			require.False(t, VerifyMsgSignature(tt.token, tt.timestamp, tt.nonce, tt.encrypt+"x", tt.want))
			require.False(t, VerifyMsgSignature("other", tt.timestamp, tt.nonce, tt.encrypt, tt.want))
		})
	}
}

func TestVerifySignature(t *testing.T) {
	tests := []struct {
		name      string
		signature string
		want      bool
	}{
		{"valid", vecCSignature, true},
		{"uppercase hex is not what WeChat sends", strings.ToUpper(vecCSignature), false},
		{"one digit off", vecCSignature[:39] + "e", false},
		{"truncated", vecCSignature[:39], false},
		{"too long", vecCSignature + "0", false},
		{"empty", "", false},
		{"non-hex of the right length", strings.Repeat("z", 40), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, VerifySignature(vecCToken, vecCTimestamp, vecCNonce, tt.signature))
		})
	}
	t.Run("wrong token", func(t *testing.T) {
		require.False(t, VerifySignature("token", vecCTimestamp, vecCNonce, vecCSignature))
	})
}

func TestRandomNonce(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		n := RandomNonce()
		require.Len(t, n, 10)
		v, err := strconv.ParseUint(n, 10, 32)
		require.NoError(t, err, "nonce %q must fit a uint32", n)
		require.GreaterOrEqual(t, v, uint64(1_000_000_000))
		seen[n] = true
	}
	require.Greater(t, len(seen), 95, "nonces repeat far too often")
}

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

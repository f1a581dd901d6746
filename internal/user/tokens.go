package user

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// tokenBytes is the entropy of every token the package hands out (access, verification, reset).
const tokenBytes = 32

// maxTokenLen bounds what Authenticate hashes and looks up: a real token is 43 characters, anything much
// longer is garbage and not worth a query.
const maxTokenLen = 128

// newToken answers a random token as base64url text and the SHA-256 hash that is all the database keeps,
// so a copy of the database cannot be replayed as a login or a link.
func newToken() (plain string, hash []byte) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, hashToken(plain)
}

func hashToken(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}

func containsAt(s string) bool { return strings.IndexByte(s, '@') >= 0 }

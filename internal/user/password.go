package user

import (
	"crypto/sha256"
	"encoding/base64"

	"golang.org/x/crypto/bcrypt"
)

// passwordCost is bcrypt's work factor (2^12 rounds, about a quarter second on one core).
const passwordCost = 12

// dummyHash is a cost-12 bcrypt hash of a random password nobody knows. A login for an unknown name is
// compared against it so it takes as long as one for a real operator, and timing does not tell which
// names exist.
const dummyHash = "$2a$12$LOMF0MJs/3vxZQpzS4jZsO6jwDvv87Rt0gS1FFKcivkmQ2Rn3EDM."

// prehash turns a password into 44 bytes of base64 before bcrypt. bcrypt reads at most 72 bytes (and
// x/crypto refuses more), while the contract allows 128 characters, up to 512 bytes of UTF-8; base64 keeps
// NUL bytes out of bcrypt's input.
func prehash(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

func hashPassword(password string, cost int) (string, error) {
	h, err := bcrypt.GenerateFromPassword(prehash(password), cost)
	return string(h), err
}

func checkPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), prehash(password)) == nil
}

package wxemu

import (
	"math/rand/v2"
	"strings"
)

// The package-level math/rand/v2 source is a ChaCha8 generator seeded by the runtime and safe for
// concurrent use: good enough for credentials of a stand-in, and fast enough for 100,000 followers.

const (
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	openidChars = alnum + "-_"
	hexChars    = "0123456789abcdef"
)

func randString(alphabet string, n int) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[rand.IntN(len(alphabet))])
	}
	return b.String()
}

func randHex(n int) string { return randString(hexChars, n) }

// newRID returns a request id shaped like WeChat's ("69afcb4e-196f5dd3-27af2c3a").
func newRID() string { return randHex(8) + "-" + randHex(8) + "-" + randHex(8) }

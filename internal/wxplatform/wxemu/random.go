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

// randString draws n characters of alphabet (at most 64 characters), ten per 64 random bits. For
// alphabets of 62 characters the first two are slightly likelier: of no matter for a stand-in, and it
// keeps 100,000 generated followers fast.
func randString(alphabet string, n int) string {
	var b strings.Builder
	b.Grow(n)
	var bits uint64
	for i := range n {
		if i%10 == 0 {
			bits = rand.Uint64()
		}
		b.WriteByte(alphabet[int(bits&63)%len(alphabet)])
		bits >>= 6
	}
	return b.String()
}

func randHex(n int) string { return randString(hexChars, n) }

// newRID returns a request id shaped like WeChat's ("69afcb4e-196f5dd3-27af2c3a").
func newRID() string { return randHex(8) + "-" + randHex(8) + "-" + randHex(8) }

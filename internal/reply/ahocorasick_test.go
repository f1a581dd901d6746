package reply

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// bruteBest is the reference: the lowest index of a pattern contained in text.
func bruteBest(patterns []string, text string) int32 {
	for i, p := range patterns {
		if strings.Contains(text, p) {
			return int32(i)
		}
	}
	return -1
}

func TestACAutomaton(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		patterns []string
		text     string
		want     int32
	}{
		{"none", []string{"abc"}, "xyz", -1},
		{"empty text", []string{"a"}, "", -1},
		{"whole", []string{"abc"}, "abc", 0},
		{"inside", []string{"abc"}, "xxabcxx", 0},
		{"lower rank wins although later in text", []string{"later", "early"}, "early later", 0},
		{"suffix of another pattern", []string{"bcd", "abcde"}, "xabcdex", 0},
		{"found through a failure link", []string{"he", "she", "his", "hers"}, "ushers", 0},
		{"rank order respected through failure links", []string{"hers", "she", "he"}, "ushe", 1},
		{"overlapping occurrences", []string{"aab", "ab"}, "aaab", 0},
		{"Chinese", []string{"优惠券", "优惠"}, "请问有优惠券吗", 0},
		{"Chinese shorter only", []string{"优惠券", "优惠"}, "有优惠吗", 1},
		{"mixed scripts", []string{"wifi密码"}, "请问wifi密码是多少", 0},
		{"many root edges", []string{"z", "y", "x", "w", "v", "u", "t", "s", "r", "q"}, "abcq", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newACAutomaton(tt.patterns)
			require.Equal(t, tt.want, a.search(tt.text))
			require.Equal(t, bruteBest(tt.patterns, tt.text), a.search(tt.text))
		})
	}
}

// TestACAutomatonRandom compares the automaton with brute force on many random pattern sets over small
// alphabets, where overlaps and shared prefixes and suffixes are frequent.
func TestACAutomatonRandom(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	alphabets := [][]string{
		{"a", "b"},
		{"a", "b", "c", "d"},
		{"优", "惠", "券", "a"},
	}
	word := func(alpha []string, maxLen int) string {
		n := 1 + rng.IntN(maxLen)
		var b strings.Builder
		for range n {
			b.WriteString(alpha[rng.IntN(len(alpha))])
		}
		return b.String()
	}
	for round := range 2000 {
		alpha := alphabets[round%len(alphabets)]
		seen := map[string]bool{}
		var patterns []string
		for range 1 + rng.IntN(20) {
			p := word(alpha, 6)
			if !seen[p] {
				seen[p] = true
				patterns = append(patterns, p)
			}
		}
		a := newACAutomaton(patterns)
		for range 10 {
			text := word(alpha, 30)
			if got, want := a.search(text), bruteBest(patterns, text); got != want {
				t.Fatalf("patterns %q text %q: got %d want %d", patterns, text, got, want)
			}
		}
	}
}

// TestACAutomatonWideNodes covers nodes with more than 8 edges (binary search) below the root.
func TestACAutomatonWideNodes(t *testing.T) {
	t.Parallel()
	var patterns []string
	for c := 'a'; c <= 'z'; c++ {
		patterns = append(patterns, "x"+string(c)+"y")
	}
	a := newACAutomaton(patterns)
	for i, p := range patterns {
		require.Equal(t, int32(i), a.search("__"+p+"__"), p)
	}
	require.Equal(t, int32(-1), a.search("xy x1y"))
}

package reply

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseHours(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"09:00-18:00": "09:00-18:00", "9:00-18:00": "09:00-18:00", " 22:00 - 02:00 ": "22:00-02:00",
		"00:00-24:00": "00:00-24:00", "": "",
	} {
		h, err := ParseHours("hours", in)
		require.NoError(t, err, in)
		require.Equal(t, want, h.String(), in)
	}
	for _, in := range []string{"25:00-26:00", "24:00-01:00", "09:60-10:00", "9-18", "09:00", "09:00-09:00",
		"0900-1800", "a:bc-de:fg", "09:00-18:00-20:00", "-1:00-02:00", "09:0-10:00"} {
		_, err := ParseHours("hours", in)
		require.Error(t, err, in)
		require.Contains(t, err.Error(), "hours", in)
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	d, err := ParseDate("activeFrom", "2026-02-28")
	require.NoError(t, err)
	require.Equal(t, "2026-02-28", d.String())
	for _, in := range []string{"2026-02-30", "2026-2-1", "tomorrow", "1999-01-01", "2026-01-01T00:00:00Z"} {
		_, err := ParseDate("activeFrom", in)
		require.Error(t, err, in)
	}
	require.Error(t, Schedule{From: Date{2026, 5, 2}, To: Date{2026, 5, 1}}.Validate())
	require.NoError(t, Schedule{From: Date{2026, 5, 1}, To: Date{2026, 5, 1}}.Validate())
}

func TestWindow(t *testing.T) {
	t.Parallel()
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	at := func(s string) instant {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		require.NoError(t, err)
		return instantOf(tm.UTC(), sh) // the clock's zone does not matter
	}
	day := compileWindow(Schedule{From: Date{2026, 3, 1}, To: Date{2026, 3, 31}, Hours: Hours{9 * 60, 18 * 60, true}}, sh)
	night := compileWindow(Schedule{Hours: Hours{22 * 60, 2 * 60, true}}, sh)
	always := compileWindow(Schedule{}, sh)
	for _, tt := range []struct {
		at        string
		day, nite bool
	}{
		{"2026-03-01 09:00", true, false},
		{"2026-03-01 08:59", false, false},
		{"2026-03-15 17:59", true, false},
		{"2026-03-15 18:00", false, false},
		{"2026-03-31 12:00", true, false},
		{"2026-04-01 12:00", false, false}, // after the last day, in Shanghai
		{"2026-02-28 12:00", false, false},
		{"2026-03-10 23:30", false, true},
		{"2026-03-10 01:59", false, true},
		{"2026-03-10 02:00", false, false},
		{"2026-03-10 22:00", false, true},
	} {
		i := at(tt.at)
		require.Equal(t, tt.day, day.open(i), "day %s", tt.at)
		require.Equal(t, tt.nite, night.open(i), "night %s", tt.at)
		require.True(t, always.open(i))
	}
}

// TestSearchWhere compares the automaton's filtered search with a brute force over random patterns.
func TestSearchWhere(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	alphabet := []rune("abc的是")
	word := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for range 200 {
		seen := map[string]bool{}
		var pats []string
		for len(pats) < 1+rng.IntN(30) {
			if w := word(1 + rng.IntN(4)); !seen[w] {
				seen[w] = true
				pats = append(pats, w)
			}
		}
		a := newACAutomaton(pats)
		open := make([]bool, len(pats))
		for i := range open {
			open[i] = rng.IntN(3) > 0
		}
		text := word(rng.IntN(40))
		want := int32(-1)
		for i, p := range pats {
			if open[i] && strings.Contains(text, p) {
				want = int32(i)
				break
			}
		}
		got := a.searchWhere(text, func(r int32) bool { return open[r] })
		require.Equal(t, want, got, "patterns %q open %v text %q", pats, open, text)
		if !slices.Contains(open, false) {
			require.Equal(t, a.search(text), got)
		}
	}
}

func scheduled(r *Rule, hours Hours) *Rule {
	r.Schedule.Hours = hours
	return r
}

// Not parallel: it counts allocations.
func TestMatcherSchedules(t *testing.T) {
	closed := Hours{From: 1 * 60, To: 2 * 60, Set: true} // 01:00-02:00
	openH := Hours{From: 9 * 60, To: 18 * 60, Set: true}
	multi := textRule(5, "菜单", MatchExact)
	multi.Keywords = []string{"菜单", "menu", "MENU2"}
	rules := []*Rule{
		scheduled(textRule(1, "促销", MatchExact), closed),
		textRule(2, "促", MatchContains),
		scheduled(textRule(3, "优惠券", MatchContains), closed),
		scheduled(textRule(4, "券", MatchContains), openH),
		multi,
		scheduled(textRule(6, "^re.*$", MatchRegex), closed),
		textRule(7, "^r.*$", MatchRegex),
	}
	m := buildMatcher(1, rules, time.UTC, nil)
	require.True(t, m.scheduled)
	at := instantOf(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), time.UTC)
	textOf := text
	for text, want := range map[string]int64{
		"促销":     2, // the exact rule is closed: the contains rule answers
		"领优惠券啦":  4, // the longer contains keyword's rule is closed: the next one answers
		"menu2":  5,
		"菜单":     5,
		"return": 7,
	} {
		r, _ := m.match(textOf(text), time.Time{}, at)
		require.NotNil(t, r, text)
		require.Equal(t, want, r.id, text)
	}
	// Click events follow the same windows.
	r, _ := m.match(event("CLICK", "促销"), time.Time{}, at)
	require.Nil(t, r)
	// Matching with schedules allocates nothing beyond what it did.
	msg := textOf("领优惠券啦")
	allocs := testing.AllocsPerRun(100, func() { m.match(msg, time.Time{}, at) })
	require.Zero(t, allocs)
}

package reply

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
)

// TestRuleCaps: an account holds at most MaxRegexRules regex rules and MaxKeywordRules keyword rules; past
// either, adding (or turning a rule into a regex) is the caller's 40000, naming the cap.
func TestRuleCaps(t *testing.T) {
	t.Parallel()
	gdb := dbtest.New(t)
	s := mustService(t, gdb, Options{})
	ctx := context.Background()
	acct := mustAccountRow(t, gdb, mustUser(t, gdb))
	content := Content{Content: "x"}
	for i := range MaxRegexRules {
		_, err := s.Add(ctx, acct, Input{Type: TypeText, Content: content, Request: fmt.Sprintf("^r%d$", i), Match: MatchRegex})
		require.NoError(t, err)
	}
	_, err := s.Add(ctx, acct, Input{Type: TypeText, Content: content, Request: "^one more$", Match: MatchRegex})
	requireKind(t, err, apperr.Invalid)
	require.ErrorContains(t, err, fmt.Sprintf("at most %d regex rules", MaxRegexRules))
	_, err = s.Add(ctx, acct, Input{Type: TypeText, Content: content, Request: "plain", Match: MatchExact})
	require.NoError(t, err)
	m := MatchRegex
	_, err = s.Update(ctx, acct, Selector{Request: "plain"}, Changes{Match: &m})
	requireKind(t, err, apperr.Invalid)
	require.ErrorContains(t, err, "regex rules")

	// The keyword cap, filled quickly with rows.
	require.NoError(t, gdb.Exec(`INSERT INTO reply_rules (account_id, kind, keyword, keyword_key, match_mode, reply_type, reply, enabled)
		SELECT ?, 'keyword', 'k' || g, 'k' || g, 'exact', 'text', '{"content":"x"}', true
		FROM generate_series(1, ?) g`, acct, MaxKeywordRules-MaxRegexRules-1).Error)
	_, err = s.Add(ctx, acct, Input{Type: TypeText, Content: content, Request: "too many", Match: MatchExact})
	requireKind(t, err, apperr.Invalid)
	require.ErrorContains(t, err, fmt.Sprintf("at most %d keyword rules", MaxKeywordRules))

	// Another account is not affected.
	other := mustAccountRow(t, gdb, mustUser(t, gdb))
	_, err = s.Add(ctx, other, Input{Type: TypeText, Content: content, Request: "^fine$", Match: MatchRegex})
	require.NoError(t, err)
}

// TestRegexTooComplexIsRefused: a regex whose compiled program is over MaxRegexProgram instructions costs
// too much per byte of message; it is refused when saved.
func TestRegexTooComplexIsRefused(t *testing.T) {
	for _, kw := range []string{`(?s).{1,200}.{1,200}.{1,200}q`, `[^q]{0,100}[^q]{0,100}q`, `(?:[^q]{0,40}){1,6}x`} {
		_, err := checkKeyword("request", kw, MatchRegex)
		requireKind(t, err, apperr.Invalid)
		require.ErrorContains(t, err, "too complex")
	}
	_, err := checkKeyword("request", `^order\s*#?\d+-\d{4,8}$`, MatchRegex)
	require.NoError(t, err)
}

// TestRegexSeesTheFirst2048Bytes: regexes run on the first RegexInputBytes of a message (cut on a
// character boundary), whatever its length.
func TestRegexSeesTheFirst2048Bytes(t *testing.T) {
	m := buildMatcher(1, []*Rule{textRule(1, `END$`, MatchRegex), textRule(2, `^开始`, MatchRegex)}, nil, nil)
	require.Nil(t, m.keyword(strings.Repeat("x", RegexInputBytes)+"END", time.Time{}, instant{}))
	got := m.keyword(strings.Repeat("x", RegexInputBytes-3)+"END", time.Time{}, instant{})
	require.NotNil(t, got)
	require.EqualValues(t, 1, got.id)
	// A cut inside a character leaves the character out, not half of it.
	s := strings.Repeat("é", RegexInputBytes) // 2 bytes each
	require.Equal(t, RegexInputBytes, len(regexInput(s)))
	s = "a" + s
	require.Equal(t, RegexInputBytes-1, len(regexInput(s)))
	require.NotNil(t, m.keyword("开始"+strings.Repeat("x", 60<<10), time.Time{}, instant{}))
}

// TestMatchStopsRegexesAtTheDeadline: when the callback's matching budget is spent, the regexes not yet
// tried are skipped and the message gets the default reply; exact and contains rules still answer.
func TestMatchStopsRegexesAtTheDeadline(t *testing.T) {
	rules := []*Rule{textRule(1, `hello`, MatchRegex), textRule(2, `exact`, MatchExact),
		{ID: 3, Kind: KindDefault, Type: TypeText, Reply: Content{Content: "default"}, Enabled: true}}
	s := NewService(nil, Options{})
	s.entry(1).m.Store(buildMatcher(1, rules, nil, nil))

	m, err := s.Match(context.Background(), 1, text("hello"))
	require.NoError(t, err)
	require.EqualValues(t, 1, m.RuleID)

	spent, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	defer cancel()
	m, err = s.Match(spent, 1, text("hello"))
	require.NoError(t, err)
	require.Equal(t, MatchKindDefault, m.Kind, "out of budget: the default reply")
	m, err = s.Match(spent, 1, text("exact"))
	require.NoError(t, err)
	require.EqualValues(t, 2, m.RuleID)
}

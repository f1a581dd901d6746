package reply

import (
	"cmp"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// Match kinds, as Match.Kind says them.
const (
	MatchKindKeyword   = "keyword"
	MatchKindSubscribe = "subscribe"
	MatchKindDefault   = "default"
	MatchKindClick     = "click"
)

// compiledRule is a rule ready to answer: its replies rendered once, for a message (1 article) and for an
// event (up to 8), and its schedule as a window.
type compiledRule struct {
	id         int64
	keyword    string
	msgReply   wxcrypto.Reply // the first reply (the only one, in all mode)
	eventReply wxcrypto.Reply
	moreMsg    []wxcrypto.Reply // random mode: the other replies, one of all being chosen
	moreEvent  []wxcrypto.Reply
	followUps  []Reply // all mode: the replies after the first
	win        window
}

type regexRule struct {
	re   *regexp.Regexp
	rule *compiledRule
}

// matcher is one account's rules compiled for answering: immutable once built, shared by every reader,
// replaced as a whole when the rules change. It does no I/O.
//
//   - exact rules: a hash map from the folded keyword (see foldKey);
//   - contains rules: one Aho-Corasick automaton over the folded keywords, ranked longest first, then lowest
//     id, so one pass over the message finds the winner;
//   - regex rules: compiled once, tried in id order, only when no exact or contains rule matched.
type matcher struct {
	version   int64
	exact     map[string]*compiledRule
	contains  *acAutomaton
	byRank    []*compiledRule // contains rules by automaton rank
	regexes   []regexRule
	subscribe *compiledRule
	fallback  *compiledRule // the default reply
	rules     int
	// scheduled says some rule has an active period or hours: only then does matching read the clock.
	scheduled bool
	// containsScheduled says some contains rule has one: only then does the automaton ask which rules
	// are open.
	containsScheduled bool
}

// buildMatcher compiles rules (disabled ones are left out). A stored regex that no longer compiles (it was
// checked when saved) is skipped and reported through bad.
func buildMatcher(version int64, rules []*Rule, loc *time.Location, bad func(r *Rule, err error)) *matcher {
	if loc == nil {
		loc = time.UTC
	}
	m := &matcher{version: version, exact: make(map[string]*compiledRule)}
	type containsRule struct {
		key   string
		chars int
		rule  *compiledRule
	}
	var contains []containsRule
	sorted := slices.Clone(rules)
	slices.SortFunc(sorted, func(a, b *Rule) int { return cmp.Compare(a.ID, b.ID) })
	for _, r := range sorted {
		if !r.Enabled {
			continue
		}
		switch r.Kind {
		case KindSubscribe:
			m.subscribe = compile(r, MaxArticlesEvent, nil)
			continue
		case KindDefault:
			m.fallback = compile(r, MaxArticlesMessage, nil)
			continue
		case KindKeyword:
		default:
			continue
		}
		c := compile(r, MaxArticlesMessage, loc)
		m.rules++
		if !c.win.alwaysOpen {
			m.scheduled = true
			if r.Match == MatchContains {
				m.containsScheduled = true
			}
		}
		single := [1]string{r.Keyword}
		keywords := r.Keywords
		if len(keywords) == 0 {
			keywords = single[:]
		}
		for _, kw := range keywords {
			switch r.Match {
			case MatchExact:
				key := foldKey(kw)
				if _, dup := m.exact[key]; !dup && key != "" {
					m.exact[key] = c
				}
			case MatchContains:
				key := foldKey(kw)
				if key != "" {
					contains = append(contains, containsRule{key: key, chars: utf8.RuneCountInString(key), rule: c})
				}
			case MatchRegex:
				re, err := regexp.Compile(kw)
				if err != nil {
					if bad != nil {
						bad(r, err)
					}
					continue
				}
				m.regexes = append(m.regexes, regexRule{re: re, rule: c})
			}
		}
	}
	if len(contains) > 0 {
		// Longest keyword first, then the oldest rule: the rank the automaton answers.
		slices.SortStableFunc(contains, func(a, b containsRule) int {
			if a.chars != b.chars {
				return cmp.Compare(b.chars, a.chars)
			}
			return cmp.Compare(a.rule.id, b.rule.id)
		})
		keys := make([]string, len(contains))
		m.byRank = make([]*compiledRule, len(contains))
		for i, c := range contains {
			keys[i], m.byRank[i] = c.key, c.rule
		}
		m.contains = newACAutomaton(keys)
	}
	return m
}

// compile renders a rule's replies and compiles its schedule in loc (nil: the rule has none, as the
// subscribe and default replies).
func compile(r *Rule, eventArticles int, loc *time.Location) *compiledRule {
	c := &compiledRule{id: r.ID, keyword: r.Keyword, win: window{alwaysOpen: true},
		msgReply:   render(r.Type, r.Reply, MaxArticlesMessage),
		eventReply: render(r.Type, r.Reply, eventArticles)}
	if len(r.Replies) > 1 {
		if r.Mode == ModeAll {
			c.followUps = r.Replies[1:]
		} else {
			for _, rp := range r.Replies[1:] {
				c.moreMsg = append(c.moreMsg, render(rp.Type, rp.Content, MaxArticlesMessage))
				c.moreEvent = append(c.moreEvent, render(rp.Type, rp.Content, eventArticles))
			}
		}
	}
	if loc != nil {
		c.win = compileWindow(r.Schedule, loc)
	}
	return c
}

// regexInput is the part of a text regexes see: its first RegexInputBytes, without a cut character.
func regexInput(s string) string {
	if len(s) <= RegexInputBytes {
		return s
	}
	cut := RegexInputBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// keyword finds the keyword rule for a text: exact beats contains beats regex. Exact compares the folded,
// trimmed text; contains looks for the folded keyword anywhere in the folded text (longest keyword wins,
// then the oldest rule); regexes run on the trimmed text as sent (its first RegexInputBytes), oldest rule
// first, until deadline (zero: none): those not tried by then are skipped, as if they had not matched.
//
// A rule outside its active period or hours (at) does not match: the next one in that order may.
func (m *matcher) keyword(text string, deadline time.Time, at instant) *compiledRule {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return nil
	}
	folded := foldLatin(trimmed)
	if r, ok := m.exact[folded]; ok && r.win.open(at) {
		return r
	}
	if m.contains != nil {
		i := int32(-1)
		if m.containsScheduled {
			i = m.contains.searchWhere(folded, func(rank int32) bool { return m.byRank[rank].win.open(at) })
		} else {
			i = m.contains.search(folded)
		}
		if i >= 0 {
			return m.byRank[i]
		}
	}
	input := regexInput(trimmed)
	for _, rr := range m.regexes {
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return nil
		}
		if rr.rule.win.open(at) && rr.re.MatchString(input) {
			return rr.rule
		}
	}
	return nil
}

// match answers the rule for an inbound message and how it matched (see Service.Match for the semantics);
// nil when nothing answers.
func (m *matcher) match(msg *wxcrypto.Message, deadline time.Time, at instant) (*compiledRule, string) {
	if strings.EqualFold(msg.MsgType, "event") {
		switch {
		case strings.EqualFold(msg.Event, "subscribe"):
			if m.subscribe != nil {
				return m.subscribe, MatchKindSubscribe
			}
		case strings.EqualFold(msg.Event, "CLICK"):
			key := strings.TrimSpace(msg.EventKey)
			if key == "" {
				return nil, ""
			}
			if r, ok := m.exact[foldLatin(key)]; ok && r.win.open(at) {
				return r, MatchKindClick
			}
		}
		return nil, ""
	}
	if strings.EqualFold(msg.MsgType, "text") {
		if r := m.keyword(msg.Content, deadline, at); r != nil {
			return r, MatchKindKeyword
		}
	}
	if m.fallback != nil {
		return m.fallback, MatchKindDefault
	}
	return nil, ""
}

// answer builds the Match for a rule found by match.
// A rule in random mode answers one of its replies, chosen at random (a retry of the message gets the one
// stored with its first delivery).
func answer(r *compiledRule, kind string) *Match {
	msgReply, eventReply := r.msgReply, r.eventReply
	if n := len(r.moreMsg); n > 0 {
		if i := rand.IntN(n + 1); i > 0 {
			msgReply, eventReply = r.moreMsg[i-1], r.moreEvent[i-1]
		}
	}
	out := &Match{RuleID: r.id, Kind: kind, Reply: msgReply, FollowUps: r.followUps}
	switch kind {
	case MatchKindKeyword, MatchKindClick:
		out.Keyword = r.keyword
	}
	if kind == MatchKindSubscribe || kind == MatchKindClick {
		out.Reply = eventReply
	}
	return out
}

package reply

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// The matcher's benchmarks, at 10,000 rules per account, through Service.Match with the rules in memory
// (the callback's path). Run with: go test ./internal/reply -run '^$' -bench . -benchmem

const benchRules = 10000

// commonHan is a pool of frequent Chinese characters for realistic keywords and messages.
var commonHan = []rune("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严")

func randomWord(rng *rand.Rand, minLen, maxLen int) string {
	n := minLen + rng.IntN(maxLen-minLen+1)
	var b strings.Builder
	for range n {
		b.WriteRune(commonHan[rng.IntN(len(commonHan))])
	}
	return b.String()
}

// benchService answers a Service holding one account's rules in memory (no database: Match must not need
// one once loaded).
func benchService(b *testing.B, rules []*Rule) *Service {
	b.Helper()
	s := NewService(nil, Options{})
	s.entry(1).m.Store(buildMatcher(1, rules, nil, nil))
	return s
}

// uniqueWords answers n distinct random keywords, each prefixed so that its kind is recognisable.
func uniqueWords(rng *rand.Rand, n, minLen, maxLen int, seen map[string]bool) []string {
	out := make([]string, 0, n)
	for len(out) < n {
		w := randomWord(rng, minLen, maxLen)
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

func runMatch(b *testing.B, s *Service, msg *wxcrypto.Message, wantID int64) {
	b.Helper()
	ctx := context.Background()
	m, err := s.Match(ctx, 1, msg)
	if err != nil || m == nil || (wantID != 0 && m.RuleID != wantID) {
		b.Fatalf("setup: got %+v, %v; want rule %d", m, err, wantID)
	}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		if m, _ := s.Match(ctx, 1, msg); m == nil {
			b.Fatal("no match")
		}
	}
	reportCPU(b, cpu)
}

// reportCPU adds cpu-ns/op: the process's CPU time per operation since start, which unlike ns/op does not
// grow when other processes share the machine (it includes the GC's work).
func reportCPU(b *testing.B, start time.Duration) {
	if used := processCPU() - start; used > 0 && b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkMatchExact: 10,000 exact rules (Chinese and Latin); the message hits one.
func BenchmarkMatchExact(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	words := uniqueWords(rng, benchRules-1000, 2, 6, map[string]bool{})
	var rules []*Rule
	for i, w := range words {
		rules = append(rules, textRule(int64(i+1), w, MatchExact))
	}
	for i := range 1000 {
		rules = append(rules, textRule(int64(len(rules)+1), fmt.Sprintf("Promo Code %d", i), MatchExact))
	}
	s := benchService(b, rules)
	b.Run("chinese", func(b *testing.B) { runMatch(b, s, text(words[4321]), 4322) })
	b.Run("latin with case and spaces", func(b *testing.B) { runMatch(b, s, text("  PROMO code 777 "), int64(len(words)+778)) })
}

// BenchmarkMatchContains: 10,000 contains rules of 2–6 Chinese characters; a 60-character message.
func BenchmarkMatchContains(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	words := uniqueWords(rng, benchRules, 2, 6, map[string]bool{})
	var rules []*Rule
	for i, w := range words {
		rules = append(rules, textRule(int64(i+1), w, MatchContains))
	}
	s := benchService(b, rules)
	msg := text(randomWord(rng, 30, 30) + words[9000] + randomWord(rng, 25, 25))
	b.Run("hit", func(b *testing.B) { runMatch(b, s, msg, 0) })
	// A message with nothing in common with the keywords: still one pass over the text.
	withDefault := append(rules, &Rule{ID: 99999, Kind: KindDefault, Type: TypeText, Reply: Content{Content: "?"}, Enabled: true})
	s2 := benchService(b, withDefault)
	b.Run("miss", func(b *testing.B) {
		runMatch(b, s2, text(strings.Repeat("hello world, nothing to see here. ", 4)), 99999)
	})
}

// BenchmarkMatchRegex: 9,900 exact and contains rules and 100 regexes; the message misses the first two
// kinds and matches the last regex, the worst case.
func BenchmarkMatchRegex(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	seen := map[string]bool{}
	exact := uniqueWords(rng, 4950, 2, 6, seen)
	contains := uniqueWords(rng, 4950, 4, 6, seen)
	var rules []*Rule
	for _, w := range exact {
		rules = append(rules, textRule(int64(len(rules)+1), w, MatchExact))
	}
	for _, w := range contains {
		rules = append(rules, textRule(int64(len(rules)+1), w, MatchContains))
	}
	for i := range 100 {
		rules = append(rules, textRule(int64(len(rules)+1), fmt.Sprintf(`^order\s*#?%d-\d{4,8}$`, i), MatchRegex))
	}
	s := benchService(b, rules)
	runMatch(b, s, text("order #99-123456"), int64(len(rules)))
}

// BenchmarkBuildMatcher is the cost of a rebuild after a change, at 10,000 rules of mixed modes.
func BenchmarkBuildMatcher(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	words := uniqueWords(rng, benchRules, 2, 6, map[string]bool{})
	rules := make([]*Rule, 0, benchRules)
	for i, w := range words {
		mode := MatchExact
		if i%2 == 1 {
			mode = MatchContains
		}
		if i%100 == 0 {
			w = fmt.Sprintf(`^re%d\d+$`, i)
			mode = MatchRegex
		}
		rules = append(rules, textRule(int64(i+1), w, mode))
	}
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		buildMatcher(1, rules, nil, nil)
	}
	reportCPU(b, cpu)
}

// BenchmarkNaiveContains is the comparison the automaton is for: strings.Contains against every keyword.
func BenchmarkNaiveContains(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	words := uniqueWords(rng, benchRules, 2, 6, map[string]bool{})
	msg := randomWord(rng, 30, 30) + words[9000] + randomWord(rng, 25, 25)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		best := -1
		for i, w := range words {
			if strings.Contains(msg, w) && (best < 0 || len(w) > len(words[best])) {
				best = i
			}
		}
		if best < 0 {
			b.Fatal("no match")
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkMatchWorstCase is the costliest message matching can meet: as many regex rules as an account may
// have (MaxRegexRules), each as costly as MaxRegexProgram allows (nested bounded repetitions over any
// character keep the most RE2 threads alive per byte), none matching, and a 60 KB text (regexes see its
// first RegexInputBytes). Without a deadline, every regex runs: this is the bound on one message's work
// that the callback's matching budget then cuts short.
func BenchmarkMatchWorstCase(b *testing.B) {
	var rules []*Rule
	for i := range MaxRegexRules {
		kw := fmt.Sprintf(`(?s).{1,30}.{1,30}.{1,30}q%03d`, i)
		if _, err := checkKeyword("request", kw, MatchRegex); err != nil {
			b.Fatalf("the worst case must be a rule the API accepts: %v", err)
		}
		rules = append(rules, textRule(int64(i+1), kw, MatchRegex))
	}
	rules = append(rules, &Rule{ID: 1000, Kind: KindDefault, Type: TypeText, Reply: Content{Content: "default"}, Enabled: true})
	s := benchService(b, rules)
	runMatch(b, s, text(strings.Repeat("aé b1", 10<<10)), 1000)
}

// scheduledRules answers 1,000 rules of 10 keywords each (10,000 keywords, every rule with an active
// period and daily hours): even rules open 09:00-18:00, odd ones overnight 22:00-02:00, all in 2026. At
// benchNow (10:00) the even rules are open and the odd ones closed.
func scheduledRules(rng *rand.Rand, mode MatchMode) ([]*Rule, [][]string) {
	words := uniqueWords(rng, benchRules, 2, 6, map[string]bool{})
	var rules []*Rule
	var kws [][]string
	for i := range benchRules / 10 {
		r := textRule(int64(i+1), words[i*10], mode)
		r.Keywords = words[i*10 : i*10+10]
		r.Schedule = Schedule{From: Date{2026, time.January, 1}, To: Date{2026, time.December, 31},
			Hours: Hours{From: 9 * 60, To: 18 * 60, Set: true}}
		if i%2 == 1 {
			r.Schedule.Hours = Hours{From: 22 * 60, To: 2 * 60, Set: true}
		}
		rules = append(rules, r)
		kws = append(kws, r.Keywords)
	}
	return rules, kws
}

var benchNow = time.Date(2026, time.June, 1, 10, 0, 0, 0, time.UTC)

func scheduledService(b *testing.B, rules []*Rule) *Service {
	b.Helper()
	s := NewService(nil, Options{Now: func() time.Time { return benchNow }})
	s.entry(1).m.Store(buildMatcher(1, rules, time.UTC, nil))
	return s
}

// BenchmarkMatchScheduled: the cases of BenchmarkMatchExact and BenchmarkMatchContains with 10,000
// keywords in 1,000 rules of 10, every rule with a period and hours (contract §20).
func BenchmarkMatchScheduled(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 5))
	exact, ekw := scheduledRules(rng, MatchExact)
	se := scheduledService(b, exact)
	b.Run("exact open", func(b *testing.B) { runMatch(b, se, text(ekw[432][7]), 433) })

	contains, ckw := scheduledRules(rng, MatchContains)
	sc := scheduledService(b, contains)
	// An open rule's keyword in a 60-character message.
	b.Run("contains open", func(b *testing.B) {
		runMatch(b, sc, text(randomWord(rng, 30, 30)+ckw[900][3]+randomWord(rng, 25, 25)), 901)
	})
	// A longer keyword of a closed rule beside a shorter one of an open rule: the automaton must pass
	// over the closed one.
	long, short := "", ""
	for i := 1; i < len(ckw) && (long == ""); i += 2 {
		for _, w := range ckw[i] {
			if len([]rune(w)) == 6 {
				long = w
			}
		}
	}
	var shortRule int64
	for i := 0; i < len(ckw) && short == ""; i += 2 {
		for _, w := range ckw[i] {
			if len([]rune(w)) == 2 {
				short, shortRule = w, int64(i+1)
			}
		}
	}
	b.Run("contains closed best", func(b *testing.B) {
		runMatch(b, sc, text(randomWord(rng, 20, 20)+long+randomWord(rng, 20, 20)+short), shortRule)
	})
}

// BenchmarkBuildScheduled is a rebuild of 1,000 scheduled rules of 10 contains keywords.
func BenchmarkBuildScheduled(b *testing.B) {
	rules, _ := scheduledRules(rand.New(rand.NewPCG(6, 6)), MatchContains)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		buildMatcher(1, rules, time.UTC, nil)
	}
	reportCPU(b, cpu)
}

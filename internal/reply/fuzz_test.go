package reply

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecodeReply: whatever arrives as a reply, decoding answers a value or a field-named error, never a
// panic, and what it accepts renders within WeChat's limits.
func FuzzDecodeReply(f *testing.F) {
	f.Add("text", `{"content":"hi"}`)
	f.Add("", `{"type":"image","content":{"mediaId":"M"}}`)
	f.Add("video", `{"title":"T","description":"D","mediaId":"M"}`)
	f.Add("music", `{"title":"T","musicUrl":"http://a/b","thumbMediaId":"T"}`)
	f.Add("multitext", `[{"title":"t","description":"d","picurl":"http://p","url":"http://u"}]`)
	f.Add("text", `"plain"`)
	f.Add("news", `{"type":"news","content":[]}`)
	f.Fuzz(func(t *testing.T, typ, body string) {
		for _, max := range []int{MaxArticlesMessage, MaxArticlesEvent} {
			rt, c, err := decodeReply(typ, "", json.RawMessage(body), max)
			if err != nil {
				if !strings.Contains(err.Error(), ":") {
					t.Fatalf("error without a field: %v", err)
				}
				continue
			}
			if len(c.Content) > MaxTextBytes || len(c.Articles) > max {
				t.Fatalf("accepted out of limits: %s %+v", rt, c)
			}
			if r := render(rt, c, max); r.MsgType == "" {
				t.Fatalf("accepted type %q renders nothing", rt)
			}
		}
	})
}

// FuzzACAutomaton compares the automaton with brute force on arbitrary patterns and texts.
func FuzzACAutomaton(f *testing.F) {
	f.Add("he\x00she\x00his\x00hers", "ushers")
	f.Add("优惠\x00优惠券", "有优惠券吗")
	f.Fuzz(func(t *testing.T, joined, text string) {
		var patterns []string
		seen := map[string]bool{}
		for _, p := range strings.Split(joined, "\x00") {
			if p != "" && !seen[p] {
				seen[p] = true
				patterns = append(patterns, p)
			}
		}
		if len(patterns) == 0 {
			return
		}
		a := newACAutomaton(patterns)
		if got, want := a.search(text), bruteBest(patterns, text); got != want {
			t.Fatalf("patterns %q text %q: got %d want %d", patterns, text, got, want)
		}
	})
}

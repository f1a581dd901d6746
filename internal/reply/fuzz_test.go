package reply

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzValidate: whatever typed reply a caller builds, Validate answers nil or a field-named error, never a
// panic, and what it accepts renders within WeChat's limits. (The API's decoding is fuzzed in replyapi.)
func FuzzValidate(f *testing.F) {
	f.Add("text", `{"Content":"hi"}`)
	f.Add("image", `{"MediaID":"M"}`)
	f.Add("video", `{"Title":"T","Description":"D","MediaID":"M"}`)
	f.Add("music", `{"Title":"T","MusicURL":"http://a/b","ThumbMediaID":"T"}`)
	f.Add("multitext", `{"Articles":[{"Title":"t","Description":"d","PicURL":"http://p","URL":"http://u"}]}`)
	f.Add("news", `{"Articles":[]}`)
	f.Fuzz(func(t *testing.T, typ, body string) {
		var c Content
		if json.Unmarshal([]byte(body), &c) != nil {
			return
		}
		for _, max := range []int{MaxArticlesMessage, MaxArticlesEvent} {
			rt := ReplyType(typ)
			if err := c.Validate(rt, max); err != nil {
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

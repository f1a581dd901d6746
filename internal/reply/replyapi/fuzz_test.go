package replyapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/reply/replywire"
)

// FuzzDecodeReply: whatever arrives as a reply, decoding and validating answer a value or a field-named
// error, never a panic, and what they accept is within WeChat's limits.
func FuzzDecodeReply(f *testing.F) {
	f.Add("text", `{"content":"hi"}`)
	f.Add("", `{"type":"image","content":{"mediaId":"M"}}`)
	f.Add("video", `{"title":"T","description":"D","mediaId":"M"}`)
	f.Add("music", `{"title":"T","musicUrl":"http://a/b","thumbMediaId":"T"}`)
	f.Add("multitext", `[{"title":"t","description":"d","picurl":"http://p","url":"http://u"}]`)
	f.Add("text", `"plain"`)
	f.Add("news", `{"type":"news","content":[]}`)
	f.Fuzz(func(t *testing.T, typ, body string) {
		for _, max := range []int{reply.MaxArticlesMessage, reply.MaxArticlesEvent} {
			rt, c, err := replywire.Decode(typ, "", json.RawMessage(body), max)
			if err == nil {
				err = c.Validate(rt, max)
			}
			if err != nil {
				if !strings.Contains(err.Error(), ":") {
					t.Fatalf("error without a field: %v", err)
				}
				continue
			}
			if len(c.Content) > reply.MaxTextBytes || len(c.Articles) > max || !rt.Valid() {
				t.Fatalf("accepted out of limits: %s %+v", rt, c)
			}
		}
	})
}

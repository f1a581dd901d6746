package replywire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/reply"
)

// Keywords reads a rule's request as sent (contract §20): one keyword (a string; a number counts as its
// text) or an array of up to reply.MaxKeywords of them, also as JSON text in a form field. It checks the
// shape; the service validates each keyword for the rule's mode. many reports an array.
func Keywords(v any) (keywords []string, many bool, err error) {
	switch t := v.(type) {
	case nil:
		return nil, false, nil
	case string:
		s := strings.TrimSpace(t)
		if !strings.HasPrefix(s, "[") {
			return []string{t}, false, nil
		}
		// Only a JSON array of strings is several keywords; anything else starting with a bracket is one
		// keyword (a regex such as [0-9]+ or [1]).
		var arr []string
		if err := json.Unmarshal([]byte(s), &arr); err != nil {
			return []string{t}, false, nil
		}
		vals := make([]any, len(arr))
		for i, k := range arr {
			vals[i] = k
		}
		return Keywords(vals)
	case json.Number:
		return []string{t.String()}, false, nil
	case []any:
		if len(t) > reply.MaxKeywords {
			return nil, true, reply.ErrTooManyKeywords
		}
		out := make([]string, len(t))
		for i, e := range t {
			switch s := e.(type) {
			case string:
				out[i] = s
			case json.Number:
				out[i] = s.String()
			default:
				return nil, true, apperr.Invalidf("request["+strconv.Itoa(i)+"]", "must be a string").
					WithKey("err.rule.keyword_string", "request["+strconv.Itoa(i)+"]")
			}
		}
		if len(out) == 0 {
			return nil, true, apperr.Missing("request")
		}
		return out, true, nil
	default:
		return nil, false, apperr.Invalidf("request", "must be a keyword or an array of keywords").
			WithKey("err.rule.request_shape")
	}
}

// Replies reads a rule's replies: an array of up to reply.MaxReplies {type, reply} objects (the spec's
// wrapper {type, content} is accepted too), each read as addReply reads its reply. Errors name the reply:
// replies[1].content.
func Replies(raw json.RawMessage) ([]reply.Reply, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, apperr.Invalidf("replies", "must be an array of {type, reply}").WithKey("err.rule.replies_shape")
	}
	switch {
	case len(items) == 0:
		return nil, apperr.Missing("replies")
	case len(items) > reply.MaxReplies:
		return nil, reply.ErrTooManyReplies
	}
	out := make([]reply.Reply, len(items))
	for i, item := range items {
		base := "replies[" + strconv.Itoa(i) + "]"
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(item, &obj); err != nil {
			return nil, apperr.Invalidf(base, "must be an object {type, reply}").WithKey("err.rule.replies_shape")
		}
		var typ string
		if t, ok := obj["type"]; ok {
			if err := json.Unmarshal(t, &typ); err != nil {
				return nil, apperr.Invalidf(base+".type", "must be a string").WithKey("err.field.string", base+".type")
			}
		}
		body, ok := obj["reply"]
		if !ok {
			body = item // {type, content}: the spec's wrapper
		}
		t, c, err := Decode(typ, "", body, reply.MaxArticlesMessage)
		if err != nil {
			if err = reply.RenameField(err, replyField, base); err != nil {
				err = reply.RenameField(err, "type", base+".type")
			}
			return nil, err
		}
		out[i] = reply.Reply{Type: t, Content: c}
	}
	return out, nil
}

// ReplyMode reads replyMode: random (also "" ) or all, in any case.
func ReplyMode(s string) (reply.ReplyMode, error) {
	m := reply.ReplyMode(strings.ToLower(strings.TrimSpace(s)))
	if m == "" {
		return reply.ModeRandom, nil
	}
	if !m.Valid() {
		return "", reply.ErrBadReplyMode
	}
	return m, nil
}

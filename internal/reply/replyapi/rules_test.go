package replyapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Contract §20: several keywords, several replies, a reply mode and a schedule, and their bad inputs.
func TestRulesAsWeChatHasThem(t *testing.T) {
	t.Parallel()
	a := newAPI(t)
	kw := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "词" + strings.Repeat("语", i+1)
		}
		return out
	}
	texts := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = obj{"type": "text", "reply": obj{"content": "答" + strings.Repeat("复", i+1)}}
		}
		return out
	}

	bad := []struct {
		name  string
		body  obj
		field string
	}{
		{"11 keywords", obj{"request": kw(11), "type": "text", "reply": "x"}, "request"},
		{"a keyword twice", obj{"request": []string{"a", "A"}, "type": "text", "reply": "x"}, "request[1]"},
		{"an empty keyword", obj{"request": []string{"a", " "}, "type": "text", "reply": "x"}, "request[1]"},
		{"a keyword not a string", obj{"request": []any{"a", obj{}}, "type": "text", "reply": "x"}, "request[1]"},
		{"no keyword", obj{"request": []string{}, "type": "text", "reply": "x"}, "request"},
		{"a bad regex among several", obj{"request": []string{"ok", "(bad"}, "match": "regex", "type": "text", "reply": "x"}, "request[1]"},
		{"6 replies", obj{"request": "r6", "replies": texts(6)}, "replies"},
		{"no replies", obj{"request": "r0", "replies": []any{}}, "replies"},
		{"a bad reply", obj{"request": "rb", "replies": []any{obj{"type": "text", "reply": obj{"content": "ok"}},
			obj{"type": "image", "reply": obj{}}}}, "replies[1].mediaId"},
		{"a reply without type", obj{"request": "rt", "replies": []any{obj{"reply": obj{"content": "ok"}}}}, "replies[0].type"},
		{"bad reply mode", obj{"request": "rm", "replies": texts(2), "replyMode": "some"}, "replyMode"},
		{"hours 25:00-26:00", obj{"request": "h1", "type": "text", "reply": "x", "hours": "25:00-26:00"}, "hours"},
		{"hours 9-18", obj{"request": "h2", "type": "text", "reply": "x", "hours": "9-18"}, "hours"},
		{"hours 09:60-18:00", obj{"request": "h3", "type": "text", "reply": "x", "hours": "09:60-18:00"}, "hours"},
		{"hours empty range", obj{"request": "h4", "type": "text", "reply": "x", "hours": "10:00-10:00"}, "hours"},
		{"hours not a string", obj{"request": "h5", "type": "text", "reply": "x", "hours": []any{1}}, "hours"},
		{"bad date", obj{"request": "d1", "type": "text", "reply": "x", "activeFrom": "2026-02-30"}, "activeFrom"},
		{"date not a date", obj{"request": "d2", "type": "text", "reply": "x", "activeTo": "tomorrow"}, "activeTo"},
		{"dates reversed", obj{"request": "d3", "type": "text", "reply": "x", "activeFrom": "2026-05-02", "activeTo": "2026-05-01"}, "activeTo"},
	}
	for _, tt := range bad {
		code, body := a.postJSON("addReply", tt.body)
		requireFailure(t, code, body, http.StatusBadRequest, 40000, tt.field)
	}
	require.Empty(t, a.list(), "nothing stored")

	// Ten keywords, five replies, every field.
	code, body := a.postJSON("addReply", obj{"request": kw(10), "match": "contains", "replies": texts(5),
		"replyMode": "ALL", "activeFrom": "2026-01-01", "activeTo": "2026-12-31", "hours": "22:00-02:00"})
	require.Equal(t, http.StatusOK, code, "%v", body)
	rule := body["rule"].(map[string]any)
	require.Len(t, rule["request"], 10)
	require.Len(t, rule["replies"], 5)
	require.Equal(t, "all", rule["replyMode"])
	require.Equal(t, "2026-01-01", rule["activeFrom"])
	require.Equal(t, "2026-12-31", rule["activeTo"])
	require.Equal(t, "22:00-02:00", rule["hours"])
	require.Equal(t, obj{"content": "答复"}, rule["reply"], "reply is the first of the replies")
	id := body["id"]

	// Each keyword is unique on the account, whichever rule has it.
	code, body = a.postJSON("addReply", obj{"request": []string{"新词", "词语语"}, "type": "text", "reply": "x"})
	requireFailure(t, code, body, http.StatusConflict, 40900, "")
	// Any keyword names the rule.
	code, body = a.postForm("enableReply", url.Values{"request": {"词语语语"}, "enabled": {"false"}})
	require.Equal(t, http.StatusOK, code, "%v", body)
	require.Equal(t, id, body["rule"].(map[string]any)["id"])

	// Updating: new keywords, the single shape back, the schedule cleared.
	code, body = a.postJSON("updateReply", obj{"id": id, "request": []string{"x1", "x2"}, "hours": "",
		"activeFrom": "", "activeTo": "", "replies": texts(1), "enabled": true})
	require.Equal(t, http.StatusOK, code, "%v", body)
	rule = body["rule"].(map[string]any)
	require.Equal(t, []any{"x1", "x2"}, rule["request"])
	require.NotContains(t, rule, "hours")
	require.NotContains(t, rule, "replies", "one reply: the §6 shape")
	code, body = a.postJSON("updateReply", obj{"id": id, "request": kw(11)})
	requireFailure(t, code, body, http.StatusBadRequest, 40000, "request")
	code, body = a.postJSON("updateReply", obj{"id": id, "hours": "24:00-25:00"})
	requireFailure(t, code, body, http.StatusBadRequest, 40000, "hours")
	code, body = a.postJSON("updateReply", obj{"id": id, "replies": texts(6)})
	requireFailure(t, code, body, http.StatusBadRequest, 40000, "replies")
	code, body = a.postJSON("updateReply", obj{"id": id, "activeFrom": "2026-13-01"})
	requireFailure(t, code, body, http.StatusBadRequest, 40000, "activeFrom")
	// The old keywords are free again.
	code, body = a.postJSON("addReply", obj{"request": "词语", "type": "text", "reply": "x"})
	require.Equal(t, http.StatusOK, code, "%v", body)

	// A form sends several keywords as JSON text.
	code, body = a.postForm("addReply", url.Values{"request": {`["表单一","表单二"]`}, "type": {"text"}, "content": {"好"}})
	require.Equal(t, http.StatusOK, code, "%v", body)
	require.Equal(t, []any{"表单一", "表单二"}, body["rule"].(map[string]any)["request"])

	list := a.list()
	require.Len(t, list, 3)
	for _, v := range list {
		m := v.(map[string]any)
		require.Contains(t, m, "hits")
		require.Contains(t, m, "lastHitAt")
	}

	// What the matcher answers: every keyword of a rule.
	ctx := context.Background()
	for _, s := range []string{"x1", "X2", "表单二"} {
		m, err := a.svc.Match(ctx, a.account.ID, text(s))
		require.NoError(t, err)
		require.NotNil(t, m, s)
	}
}

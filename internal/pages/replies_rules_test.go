package pages

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/reply"
)

// Contract §20 on the rules page: several keywords, up to 5 replies, the mode, dates and hours, hits.
func TestRulesPageKeywordsRepliesSchedule(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	e.lang = LangEN

	// Errors next to their fields, in the operator's language, what was typed kept.
	p := e.post("/console/replies", url.Values{"request": {"hi"}, "requestMore": {"hello\nhi"}, "type": {"text"},
		"content": {"x"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "r-requestMore", "twice")
	p = e.post("/console/replies", url.Values{"request": {"hi"}, "type": {"text"}, "content": {"x"}, "hours": {"25:00-26:00"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	doc := p.Doc(t)
	requireFieldError(t, doc, "r-hours", "HH:MM-HH:MM")
	v, _ := doc.Find("#r-hours").Attr("value")
	require.Equal(t, "25:00-26:00", v)
	p = e.post("/console/replies", url.Values{"request": {"hi"}, "type": {"text"}, "content": {"x"},
		"activeFrom": {"2026-05-02"}, "activeTo": {"2026-05-01"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "r-activeTo", "activeFrom")
	more := ""
	for i := range 10 {
		more += "k" + strconv.Itoa(i) + "\n"
	}
	p = e.post("/console/replies", url.Values{"request": {"hi"}, "requestMore": {more}, "type": {"text"}, "content": {"x"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "r-request", "10 keywords")
	p = e.post("/console/replies", url.Values{"request": {"hi"}, "type": {"text"}, "content": {"x"},
		"reply3": {longText(3000)}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "r-reply2", "2048") // moved up: reply2 was empty
	require.Empty(t, missingKey.FindAllString(p.Body, -1))

	// In Chinese too.
	e.lang = LangZH
	p = e.post("/console/replies", url.Values{"request": {"hi"}, "type": {"text"}, "content": {"x"}, "hours": {"9-18"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "r-hours", "每日时段")
	e.lang = LangEN

	doc = requirePage(t, e.submit("/console/replies", url.Values{"request": {"opening"}, "requestMore": {"hours\n营业时间"},
		"type": {"text"}, "content": {"9 to 6"}, "reply2": {"closed on Sundays"}, "reply3": {""}, "reply4": {"welcome"},
		"replyMode": {"all"}, "activeFrom": {"2026-01-01"}, "activeTo": {"2026-12-31"}, "hours": {"22:00-02:00"}}), LangEN)
	row := doc.Find("#rules tbody tr")
	require.Equal(t, 1, row.Length())
	require.Contains(t, row.Text(), "营业时间")
	require.Contains(t, row.Find(".rule-schedule").Text(), "2026-01-01–2026-12-31 22:00-02:00")
	require.Contains(t, row.Text(), "all 3")
	require.Equal(t, "0", row.Find(".rule-hits").Text())

	rules, err := e.replies.List(context.Background(), e.acct.ID)
	require.NoError(t, err)
	r := rules[0]
	require.Equal(t, []string{"opening", "hours", "营业时间"}, r.Keywords)
	require.Len(t, r.Replies, 3)
	require.Equal(t, "welcome", r.Replies[2].Content.Content)
	require.Equal(t, reply.ModeAll, r.Mode)
	require.Equal(t, "22:00-02:00", r.Schedule.Hours.String())

	// The edit form holds them all; saving it without the schedule clears it.
	id := strconv.FormatInt(r.ID, 10)
	doc = requirePage(t, e.get("/console/replies?edit="+id), LangEN)
	require.Equal(t, "hours\n营业时间", doc.Find("#r-requestMore").Text())
	require.Equal(t, "welcome", doc.Find("#r-reply3").Text())
	require.Equal(t, "closed on Sundays", doc.Find("#r-reply2").Text())
	sel, _ := doc.Find("#r-replyMode option[selected]").Attr("value")
	require.Equal(t, "all", sel)
	v, _ = doc.Find("#r-activeFrom").Attr("value")
	require.Equal(t, "2026-01-01", v)

	requirePage(t, e.submit("/console/replies/rule/"+id, url.Values{"request": {"opening"}, "requestMore": {"hours"},
		"type": {"text"}, "content": {"9 to 6"}, "replyMode": {"random"}}), LangEN)
	got, err := e.replies.Get(context.Background(), e.acct.ID, reply.Selector{ID: r.ID})
	require.NoError(t, err)
	require.Equal(t, []string{"opening", "hours"}, got.Keywords)
	require.Len(t, got.Replies, 1)
	require.True(t, got.Schedule.IsZero())
}

func longText(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'x'
	}
	return string(b)
}

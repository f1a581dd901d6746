package pages

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/audit"
)

// Settings → Audit log (contract §14): the account's entries, newest first, filtered by action, member,
// date range or target (the "who changed this?" links of the rules, menu and members pages), paged.

type auditData struct {
	Entries []auditEntry
	Pager   Pager
	Actions []string
	Actors  []audit.Actor
	// Filtered says a filter is set (the empty state then says "nothing matches", not "nothing yet").
	Filtered bool
	Target   string
}

type auditEntry struct {
	audit.View
	Changes []auditChange
}

// auditChange is one line of "field: before → after".
type auditChange struct {
	Field         string
	Before, After string
	HasBefore     bool
	HasAfter      bool
	Redacted      bool
}

// auditPageSize is the length of a page of the log.
const auditPageSize = 50

func (p *Pages) auditPage(c *gin.Context) {
	v := p.view(c, "settings", "audit.title")
	ctx := c.Request.Context()
	q := audit.Query{Offset: c.Query("offset"), Limit: strconv.Itoa(auditPageSize), Action: c.Query("action"),
		UserID: c.Query("userId"), Target: c.Query("target"), From: c.Query("from"), To: c.Query("to")}
	for k, val := range map[string]string{"action": q.Action, "userId": q.UserID, "target": q.Target, "from": q.From, "to": q.To} {
		v.Form[k] = val
	}
	d := &auditData{Target: q.Target, Filtered: q.Action != "" || q.UserID != "" || q.Target != "" || q.From != "" || q.To != ""}
	v.Data = d
	var err error
	if d.Actions, d.Actors, err = p.deps.Audit.Facets(ctx, v.Account.ID); err != nil {
		p.fail(c, err)
		return
	}
	f, err := p.deps.Audit.Parse(q)
	if err != nil {
		formError(v, err)
		p.html(c, statusOf(err), "audit", v)
		return
	}
	page, err := p.deps.Audit.List(ctx, v.Account.ID, f)
	if err != nil {
		p.fail(c, err)
		return
	}
	keep := url.Values{"appid": {v.Account.AppID}, "action": {q.Action}, "userId": {q.UserID}, "target": {q.Target},
		"from": {q.From}, "to": {q.To}}
	d.Pager = pagerFor(f.Offset, f.Limit, page.Total, keep)
	for _, e := range page.Entries {
		d.Entries = append(d.Entries, auditEntry{View: e, Changes: readableChanges(e.Decoded())})
	}
	p.html(c, http.StatusOK, "audit", v)
}

// readableChanges answers the changes as lines, by field name.
func readableChanges(ch audit.Changes) []auditChange {
	out := make([]auditChange, 0, len(ch))
	for _, f := range ch.Fields() {
		c := ch[f]
		out = append(out, auditChange{Field: f, Redacted: c.Redacted, Before: shortValue(c.Before), After: shortValue(c.After),
			HasBefore: c.Before != nil, HasAfter: c.After != nil})
	}
	return out
}

// shortValue is a value as the page shows it: text as is, anything else as compact JSON, cut at 200
// characters.
func shortValue(v any) string {
	var s string
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		s = t
	default:
		b, _ := json.Marshal(t)
		s = string(b)
	}
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:200]) + "…"
	}
	return s
}

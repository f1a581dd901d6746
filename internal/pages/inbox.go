package pages

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
)

// inboxPerPage is the length of a page of the inbox.
const inboxPerPage = 30

type inboxData struct {
	OpenID   string
	Messages []inboxRow
	Pager    Pager
}

// inboxRow is a stored message as the inbox shows it.
type inboxRow struct {
	messages.InboxMessage
	Kind      string // what arrived: the type, or the event with its key
	RuleText  string // the rule that answered, "" for none
	ReplyText string // one line of the answer, "" for "success"
}

// inboxPage lists the stored messages, newest first, optionally of one follower (?openid=).
func (p *Pages) inboxPage(c *gin.Context) {
	v := p.view(c, "inbox", "inbox.title")
	openid := strings.TrimSpace(c.Query("openid"))
	offset := queryInt(c, "offset", 0, 1_000_000)
	page, err := p.deps.Inbox.Inbox(c.Request.Context(), messages.InboxQuery{AccountID: v.Account.ID, OpenID: openid,
		Offset: offset, Limit: inboxPerPage})
	if err != nil {
		p.fail(c, err)
		return
	}
	d := &inboxData{OpenID: openid, Pager: pagerFor(offset, inboxPerPage, page.Total, url.Values{"openid": {openid}})}
	for _, m := range page.Messages {
		row := inboxRow{InboxMessage: m, Kind: m.Type}
		if m.Event != "" {
			row.Kind = strings.TrimSpace(m.Event + " " + m.EventKey)
		}
		if m.Rule != nil {
			row.RuleText = *m.Rule
		}
		if m.Reply != nil {
			row.ReplyText = replyLine(m.Reply)
		}
		d.Messages = append(d.Messages, row)
	}
	v.Form["openid"] = openid
	v.Data = d
	p.html(c, http.StatusOK, "inbox", v)
}

// replyLine is one line of a stored answer: its type and its text, title or media id.
func replyLine(r *messages.ReplyView) string {
	pick := func(m map[string]string) string {
		for _, k := range []string{"content", "title", "mediaId"} {
			if m[k] != "" {
				return m[k]
			}
		}
		return ""
	}
	text := ""
	switch x := r.Reply.(type) {
	case map[string]string:
		text = pick(x)
	case []map[string]string:
		titles := make([]string, 0, len(x))
		for _, a := range x {
			titles = append(titles, a["title"])
		}
		text = strings.Join(titles, " / ")
	default:
		text = fmt.Sprint(x)
	}
	return strings.TrimSpace(r.Type + ": " + text)
}

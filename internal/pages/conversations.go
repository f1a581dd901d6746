package pages

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/wxplatform/conversations"
)

// conversationsPerPage is the length of the list; timelinePage the items shown of a conversation.
const (
	conversationsPerPage = 30
	timelinePage         = 30
)

type conversationsData struct {
	Filter, Q   string
	Pager       Pager
	List        []conversations.Conversation
	Open        *conversations.Conversation // the conversation shown, nil for none
	OpenName    string
	Timeline    []conversations.Item
	Older       string // the link to older items, "" when none
	Quick       []quickRow
	Media       []materials.Material // the media picker: image, voice and video materials
	Self        string               // this page's URL (for forms to come back to)
	WindowLabel string
	Assignable  []assignee
	Draft       string
	ClientID    string // the composer's idempotency key: posting the same form twice sends once
}

type quickRow struct {
	conversations.QuickReply
	Text string // what the operator reads of it
}

type assignee struct {
	ID   int64
	Name string
	Sel  bool
}

// conversationsPage is /console/conversations: the list on the left, the open conversation (?openid=) with
// its composer on the right. It works by reloading; with JavaScript it follows the live stream.
func (p *Pages) conversationsPage(c *gin.Context) {
	v := p.view(c, "conversations", "conv.title")
	fieldFlashes(v)
	ctx := c.Request.Context()
	svc := p.deps.Conversations
	pr, _ := httpapi.CurrentPrincipal(c)
	d := &conversationsData{Filter: c.Query("filter"), Q: strings.TrimSpace(c.Query("q"))}
	q := conversations.ListQuery{Offset: queryInt(c, "offset", 0, 1_000_000), Limit: conversationsPerPage, Q: d.Q}
	switch d.Filter {
	case "unread":
		q.Unread = true
	case "mine":
		q.Assignee = pr.UserID
	case "none":
		q.Assignee = conversations.AssigneeNone
	default:
		d.Filter = ""
	}
	if len(q.Q) > 100 {
		q.Q = q.Q[:100]
	}
	list, total, err := svc.List(ctx, v.Account, q)
	if err != nil {
		p.fail(c, err)
		return
	}
	d.List = list
	keep := url.Values{"filter": {d.Filter}, "q": {d.Q}, "openid": {c.Query("openid")}}
	d.Pager = pagerFor(q.Offset, q.Limit, total, keep)
	d.Self = c.Request.URL.RequestURI()

	if openid := strings.TrimSpace(c.Query("openid")); openid != "" {
		before, _ := strconv.ParseInt(c.Query("before"), 10, 64)
		tl, err := svc.Timeline(ctx, v.Account, openid, max(before, 0), timelinePage)
		if err != nil {
			p.fail(c, err)
			return
		}
		d.Open, d.Timeline = tl.Conversation, tl.Messages
		d.OpenName = tl.Conversation.Name()
		if tl.HasMore && tl.Before > 0 {
			d.Older = "/console/conversations?" + url.Values{"openid": {openid}, "before": {strconv.FormatInt(tl.Before, 10)},
				"appid": {v.Account.AppID}}.Encode()
		}
		d.WindowLabel = windowLabel(c, tl.Conversation.Window)
		d.Assignable = p.assignable(ctx, pr, v.Account.ID, v.Account.UserID)
		if a := tl.Conversation.Assignee; a != nil {
			for i := range d.Assignable {
				d.Assignable[i].Sel = d.Assignable[i].ID == *a
			}
		}
		d.Draft = v.Form["content"]
		d.ClientID = randomAlnum(24)
	}
	if quick, err := svc.QuickReplies(ctx, v.Account); err == nil {
		for _, qr := range quick {
			d.Quick = append(d.Quick, quickRow{QuickReply: qr, Text: quickText(qr)})
		}
	}
	if d.Open != nil {
		for _, k := range []materials.Kind{materials.Image, materials.Voice, materials.Video} {
			items, _, err := p.deps.Materials.ListLocal(ctx, v.Account, k, 0, 50)
			if err == nil {
				d.Media = append(d.Media, items...)
			}
		}
	}
	v.Data = d
	p.html(c, http.StatusOK, "conversations", v)
}

// assignable answers who a conversation may be assigned to: the account's members from agent up (contract
// §16), in the team's order; without the teams service (tests of other pages), the owner alone.
func (p *Pages) assignable(ctx context.Context, pr httpapi.Principal, accountID, owner int64) []assignee {
	if p.deps.Teams != nil {
		if team, err := p.deps.Teams.List(ctx, accountID); err == nil {
			var out []assignee
			for _, m := range team.Members {
				if m.Role.AtLeast(domain.RoleAgent) {
					out = append(out, assignee{ID: m.UserID, Name: m.Username})
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	return []assignee{{ID: owner, Name: ownerName(pr, owner)}}
}

// ownerName names the account's owner in the assignee list.
func ownerName(pr httpapi.Principal, owner int64) string {
	if pr.UserID == owner {
		return pr.Username
	}
	return "#" + strconv.FormatInt(owner, 10)
}

// windowLabel describes the customer-service window to the operator.
func windowLabel(c *gin.Context, w conversations.Window) string {
	if !w.Open || w.ClosesAt == nil {
		return t(c, "conv.window.closed")
	}
	return t(c, "conv.window.open", w.ClosesAt.Local().Format("01-02 15:04"), w.Remaining)
}

// quickText is one line of a quick reply.
func quickText(q conversations.QuickReply) string {
	var m map[string]any
	if json.Unmarshal(q.Reply, &m) != nil {
		return q.Type
	}
	for _, k := range []string{"content", "head", "title", "mediaId"} {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return q.Type
}

// back is where a conversations form returns: the conversation it acted on.
func conversationURL(c *gin.Context, openid string) string {
	v := url.Values{"openid": {openid}}
	if a := c.PostForm("appid"); a != "" {
		v.Set("appid", a)
	}
	return "/console/conversations?" + v.Encode()
}

// conversationSend is the composer: a text, a medium from the picker, or a quick reply.
func (p *Pages) conversationSend(c *gin.Context) {
	v := p.view(c, "conversations", "conv.title")
	openid := strings.TrimSpace(c.PostForm("openid"))
	back := conversationURL(c, openid)
	pr, _ := httpapi.CurrentPrincipal(c)
	in := conversations.SendInput{OpenID: openid, Type: "text", ClientID: c.PostForm("clientMsgId")}
	retry, _ := strconv.ParseInt(c.PostForm("retryOf"), 10, 64)
	in.RetryOf = retry
	switch {
	case c.PostForm("quick") != "":
		id, _ := strconv.ParseInt(c.PostForm("quick"), 10, 64)
		list, err := p.deps.Conversations.QuickReplies(c.Request.Context(), v.Account)
		if err != nil {
			p.failed(c, back, err)
			return
		}
		found := false
		for _, q := range list {
			if q.ID == id {
				in.Type, in.Reply, found = q.Type, q.Reply, true
			}
		}
		if !found {
			p.failed(c, back, conversations.ErrNoQuickReply)
			return
		}
	case c.PostForm("mediaId") != "":
		parts := strings.SplitN(c.PostForm("mediaId"), ":", 2)
		if len(parts) != 2 {
			p.failed(c, back, conversations.ErrNoMessage)
			return
		}
		in.Type = parts[0]
		body := map[string]string{"mediaId": parts[1]}
		if in.Type == "video" {
			body["title"], body["description"] = c.PostForm("title"), c.PostForm("title")
			if body["title"] == "" {
				body["title"], body["description"] = "video", "video"
			}
		}
		in.Reply, _ = json.Marshal(body)
	case c.PostForm("type") != "" && c.PostForm("reply") != "":
		in.Type, in.Reply = c.PostForm("type"), json.RawMessage(c.PostForm("reply"))
	default:
		in.Reply, _ = json.Marshal(map[string]string{"content": c.PostForm("content")})
	}
	if _, err := p.deps.Conversations.Send(c.Request.Context(), v.Account, conversations.Operator{UserID: pr.UserID, Username: pr.Username}, in); err != nil {
		if c.PostForm("content") != "" {
			p.flash(c, "form:content", c.PostForm("content"))
		}
		p.failed(c, back, err)
		return
	}
	p.done(c, back, "conv.sent")
}

// conversationRead marks the conversation read.
func (p *Pages) conversationRead(c *gin.Context) {
	v := p.view(c, "conversations", "conv.title")
	openid := strings.TrimSpace(c.PostForm("openid"))
	if _, err := p.deps.Conversations.MarkRead(c.Request.Context(), v.Account, openid); err != nil {
		p.failed(c, conversationURL(c, openid), err)
		return
	}
	p.done(c, conversationURL(c, openid), "conv.marked")
}

// conversationAssign assigns the conversation (userId "" = nobody).
func (p *Pages) conversationAssign(c *gin.Context) {
	v := p.view(c, "conversations", "conv.title")
	openid := strings.TrimSpace(c.PostForm("openid"))
	uid, _ := strconv.ParseInt(c.PostForm("userId"), 10, 64)
	if _, err := p.deps.Conversations.Assign(c.Request.Context(), v.Account, openid, max(uid, 0)); err != nil {
		p.failed(c, conversationURL(c, openid), err)
		return
	}
	p.done(c, conversationURL(c, openid), "conv.assigned")
}

// quickSave adds a text quick reply.
func (p *Pages) quickSave(c *gin.Context) {
	v := p.view(c, "conversations", "conv.title")
	back := conversationURL(c, c.PostForm("openid"))
	raw, _ := json.Marshal(map[string]string{"content": c.PostForm("content")})
	if _, err := p.deps.Conversations.SaveQuickReply(c.Request.Context(), v.Account, conversations.QuickReplyInput{
		Title: c.PostForm("title"), Type: "text", Reply: raw}); err != nil {
		p.failed(c, back, err)
		return
	}
	p.done(c, back, "conv.quick.saved")
}

// quickDelete removes a quick reply.
func (p *Pages) quickDelete(c *gin.Context) {
	v := p.view(c, "conversations", "conv.title")
	back := conversationURL(c, c.PostForm("openid"))
	id, _ := strconv.ParseInt(c.PostForm("id"), 10, 64)
	if err := p.deps.Conversations.DeleteQuickReply(c.Request.Context(), v.Account, id); err != nil {
		p.failed(c, back, err)
		return
	}
	p.done(c, back, "conv.quick.deleted")
}

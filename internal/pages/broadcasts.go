package pages

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/broadcasts"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// The broadcasts pages (contract §18): a new mass message, the list with progress, one broadcast with its
// counts and recipients by status, and the templates with a send form built from each one's fields.

const broadcastsPerPage = 20

type broadcastsData struct {
	List      []broadcasts.Broadcast
	Pager     Pager
	All       int
	Tags      []tagChoice
	Types     []string
	Approval  bool
	Templates []broadcasts.Template
}

// ReachFor answers how many followers the target chosen in form f reaches, as the page first shows it
// (broadcasts.js then follows the operator's changes through /apis/broadcasts/targetCount).
func (d *broadcastsData) ReachFor(f map[string]string) int {
	switch f["target"] {
	case "tag":
		for i, t := range d.Tags {
			if strconv.Itoa(t.ID) == strings.TrimSpace(f["tagId"]) || (f["tagId"] == "" && i == 0) {
				return t.Count
			}
		}
		return 0
	case "openids":
		seen := map[string]bool{}
		for _, id := range strings.FieldsFunc(f["openids"], func(r rune) bool { return r == '\n' || r == ',' || r == ' ' || r == '\r' }) {
			seen[id] = true
		}
		return len(seen)
	}
	return d.All
}

type tagChoice struct {
	ID    int
	Name  string
	Count int
}

func (p *Pages) broadcastsPage(c *gin.Context) {
	v, ok := p.broadcastsView(c)
	if !ok {
		return
	}
	p.html(c, http.StatusOK, "broadcasts", v)
}

func (p *Pages) broadcastsView(c *gin.Context) (*View, bool) {
	v := p.view(c, "broadcasts", "broadcasts.title")
	ctx := c.Request.Context()
	svc := p.deps.Broadcasts
	offset := queryInt(c, "offset", 0, 1_000_000)
	list, total, err := svc.List(ctx, v.Account.ID, offset, broadcastsPerPage)
	if err != nil {
		p.fail(c, err)
		return nil, false
	}
	d := &broadcastsData{List: list, Pager: pagerFor(offset, broadcastsPerPage, total, nil),
		Types: []string{"text", "mpnews", "image", "voice", "mpvideo"}}
	if d.All, err = svc.TargetCount(ctx, v.Account.ID, broadcasts.Target{All: true}); err != nil {
		p.fail(c, err)
		return nil, false
	}
	if p.deps.Followers != nil {
		// The tags as WeChat lists them; the counts are the mirror's, which the broadcast goes by.
		if groups, err := p.deps.Followers.Groups(ctx, v.Account); err == nil {
			for _, g := range groups {
				if g.ID < 2 {
					continue
				}
				id := g.ID
				n, _ := svc.TargetCount(ctx, v.Account.ID, broadcasts.Target{TagID: &id})
				d.Tags = append(d.Tags, tagChoice{ID: g.ID, Name: g.Name, Count: n})
			}
		}
	}
	d.Approval, _ = svc.ApprovalSetting(ctx, v.Account.ID)
	d.Templates, _ = svc.Templates(ctx, v.Account.ID)
	v.Data = d
	if v.Form["target"] == "" {
		v.Form["target"] = "all"
	}
	return v, true
}

// broadcastTarget reads the form's target: all, a tag, or openids one per line.
func broadcastTarget(c *gin.Context) (broadcasts.Target, error) {
	switch c.PostForm("target") {
	case "tag":
		n, err := strconv.Atoi(strings.TrimSpace(c.PostForm("tagId")))
		if err != nil {
			return broadcasts.Target{}, apperr.Invalidf("tagId", "choose a tag").WithKey("broadcasts.err.tag", "tagId")
		}
		return broadcasts.Target{TagID: &n}, nil
	case "openids":
		var ids []string
		for _, l := range strings.FieldsFunc(c.PostForm("openids"), func(r rune) bool { return r == '\n' || r == ',' || r == ' ' || r == '\r' }) {
			ids = append(ids, l)
		}
		if ids == nil {
			ids = []string{}
		}
		return broadcasts.Target{OpenIDs: ids}, nil
	case "all":
		return broadcasts.Target{All: true}, nil
	}
	return broadcasts.Target{}, apperr.Invalidf("target", "choose who receives it").WithKey("broadcasts.err.target", "target")
}

// massContentOf turns the form's content into the API's: text as is, image ids one per line.
func massContentOf(typ, content string) json.RawMessage {
	content = strings.TrimSpace(content)
	if typ == "image" {
		ids := strings.Fields(content)
		b, _ := json.Marshal(ids)
		return b
	}
	b, _ := json.Marshal(content)
	return b
}

func (p *Pages) broadcastMass(c *gin.Context) {
	a := accounts.Current(c)
	typ, content := c.PostForm("type"), c.PostForm("content")
	tgt, err := broadcastTarget(c)
	var id int64
	if err == nil {
		pr, _ := httpapi.CurrentPrincipal(c)
		id, err = p.deps.Broadcasts.MassSend(c.Request.Context(), a, pr.UserID, broadcasts.MassInput{Target: tgt, Type: typ,
			Content: massContentOf(typ, content)})
	}
	if err != nil {
		v, ok := p.broadcastsView(c)
		if !ok {
			return
		}
		for _, k := range []string{"target", "tagId", "openids", "type", "content"} {
			v.Form[k] = c.PostForm(k)
		}
		formError(v, err)
		p.html(c, statusOf(err), "broadcasts", v)
		return
	}
	p.done(c, withAppID(fmt.Sprintf("/console/broadcasts/%d", id), a), "broadcasts.made", id)
}

func (p *Pages) broadcastPreview(c *gin.Context) {
	a := accounts.Current(c)
	typ := c.PostForm("type")
	_, err := p.deps.Broadcasts.Preview(c.Request.Context(), a, c.PostForm("previewOpenid"), c.PostForm("previewWxname"), typ,
		massContentOf(typ, c.PostForm("content")))
	if err != nil {
		p.failed(c, withAppID("/console/broadcasts", a), err)
		return
	}
	p.done(c, withAppID("/console/broadcasts", a), "broadcasts.previewed")
}

type broadcastData struct {
	B          broadcasts.Broadcast
	Status     string
	Statuses   []string
	Recipients []broadcasts.Recipient
	Pager      Pager
	Percent    int
	CanApprove bool
}

func (p *Pages) broadcastPage(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		p.fail(c, broadcasts.ErrNotFound)
		return
	}
	v := p.view(c, "broadcast", "broadcasts.one")
	ctx := c.Request.Context()
	b, err := p.deps.Broadcasts.Get(ctx, v.Account.ID, id)
	if err != nil {
		p.fail(c, err)
		return
	}
	status := c.Query("status")
	switch status {
	case broadcasts.StatusPending, broadcasts.StatusSent, broadcasts.StatusDelivered, broadcasts.StatusFailed:
	default:
		status = ""
	}
	offset := queryInt(c, "offset", 0, 10_000_000)
	list, total, err := p.deps.Broadcasts.Recipients(ctx, v.Account.ID, id, status, offset, 100)
	if err != nil {
		p.fail(c, err)
		return
	}
	d := &broadcastData{B: b, Status: status, Recipients: list,
		Statuses: []string{"", broadcasts.StatusPending, broadcasts.StatusSent, broadcasts.StatusDelivered, broadcasts.StatusFailed},
		Pager:    pagerFor(offset, 100, total, map[string][]string{"status": {status}})}
	if b.Total > 0 {
		d.Percent = b.Done * 100 / b.Total
	}
	pr, _ := httpapi.CurrentPrincipal(c)
	d.CanApprove, _ = p.deps.Broadcasts.CanApprove(ctx, v.Account.ID, pr.UserID)
	v.Data = d
	p.html(c, http.StatusOK, "broadcast", v)
}

// broadcastAction serves the cancel, approve and reject buttons of a broadcast's page.
func (p *Pages) broadcastAction(c *gin.Context) {
	a := accounts.Current(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		p.fail(c, broadcasts.ErrNotFound)
		return
	}
	back := withAppID(fmt.Sprintf("/console/broadcasts/%d", id), a)
	pr, _ := httpapi.CurrentPrincipal(c)
	ctx := c.Request.Context()
	var key string
	switch c.Param("action") {
	case "cancel":
		err, key = p.deps.Broadcasts.Cancel(ctx, a.ID, id), "broadcasts.cancelled"
	case "approve":
		err, key = p.deps.Broadcasts.Approve(ctx, a.ID, pr.UserID, id), "broadcasts.approved"
	case "reject":
		err, key = p.deps.Broadcasts.Reject(ctx, a.ID, pr.UserID, id), "broadcasts.rejected"
	default:
		p.fail(c, broadcasts.ErrNotFound)
		return
	}
	if err != nil {
		p.failed(c, back, err)
		return
	}
	p.done(c, back, key, id)
}

func (p *Pages) templatesSync(c *gin.Context) {
	a := accounts.Current(c)
	list, err := p.deps.Broadcasts.SyncTemplates(c.Request.Context(), a)
	if err != nil {
		p.failed(c, withAppID("/console/broadcasts#templates", a), err)
		return
	}
	p.done(c, withAppID("/console/broadcasts#templates", a), "broadcasts.templates.synced", len(list))
}

func (p *Pages) templateAdd(c *gin.Context) {
	a := accounts.Current(c)
	var names []string
	for _, n := range strings.Split(c.PostForm("keywordNames"), ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if _, err := p.deps.Broadcasts.AddTemplate(c.Request.Context(), a, c.PostForm("shortId"), names); err != nil {
		p.failed(c, withAppID("/console/broadcasts#templates", a), err)
		return
	}
	p.done(c, withAppID("/console/broadcasts#templates", a), "broadcasts.templates.added")
}

// templateSend sends the form built from a template's fields: to one openid at once, or as a broadcast.
func (p *Pages) templateSend(c *gin.Context) {
	a := accounts.Current(c)
	in := broadcasts.TemplateInput{TemplateID: c.PostForm("templateId"), URL: strings.TrimSpace(c.PostForm("url")), Data: map[string]string{}}
	_ = c.Request.ParseForm()
	for k, vals := range c.Request.PostForm {
		if f, ok := strings.CutPrefix(k, "data."); ok && len(vals) > 0 {
			in.Data[f] = vals[0]
		}
	}
	var err error
	if one := strings.TrimSpace(c.PostForm("openid")); c.PostForm("target") == "openid" {
		in.Target = broadcasts.Target{OpenID: one}
		if one == "" {
			err = apperr.Missing("openid")
		}
	} else {
		in.Target, err = broadcastTarget(c)
	}
	var msgID, id int64
	if err == nil {
		pr, _ := httpapi.CurrentPrincipal(c)
		msgID, id, err = p.deps.Broadcasts.SendTemplate(c.Request.Context(), a, pr.UserID, in)
	}
	if err != nil {
		p.failed(c, withAppID("/console/broadcasts#templates", a), err)
		return
	}
	if id == 0 {
		p.done(c, withAppID("/console/broadcasts#templates", a), "broadcasts.templates.sent", msgID)
		return
	}
	p.done(c, withAppID(fmt.Sprintf("/console/broadcasts/%d", id), a), "broadcasts.made", id)
}

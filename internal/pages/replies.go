package pages

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// replyTypes are the reply types in the order the forms offer them.
var replyTypes = []string{"text", "image", "voice", "video", "music", "multitext"}

// matchModes are the keyword match modes, strongest first.
var matchModes = []string{"exact", "contains", "regex"}

// replyFieldsOf are the form fields each reply type reads (the API's names, contract §6).
var replyFieldsOf = map[string][]string{
	"text":      {"content"},
	"image":     {"mediaId"},
	"voice":     {"mediaId"},
	"video":     {"title", "description", "mediaId"},
	"music":     {"title", "description", "musicUrl", "hqMusicUrl", "thumbMediaId"},
	"multitext": {"title", "description", "picurl", "url"},
}

// replyFormFields are every field of the reply forms, to put back into a form after an error.
var replyFormFields = []string{"request", "match", "type", "content", "mediaId", "title", "description",
	"musicUrl", "hqMusicUrl", "thumbMediaId", "picurl", "url"}

// ruleView is a keyword rule as the list shows it.
type ruleView struct {
	ID       int64
	Keyword  string
	Keywords []string // all of them, Keyword first
	Match    string
	Type     string
	Enabled  bool
	Summary  string
	Replies  int    // how many replies
	Mode     string // random or all, when several
	Schedule string // "2026-01-01 – 2026-12-31 09:00-18:00", "" when always
	Hits     int64
	LastHit  string
}

// replyForm is one of the page's reply forms with what was posted to it and its errors.
type replyForm struct {
	Form   map[string]string
	Errors map[string]string
	Set    bool // the subscribe or default reply exists
}

type repliesData struct {
	Rules     []ruleView
	EditID    int64 // the rule the form edits; 0 adds one
	Types     []string
	Matches   []string
	Modes     []string
	Subscribe replyForm
	Default   replyForm
	ClickKeys []string
	SimOpenID string
	Sim       *simExchange // the simulator's last exchange, shown without JavaScript
	SimEvent  string
	SimKey    string
	// KeepReplies says the edited rule has replies after the first that are not text: the form cannot
	// edit them and saving leaves them.
	KeepReplies bool
}

func (p *Pages) repliesPage(c *gin.Context) {
	v, ok := p.repliesView(c)
	if !ok {
		return
	}
	if id, err := strconv.ParseInt(c.Query("edit"), 10, 64); err == nil && id > 0 {
		r, err := p.deps.Replies.Get(c.Request.Context(), v.Account.ID, reply.Selector{ID: id})
		if err != nil {
			p.fail(c, err)
			return
		}
		d := v.Data.(*repliesData)
		d.EditID = r.ID
		v.Form = ruleForm(r)
		d.KeepReplies = ruleFormExtras(v.Form, r)
	}
	p.html(c, http.StatusOK, "replies", v)
}

// repliesView gathers the page: the rules, the subscribe and default replies, the menu's click keys.
func (p *Pages) repliesView(c *gin.Context) (*View, bool) {
	v := p.view(c, "replies", "replies.title")
	ctx := c.Request.Context()
	a := v.Account
	rules, err := p.deps.Replies.List(ctx, a.ID)
	if err != nil {
		p.fail(c, err)
		return nil, false
	}
	sub, def, err := p.deps.Replies.Specials(ctx, a.ID)
	if err != nil {
		p.fail(c, err)
		return nil, false
	}
	d := &repliesData{Types: replyTypes, Matches: matchModes, Modes: replyModes, SimOpenID: simOpenID(c),
		Subscribe: replyForm{Form: specialForm(sub), Errors: map[string]string{}, Set: sub != nil},
		Default:   replyForm{Form: specialForm(def), Errors: map[string]string{}, Set: def != nil}}
	for _, r := range rules {
		rv := ruleView{ID: r.ID, Keyword: r.Keyword, Keywords: r.Keywords, Match: string(r.Match), Type: string(r.Type),
			Enabled: r.Enabled, Summary: summarize(r.Type, r.Reply), Replies: len(r.Replies), Hits: r.Hits,
			LastHit: lastHit(r.LastHitAt, p.deps.Replies.Location())}
		if rv.Replies > 1 {
			rv.Mode = string(r.Mode)
		}
		if sc := r.Schedule; !sc.IsZero() {
			parts := []string{}
			if !sc.From.IsZero() || !sc.To.IsZero() {
				parts = append(parts, sc.From.String()+"–"+sc.To.String())
			}
			if sc.Hours.Set {
				parts = append(parts, sc.Hours.String())
			}
			rv.Schedule = strings.Join(parts, " ")
		}
		d.Rules = append(d.Rules, rv)
	}
	if keys, err := p.deps.Menus.ClickKeys(ctx, a.ID); err == nil {
		d.ClickKeys = keys
	}
	v.Form["type"], v.Form["match"], v.Form["replyMode"] = "text", "exact", "random"
	v.Data = d
	return v, true
}

// summarize is one line of a reply for the list.
func summarize(t reply.ReplyType, c reply.Content) string {
	switch t {
	case reply.TypeText:
		return c.Content
	case reply.TypeImage, reply.TypeVoice:
		return c.MediaID
	case reply.TypeVideo, reply.TypeMusic:
		return c.Title
	case reply.TypeMultitext:
		titles := make([]string, 0, len(c.Articles))
		for _, a := range c.Articles {
			titles = append(titles, a.Title)
		}
		return strings.Join(titles, " / ")
	}
	return ""
}

// contentForm puts a reply's fields into a form's values.
func contentForm(f map[string]string, t reply.ReplyType, c reply.Content) {
	f["type"] = string(t)
	f["content"], f["mediaId"], f["title"], f["description"] = c.Content, c.MediaID, c.Title, c.Description
	f["musicUrl"], f["hqMusicUrl"], f["thumbMediaId"] = c.MusicURL, c.HQMusicURL, c.ThumbMediaID
	if len(c.Articles) > 0 {
		a := c.Articles[0]
		f["title"], f["description"], f["picurl"], f["url"] = a.Title, a.Description, a.PicURL, a.URL
	}
}

func ruleForm(r *reply.Rule) map[string]string {
	f := map[string]string{"request": r.Keyword, "match": string(r.Match)}
	contentForm(f, r.Type, r.Reply)
	return f
}

func specialForm(r *reply.Rule) map[string]string {
	f := map[string]string{"type": "text"}
	if r != nil {
		contentForm(f, r.Type, r.Reply)
	}
	return f
}

// postedForm answers the reply form's fields as posted, trimmed.
func postedForm(c *gin.Context) map[string]string {
	f := map[string]string{}
	for _, k := range replyFormFields {
		f[k] = strings.TrimSpace(c.PostForm(k))
	}
	return f
}

// replyPost is a reply form as posted, typed: the keyword rule's fields and the reply's.
type replyPost struct {
	Request, Match, Type                            string
	Content, MediaID, Title, Description            string
	MusicURL, HQMusicURL, ThumbMediaID, PicURL, URL string
}

// postedReply reads the reply form's fields, trimmed.
func postedReply(f map[string]string) replyPost {
	return replyPost{Request: f["request"], Match: f["match"], Type: f["type"], Content: f["content"],
		MediaID: f["mediaId"], Title: f["title"], Description: f["description"], MusicURL: f["musicUrl"],
		HQMusicURL: f["hqMusicUrl"], ThumbMediaID: f["thumbMediaId"], PicURL: f["picurl"], URL: f["url"]}
}

// typ answers the form's reply type (the select offers exactly the service's types).
func (r replyPost) typ() reply.ReplyType { return reply.ReplyType(r.Type) }

// match answers the form's match mode; the select offers exactly the service's modes.
func (r replyPost) match() reply.MatchMode { return reply.MatchMode(r.Match) }

// content answers the reply of the form's type from its fields; a multitext form holds one article.
func (r replyPost) content() reply.Content {
	switch r.typ() {
	case reply.TypeText:
		return reply.Content{Content: r.Content}
	case reply.TypeImage, reply.TypeVoice:
		return reply.Content{MediaID: r.MediaID}
	case reply.TypeVideo:
		return reply.Content{Title: r.Title, Description: r.Description, MediaID: r.MediaID}
	case reply.TypeMusic:
		return reply.Content{Title: r.Title, Description: r.Description, MusicURL: r.MusicURL,
			HQMusicURL: r.HQMusicURL, ThumbMediaID: r.ThumbMediaID}
	case reply.TypeMultitext:
		return reply.Content{Articles: []reply.Article{{Title: r.Title, Description: r.Description, PicURL: r.PicURL, URL: r.URL}}}
	}
	return reply.Content{}
}

// formErrorIn puts a reply service error next to the form's field: the service's "reply.content" is the
// form's content, "newRequest" its request. An error naming the whole reply goes on its first field.
func formErrorIn(f replyForm, v *View, err error) {
	sub := &View{Errors: map[string]string{}, Lang: v.Lang}
	formError(sub, err)
	for field, msg := range sub.Errors {
		// The service names a reply's fields reply.<field>, with the form's names; several keywords and
		// replies request[i] and replies[i].<field>.
		field = ruleFieldOf(strings.TrimPrefix(field, reply.ReplyField+"."))
		switch field {
		case "newRequest":
			field = "request"
		case "reply", "reply.type":
			if fs := replyFieldsOf[f.Form["type"]]; len(fs) > 0 {
				field = fs[0]
			} else {
				field = "type"
			}
		}
		f.Errors[field] = msg
	}
	if sub.Error != "" {
		v.Error = sub.Error
	}
}

func (p *Pages) replyAdd(c *gin.Context) {
	a := accounts.Current(c)
	f := postedForm(c)
	postedRuleExtras(c, f)
	in := postedReply(f)
	enabled := true
	sched, err := formSchedule(f)
	if err != nil {
		p.ruleFormFailed(c, f, 0, err)
		return
	}
	_, err = p.deps.Replies.Add(c.Request.Context(), a.ID, reply.Input{Type: in.typ(), Content: in.content(),
		Keywords: formKeywords(f), Replies: formReplies(f, reply.Reply{Type: in.typ(), Content: in.content()}),
		Mode: reply.ReplyMode(f["replyMode"]), Schedule: sched, Match: in.match(), Enabled: &enabled})
	if err != nil {
		p.ruleFormFailed(c, f, 0, err)
		return
	}
	p.done(c, backTo(c, withAppID("/console/replies", a)), "replies.added", f["request"])
}

func (p *Pages) replyUpdate(c *gin.Context) {
	a := accounts.Current(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		p.fail(c, reply.ErrNotFound)
		return
	}
	f := postedForm(c)
	postedRuleExtras(c, f)
	in := postedReply(f)
	kw, match, content := in.Request, in.match(), in.content()
	sched, err := formSchedule(f)
	if err != nil {
		p.ruleFormFailed(c, f, id, err)
		return
	}
	mode := reply.ReplyMode(f["replyMode"])
	ch := reply.Changes{Keywords: formKeywords(f), Match: &match, Type: in.typ(), Content: &content, Mode: &mode,
		ActiveFrom: &sched.From, ActiveTo: &sched.To, Hours: &sched.Hours}
	if c.PostForm("keepReplies") == "" {
		// The form holds every reply: they replace the rule's.
		ch.Replies = formReplies(f, reply.Reply{Type: in.typ(), Content: content})
	}
	_, err = p.deps.Replies.Update(c.Request.Context(), a.ID, reply.Selector{ID: id}, ch)
	if err != nil {
		p.ruleFormFailed(c, f, id, err)
		return
	}
	p.done(c, withAppID("/console/replies", a), "replies.updated", kw)
}

// ruleFormFailed shows the page again with the rule form as posted and its errors.
func (p *Pages) ruleFormFailed(c *gin.Context, f map[string]string, editID int64, err error) {
	v, ok := p.repliesView(c)
	if !ok {
		return
	}
	d := v.Data.(*repliesData)
	d.EditID = editID
	d.KeepReplies = c.PostForm("keepReplies") != ""
	v.Form = f
	formErrorIn(replyForm{Form: f, Errors: v.Errors}, v, err)
	p.html(c, statusOf(err), "replies", v)
}

func (p *Pages) replyEnable(c *gin.Context) {
	a := accounts.Current(c)
	back := withAppID("/console/replies", a)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		p.failed(c, back, reply.ErrNotFound)
		return
	}
	on := c.PostForm("enabled") == "true"
	r, err := p.deps.Replies.SetEnabled(c.Request.Context(), a.ID, reply.Selector{ID: id}, on)
	if err != nil {
		p.failed(c, back, err)
		return
	}
	key := "replies.disabled"
	if on {
		key = "replies.enabled"
	}
	p.done(c, back, key, r.Keyword)
}

func (p *Pages) replyDelete(c *gin.Context) {
	a := accounts.Current(c)
	back := withAppID("/console/replies", a)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		p.failed(c, back, reply.ErrNotFound)
		return
	}
	if err := p.deps.Replies.Delete(c.Request.Context(), a.ID, reply.Selector{ID: id}); err != nil {
		p.failed(c, back, err)
		return
	}
	p.done(c, back, "replies.deleted")
}

// replySpecial sets or clears (clear=1) the subscribe or the default reply.
func (p *Pages) replySpecial(c *gin.Context) {
	a := accounts.Current(c)
	kind := reply.Kind(c.Param("kind"))
	if kind != reply.KindSubscribe && kind != reply.KindDefault {
		p.fail(c, reply.ErrNotFound)
		return
	}
	f := postedForm(c)
	in := postedReply(f)
	typ, content := in.typ(), in.content()
	if c.PostForm("clear") != "" {
		typ, content = "", reply.Content{}
	}
	r, err := p.deps.Replies.SetSpecial(c.Request.Context(), a.ID, kind, typ, content)
	if err != nil {
		v, ok := p.repliesView(c)
		if !ok {
			return
		}
		d := v.Data.(*repliesData)
		form := &d.Subscribe
		if kind == reply.KindDefault {
			form = &d.Default
		}
		form.Form = f
		formErrorIn(*form, v, err)
		p.html(c, statusOf(err), "replies", v)
		return
	}
	key := "replies." + string(kind) + ".saved"
	if r == nil {
		key = "replies." + string(kind) + ".cleared"
	}
	p.done(c, withAppID("/console/replies", a)+"#"+string(kind), key)
}

// Package replyapi is the JSON API of keyword replies (contract §6): the spec's lenient input (aliases,
// the {type, content} wrapper, "vedio", a reply as JSON text in a form field or as top-level form fields)
// decoded once into the typed values the reply service takes. The service and its matcher do not depend on
// it, nor on any HTTP package.
package replyapi

import (
	"encoding/json"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/reply/replywire"
)

// Handler serves /apis/wxreplymanage.
type Handler struct {
	Service *reply.Service
}

// NewHandler builds the handler.
func NewHandler(s *reply.Service) *Handler { return &Handler{Service: s} }

// Routes mounts the endpoints on a scoped group (RequireAuth, LimitBody and accounts.Scope):
//
//	addReply {type, reply, request, match?, enabled?}          → {id, rule}
//	deleteReply {request} or {id}                              → {}
//	listReply                                                  → [{id, type, reply, request, match, enabled, hits, lastHitAt}]
//
// Contract §20: request may be an array of up to 10 keywords; replies [{type, reply}] (up to 5) replaces
// type and reply, with replyMode random|all; activeFrom and activeTo (YYYY-MM-DD) and hours (HH:MM-HH:MM) in
// TIMEZONE bound when the rule answers.
//
//	updateReply {id, request?, …} or {request, newRequest?, …} → {rule}; fields: type, reply, match, enabled
//	enableReply {id | request, enabled}                        → {rule}
//	setSubscribeReply {type, reply} / setDefaultReply          → {subscribe} / {default}; an empty body clears
//	getSpecialReplies                                          → {subscribe, default}, null when unset
//
// Where reply is absent, its fields are read from the top level of the body (content, mediaId, title, …),
// as an HTML form sends them.
func (h *Handler) Routes(g httpapi.Group) {
	g.WriteJSON("/addReply", h.add)
	g.WriteJSON("/deleteReply", h.delete)
	g.ReadJSON("/listReply", h.list)
	g.WriteJSON("/updateReply", h.update)
	g.WriteJSON("/enableReply", h.enable)
	g.WriteJSON("/setSubscribeReply", h.setSpecial(reply.KindSubscribe))
	g.WriteJSON("/setDefaultReply", h.setSpecial(reply.KindDefault))
	g.ReadJSON("/getSpecialReplies", h.specials)
}

// replyFields are the fields a reply has, which a form sends at the top level.
var replyFields = []string{"content", "mediaId", "title", "description", "musicUrl", "hqMusicUrl",
	"thumbMediaId", "picurl", "picUrl", "url"}

// replyOf answers the body's reply: the reply field (an object, an array, or JSON text in a form field),
// else the reply fields found at the top level, else nil.
func replyOf(b *httpapi.Body) (json.RawMessage, error) {
	raw, err := b.JSON("reply")
	if err != nil || raw != nil {
		return raw, err
	}
	top := map[string]any{}
	for _, k := range replyFields {
		if b.Has(k) {
			top[k] = b.Fields()[k]
		}
	}
	if len(top) == 0 {
		return nil, nil
	}
	return json.Marshal(top)
}

// optionalBool reads a boolean field that may be absent.
func optionalBool(b *httpapi.Body, key string) (*bool, error) {
	v, ok, err := b.Bool(key)
	if err != nil || !ok {
		return nil, err
	}
	return &v, nil
}

// rules reads the fields of contract §20 a rule may have: replies, replyMode, activeFrom, activeTo and
// hours, into in (addReply) or ch (updateReply).
type extras struct {
	replies  []reply.Reply
	mode     *reply.ReplyMode
	from, to *reply.Date
	hours    *reply.Hours
}

func readExtras(b *httpapi.Body) (extras, error) {
	var x extras
	raw, err := b.JSON("replies")
	if err != nil {
		return x, err
	}
	if x.replies, err = replywire.Replies(raw); err != nil {
		return x, err
	}
	if b.Has("replyMode") {
		m, err := replywire.ReplyMode(b.Str("replyMode"))
		if err != nil {
			return x, err
		}
		x.mode = &m
	}
	for _, f := range []struct {
		key string
		dst **reply.Date
	}{{"activeFrom", &x.from}, {"activeTo", &x.to}} {
		if !b.Has(f.key) {
			continue
		}
		s, err := b.String(f.key)
		if err != nil {
			return x, err
		}
		d, err := reply.ParseDate(f.key, s)
		if err != nil {
			return x, err
		}
		*f.dst = &d
	}
	if b.Has("hours") {
		s, err := b.String("hours")
		if err != nil {
			return x, err
		}
		h, err := reply.ParseHours("hours", s)
		if err != nil {
			return x, err
		}
		x.hours = &h
	}
	return x, nil
}

// selector reads {id} or {request}.
func selector(b *httpapi.Body) (reply.Selector, error) {
	id, hasID, err := b.Int("id")
	if err != nil {
		return reply.Selector{}, err
	}
	if hasID && id <= 0 {
		return reply.Selector{}, apperr.Invalidf("id", "must be a positive integer").WithKey("err.field.positive", "id")
	}
	kws, _, err := replywire.Keywords(b.Fields()["request"])
	if err != nil {
		return reply.Selector{}, err
	}
	sel := reply.Selector{ID: id}
	if len(kws) > 0 {
		// A rule is named by any one of its keywords: the first of an array.
		sel.Request = kws[0]
	}
	return sel, nil
}

func (h *Handler) add(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	raw, err := replyOf(b)
	if err != nil {
		return nil, err
	}
	enabled, err := optionalBool(b, "enabled")
	if err != nil {
		return nil, err
	}
	typ, err := b.String("type")
	if err != nil {
		return nil, err
	}
	match, err := replywire.ParseMatch(b.Str("match"))
	if err != nil {
		return nil, err
	}
	kws, many, err := replywire.Keywords(b.Fields()["request"])
	if err != nil {
		return nil, err
	}
	x, err := readExtras(b)
	if err != nil {
		return nil, err
	}
	in := reply.Input{Match: match, Enabled: enabled, Replies: x.replies}
	if many {
		in.Keywords = kws
	} else if len(kws) == 1 {
		in.Request = kws[0]
	}
	if len(x.replies) == 0 {
		if in.Type, in.Content, err = replywire.Decode(typ, "", raw, reply.MaxArticlesMessage); err != nil {
			return nil, err
		}
	}
	if x.mode != nil {
		in.Mode = *x.mode
	}
	if x.from != nil {
		in.Schedule.From = *x.from
	}
	if x.to != nil {
		in.Schedule.To = *x.to
	}
	if x.hours != nil {
		in.Schedule.Hours = *x.hours
	}
	r, err := h.Service.Add(req.Ctx, a.ID, in)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"id": r.ID, "rule": r.View()}, nil
}

func (h *Handler) delete(req *httpapi.Request) (httpapi.Answer, error) {
	sel, err := selector(req.Body)
	if err != nil {
		return nil, err
	}
	return nil, h.Service.Delete(req.Ctx, req.Account.ID, sel)
}

func (h *Handler) list(req *httpapi.Request) (httpapi.Answer, error) {
	rules, err := h.Service.List(req.Ctx, req.Account.ID)
	if err != nil {
		return nil, err
	}
	views := make([]reply.ListedRule, len(rules))
	for i, r := range rules {
		views[i] = r.ListView()
	}
	return httpapi.List(views), nil
}

func (h *Handler) update(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	sel, err := selector(b)
	if err != nil {
		return nil, err
	}
	var ch reply.Changes
	// With an id, request is the new keyword; without one, request names the rule and newRequest renames it.
	if sel.ID != 0 {
		if b.Has("request") {
			kws, many, err := replywire.Keywords(b.Fields()["request"])
			if err != nil {
				return nil, err
			}
			switch {
			case many:
				ch.Keywords = kws
			case len(kws) == 1:
				ch.Request = &kws[0]
			default:
				ch.Request = new(string)
			}
		}
		sel.Request = ""
	} else if b.Has("newRequest") {
		kws, many, err := replywire.Keywords(b.Fields()["newRequest"])
		if err != nil {
			return nil, reply.RenameField(err, "request", "newRequest")
		}
		switch {
		case many:
			ch.Keywords = kws
		case len(kws) == 1:
			ch.Request = &kws[0]
		default:
			ch.Request = new(string)
		}
	}
	x, err := readExtras(b)
	if err != nil {
		return nil, err
	}
	ch.Replies, ch.Mode, ch.ActiveFrom, ch.ActiveTo, ch.Hours = x.replies, x.mode, x.from, x.to, x.hours
	if b.Has("match") {
		m, err := replywire.ParseMatch(b.Str("match"))
		if err != nil {
			return nil, err
		}
		ch.Match = &m
	}
	typ, err := b.String("type")
	if err != nil {
		return nil, err
	}
	if typ != "" {
		t, ok := replywire.ParseType(typ)
		if !ok {
			return nil, reply.ErrBadType
		}
		ch.Type = t
	}
	raw, err := replyOf(b)
	if err != nil {
		return nil, err
	}
	if ch.Enabled, err = optionalBool(b, "enabled"); err != nil {
		return nil, err
	}
	if len(raw) > 0 {
		// A reply without a type of its own keeps the rule's: its fields are read as that type's.
		fallback := ch.Type
		if fallback == "" {
			cur, err := h.Service.Get(req.Ctx, a.ID, sel)
			if err != nil {
				return nil, err
			}
			fallback = cur.Type
		}
		t, c, err := replywire.Decode(typ, fallback, raw, reply.MaxArticlesMessage)
		if err != nil {
			return nil, err
		}
		ch.Type, ch.Content = t, &c
	}
	r, err := h.Service.Update(req.Ctx, a.ID, sel, ch)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"rule": r.View()}, nil
}

func (h *Handler) enable(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	sel, err := selector(b)
	if err != nil {
		return nil, err
	}
	enabled, err := optionalBool(b, "enabled")
	if err != nil {
		return nil, err
	}
	if enabled == nil {
		return nil, apperr.Missing("enabled")
	}
	r, err := h.Service.SetEnabled(req.Ctx, a.ID, sel, *enabled)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"rule": r.View()}, nil
}

func (h *Handler) setSpecial(kind reply.Kind) httpapi.Endpoint {
	maxArticles := reply.MaxArticlesMessage
	if kind == reply.KindSubscribe {
		maxArticles = reply.MaxArticlesEvent
	}
	return func(req *httpapi.Request) (httpapi.Answer, error) {
		b, a := req.Body, req.Account
		typ, err := b.String("type")
		if err != nil {
			return nil, err
		}
		raw, err := replyOf(b)
		if err != nil {
			return nil, err
		}
		var t reply.ReplyType
		var c reply.Content
		// An empty type and reply clear it.
		if strings.TrimSpace(typ) != "" || len(strings.TrimSpace(string(raw))) > 0 {
			if t, c, err = replywire.Decode(typ, "", raw, maxArticles); err != nil {
				return nil, err
			}
		}
		r, err := h.Service.SetSpecial(req.Ctx, a.ID, kind, t, c)
		if err != nil {
			return nil, err
		}
		return httpapi.Fields{string(kind): r.SpecialView()}, nil
	}
}

func (h *Handler) specials(req *httpapi.Request) (httpapi.Answer, error) {
	sub, def, err := h.Service.Specials(req.Ctx, req.Account.ID)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"subscribe": sub.SpecialView(), "default": def.SpecialView()}, nil
}

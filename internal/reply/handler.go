package reply

import (
	"encoding/json"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// Handler serves /apis/wxreplymanage (contract §6).
type Handler struct {
	Service *Service
}

// Routes mounts the endpoints on a group that already runs RequireAuth, LimitBody and accounts.Scope:
//
//	addReply {type, reply, request, match?, enabled?}          → {id, rule}
//	deleteReply {request} or {id}                              → {}
//	listReply                                                  → [{id, type, reply, request, match, enabled}]
//	updateReply {id, request?, …} or {request, newRequest?, …} → {rule}; fields: type, reply, match, enabled
//	enableReply {id | request, enabled}                        → {rule}
//	setSubscribeReply {type, reply} / setDefaultReply          → {subscribe} / {default}; an empty body clears
//	getSpecialReplies                                          → {subscribe, default}, null when unset
//
// Where reply is absent, its fields are read from the top level of the body (content, mediaId, title, …),
// as an HTML form sends them.
func (h *Handler) Routes(g httpapi.Group) {
	g.Write("/addReply", h.add)
	g.Write("/deleteReply", h.delete)
	g.Read("/listReply", h.list)
	g.Write("/updateReply", h.update)
	g.Write("/enableReply", h.enable)
	g.Write("/setSubscribeReply", h.setSpecial(KindSubscribe))
	g.Write("/setDefaultReply", h.setSpecial(KindDefault))
	g.Read("/getSpecialReplies", h.specials)
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

// selector reads {id} or {request}.
func selector(b *httpapi.Body) (Selector, error) {
	id, hasID, err := b.Int("id")
	if err != nil {
		return Selector{}, err
	}
	if hasID && id <= 0 {
		return Selector{}, apperr.Invalidf("id", "must be a positive integer")
	}
	return Selector{ID: id, Request: b.Str("request")}, nil
}

func (h *Handler) add(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	raw, err := replyOf(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	enabled, err := optionalBool(b, "enabled")
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	typ, err := b.String("type")
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	r, err := h.Service.Add(c.Request.Context(), a.ID, Input{Type: typ, Reply: raw, Request: b.Str("request"),
		Match: b.Str("match"), Enabled: enabled})
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"id": r.ID, "rule": r.View()})
}

func (h *Handler) delete(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	sel, err := selector(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	if err := h.Service.Delete(c.Request.Context(), a.ID, sel); err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, nil)
}

func (h *Handler) list(c *gin.Context) {
	_, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	rules, err := h.Service.List(c.Request.Context(), a.ID)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	views := make([]RuleView, len(rules))
	for i, r := range rules {
		views[i] = r.View()
	}
	httpapi.Array(c, views)
}

func (h *Handler) update(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	sel, err := selector(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	var ch Changes
	// With an id, request is the new keyword; without one, request names the rule and newRequest renames it.
	if sel.ID != 0 {
		if b.Has("request") {
			kw := b.Str("request")
			ch.Request = &kw
		}
		sel.Request = ""
	} else if b.Has("newRequest") {
		kw := b.Str("newRequest")
		ch.Request = &kw
	}
	if b.Has("match") {
		m := b.Str("match")
		ch.Match = &m
	}
	if ch.Type, err = b.String("type"); err != nil {
		httpapi.Fail(c, err)
		return
	}
	if ch.Reply, err = replyOf(b); err != nil {
		httpapi.Fail(c, err)
		return
	}
	if ch.Enabled, err = optionalBool(b, "enabled"); err != nil {
		httpapi.Fail(c, err)
		return
	}
	r, err := h.Service.Update(c.Request.Context(), a.ID, sel, ch)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"rule": r.View()})
}

func (h *Handler) enable(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	sel, err := selector(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	enabled, err := optionalBool(b, "enabled")
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	if enabled == nil {
		httpapi.Fail(c, apperr.Missing("enabled"))
		return
	}
	r, err := h.Service.SetEnabled(c.Request.Context(), a.ID, sel, *enabled)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"rule": r.View()})
}

func (h *Handler) setSpecial(kind Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		b, a, ok := accounts.Request(c)
		if !ok {
			return
		}
		typ, err := b.String("type")
		if err != nil {
			httpapi.Fail(c, err)
			return
		}
		raw, err := replyOf(b)
		if err != nil {
			httpapi.Fail(c, err)
			return
		}
		r, err := h.Service.SetSpecial(c.Request.Context(), a.ID, kind, strings.TrimSpace(typ), raw)
		if err != nil {
			httpapi.Fail(c, err)
			return
		}
		httpapi.OK(c, gin.H{string(kind): r.SpecialView()})
	}
}

func (h *Handler) specials(c *gin.Context) {
	_, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	sub, def, err := h.Service.Specials(c.Request.Context(), a.ID)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"subscribe": sub.SpecialView(), "default": def.SpecialView()})
}

package menu

import (
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// Handler serves the custom menu endpoints of contract §13.
type Handler struct {
	Service *Service
}

// NewHandler builds the handler.
func NewHandler(s *Service) *Handler { return &Handler{Service: s} }

// Routes mounts getMenu, saveMenu, publishMenu, deleteMenu, importMenu and menuHistory on the
// /apis/wxplatform group, which must run httpapi.RequireAuth, the 1 MB body limit and accounts.Scope
// before them.
func (h *Handler) Routes(g httpapi.Group) {
	g.ReadJSON("/getMenu", h.getMenu)
	g.WriteJSON("/saveMenu", h.saveMenu)
	g.WriteJSON("/publishMenu", h.publishMenu)
	g.WriteJSON("/deleteMenu", h.deleteMenu)
	g.WriteJSON("/importMenu", h.importMenu)
	g.ReadJSON("/menuHistory", h.menuHistory)
	g.WriteJSON("/saveConditionalMenu", h.saveConditional)
	g.WriteJSON("/deleteConditionalMenu", h.deleteConditional)
	g.ReadJSON("/previewMenu", h.previewMenu)
	g.ReadJSON("/tryMatchMenu", h.tryMatchMenu)
}

// menuField reads the menu of saveMenu and publishMenu: {"menu": {"button": [...]}}, the menu as a JSON
// string in a form field, or the menu's own {"button": [...]} at the top of the body. present is false
// when the body carries no menu at all.
func menuField(b *httpapi.Body) (m Menu, present bool, err error) {
	raw, err := b.JSON("menu")
	if err != nil {
		return Menu{}, true, err
	}
	if raw == nil && b.Has("button") {
		buttons, err := b.JSON("button")
		if err != nil {
			return Menu{}, true, err
		}
		raw, _ = json.Marshal(map[string]json.RawMessage{"button": buttons})
	}
	if raw == nil {
		return Menu{}, false, nil
	}
	m, err = Parse(raw)
	return m, true, err
}

func stateH(st State) gin.H {
	return gin.H{"menu": st.Menu, "published": st.Published, "updatedAt": st.UpdatedAt, "updatedBy": st.UpdatedBy,
		"publishedAt": st.PublishedAt, "publishedBy": st.PublishedBy}
}

func (h *Handler) getMenu(req *httpapi.Request) (httpapi.Answer, error) {
	a := req.Account
	st, err := h.Service.Get(req.Ctx, a)
	if err != nil {
		return nil, err
	}
	conds, err := h.Service.Conditionals(req.Ctx, a)
	if err != nil {
		return nil, err
	}
	out := stateH(st)
	out["conditional"] = conds
	return httpapi.Fields(out), nil
}

// saveConditional publishes {menu, matchrule} with menu/addconditional.
func (h *Handler) saveConditional(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	m, present, err := menuField(b)
	if err != nil {
		return nil, err
	}
	if !present {
		return nil, apperr.Missing("menu")
	}
	raw, err := b.JSON("matchrule")
	if err != nil {
		return nil, err
	}
	rule, err := ParseMatchRule(raw)
	if err != nil {
		return nil, err
	}
	c, err := h.Service.SaveConditional(req.Ctx, a, req.UserID(), m, rule)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"menuId": c.MenuID, "conditional": c}, nil
}

func (h *Handler) deleteConditional(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	id, err := b.String("menuId")
	if err != nil {
		return nil, err
	}
	if id == "" {
		id = b.Str("menuid")
	}
	if err := h.Service.DeleteConditional(req.Ctx, a, req.UserID(), id); err != nil {
		return nil, err
	}
	return nil, nil
}

// previewMenu answers the menu a follower with the given tags (tagId or tagIds) on a platform sees, as
// menu/trymatch would, computed from the console's records: {menu, menuId} (menuId "" for the default).
func (h *Handler) previewMenu(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	var tags []int
	if tag, ok, err := b.Int("tagId"); err != nil {
		return nil, err
	} else if ok {
		tags = append(tags, int(tag))
	}
	if raw, err := b.JSON("tagIds"); err != nil {
		return nil, err
	} else if raw != nil {
		var ids []int
		if err := json.Unmarshal(raw, &ids); err != nil {
			return nil, apperr.Invalidf("tagIds", "must be an array of tag ids").WithKey("err.field.tag_ids", "tagIds")
		}
		tags = append(tags, ids...)
	}
	platform, err := b.IntBetween("clientPlatformType", 0, 0, PlatformOthers)
	if err != nil {
		return nil, err
	}
	m, id, err := h.Service.Preview(req.Ctx, a, tags, int(platform))
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"menu": m, "menuId": id}, nil
}

// tryMatchMenu asks WeChat (menu/trymatch) which menu the follower userId sees.
func (h *Handler) tryMatchMenu(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	user := b.Str("userId")
	if user == "" {
		user = b.Str("openid")
	}
	m, err := h.Service.TryMatch(req.Ctx, a, user)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"menu": m}, nil
}

func (h *Handler) saveMenu(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	m, present, err := menuField(b)
	if err != nil {
		return nil, err
	}
	if !present {
		return nil, apperr.Missing("menu")
	}
	st, err := h.Service.Save(req.Ctx, a, req.UserID(), m)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields(stateH(st)), nil
}

// publishMenu publishes the draft; with a menu in the body it saves that as the draft and publishes it in
// one step, so a form can save and publish at once.
func (h *Handler) publishMenu(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	m, present, err := menuField(b)
	if err != nil {
		return nil, err
	}
	var st State
	if present {
		st, err = h.Service.SaveAndPublish(req.Ctx, a, req.UserID(), m)
	} else {
		st, err = h.Service.Publish(req.Ctx, a, req.UserID())
	}
	if err != nil {
		return nil, err
	}
	return httpapi.Fields(stateH(st)), nil
}

func (h *Handler) deleteMenu(req *httpapi.Request) (httpapi.Answer, error) {
	a := req.Account
	st, err := h.Service.Delete(req.Ctx, a, req.UserID())
	if err != nil {
		return nil, err
	}
	return httpapi.Fields(stateH(st)), nil
}

func (h *Handler) importMenu(req *httpapi.Request) (httpapi.Answer, error) {
	a := req.Account
	st, warnings, err := h.Service.Import(req.Ctx, a, req.UserID())
	if err != nil {
		return nil, err
	}
	out := stateH(st)
	out["warnings"] = warnings
	return httpapi.Fields(out), nil
}

func (h *Handler) menuHistory(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	limit, given, err := b.Int("limit")
	if err != nil {
		return nil, err
	}
	if given && (limit < 1 || limit > MaxHistoryLimit) {
		return nil, apperr.Invalidf("limit", "must be between 1 and %d", MaxHistoryLimit).WithKey("err.field.between", "limit", 1, MaxHistoryLimit)
	}
	entries, err := h.Service.History(req.Ctx, a, int(limit))
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"history": entries}, nil
}

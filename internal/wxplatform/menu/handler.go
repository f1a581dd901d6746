package menu

import (
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
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
	g.Read("/getMenu", h.getMenu)
	g.Write("/saveMenu", h.saveMenu)
	g.Write("/publishMenu", h.publishMenu)
	g.Write("/deleteMenu", h.deleteMenu)
	g.Write("/importMenu", h.importMenu)
	g.Read("/menuHistory", h.menuHistory)
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

func (h *Handler) getMenu(c *gin.Context) {
	_, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	st, err := h.Service.Get(c.Request.Context(), a)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, stateH(st))
}

func (h *Handler) saveMenu(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	m, present, err := menuField(b)
	if err == nil && !present {
		err = apperr.Missing("menu")
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	st, err := h.Service.Save(c.Request.Context(), a, httpapi.UserID(c), m)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, stateH(st))
}

// publishMenu publishes the draft; with a menu in the body it saves that as the draft and publishes it in
// one step, so a form can save and publish at once.
func (h *Handler) publishMenu(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	m, present, err := menuField(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	var st State
	if present {
		st, err = h.Service.SaveAndPublish(c.Request.Context(), a, httpapi.UserID(c), m)
	} else {
		st, err = h.Service.Publish(c.Request.Context(), a, httpapi.UserID(c))
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, stateH(st))
}

func (h *Handler) deleteMenu(c *gin.Context) {
	_, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	st, err := h.Service.Delete(c.Request.Context(), a, httpapi.UserID(c))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, stateH(st))
}

func (h *Handler) importMenu(c *gin.Context) {
	_, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	st, warnings, err := h.Service.Import(c.Request.Context(), a, httpapi.UserID(c))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	out := stateH(st)
	out["warnings"] = warnings
	httpapi.OK(c, out)
}

func (h *Handler) menuHistory(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	limit, given, err := b.Int("limit")
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	if given && (limit < 1 || limit > MaxHistoryLimit) {
		httpapi.Fail(c, apperr.Invalidf("limit", "must be between 1 and %d", MaxHistoryLimit))
		return
	}
	entries, err := h.Service.History(c.Request.Context(), a, int(limit))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"history": entries})
}

package accounts

import (
	"encoding/json"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// Scope resolves the account an API call acts on (the optional appid in query or body) and keeps it for
// the handler; see Current. It must run after httpapi.RequireAuth.
func Scope(s *Service) gin.HandlerFunc {
	return func(c *gin.Context) {
		b, err := httpapi.Bind(c)
		if err != nil {
			httpapi.Fail(c, err)
			return
		}
		a, role, err := s.ResolveRole(c.Request.Context(), httpapi.UserID(c), strings.TrimSpace(b.Str("appid")))
		if err != nil {
			httpapi.Fail(c, err)
			return
		}
		if a.Status == StatusRevoked {
			httpapi.Fail(c, ErrRevoked)
			return
		}
		// The role goes with the account: the group's Authorize hook compares it with the route's.
		c.Request = c.Request.WithContext(domain.WithRole(domain.WithAccount(c.Request.Context(), a), role))
		c.Next()
	}
}

// Current answers the account chosen by Scope (or the pages' account picker): domain.AccountFrom of the
// request's context, nil when there is none.
func Current(c *gin.Context) *Account {
	a, _ := domain.AccountFrom(c.Request.Context())
	return a
}

// Handler serves the binding endpoints of contract §4.
type Handler struct {
	Service *Service
}

// NewHandler builds the handler.
func NewHandler(s *Service) *Handler { return &Handler{Service: s} }

// Routes mounts authorize, account, unauthorize, setJsDomains and rotateMsdkKey on an authenticated
// /apis/wxplatform group.
func (h *Handler) Routes(g httpapi.Group) {
	g.WriteJSON("/authorize", h.authorize)
	g.ReadJSON("/account", h.account)
	// Contract §14: unbinding and rotating keys are the owner's; the account's settings an admin's.
	g.WriteJSON("/unauthorize", h.unauthorize, httpapi.MinRole(domain.RoleOwner))
	g.WriteJSON("/setJsDomains", h.setJSDomains, httpapi.MinRole(domain.RoleAdmin))
	g.WriteJSON("/rotateMsdkKey", h.rotateMsdkKey, httpapi.MinRole(domain.RoleOwner))
}

func (h *Handler) authorize(req *httpapi.Request) (httpapi.Answer, error) {
	b := req.Body
	in := BindInput{AppID: b.Str("appid"), Secret: b.Str("secret"), Token: b.Str("token"),
		EncodingAESKey: b.Str("encodingAESKey"), Name: b.Str("name")}
	a, err := h.Service.Bind(req.Ctx, req.UserID(), in)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"appid": a.AppID, "callbackUrl": h.Service.CallbackURL(a.AppID), "msdkKey": a.MsdkKey}, nil
}

func (h *Handler) account(req *httpapi.Request) (httpapi.Answer, error) {
	views, err := h.Service.Views(req.Ctx, req.UserID())
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"accounts": views}, nil
}

func (h *Handler) unauthorize(req *httpapi.Request) (httpapi.Answer, error) {
	b := req.Body
	appid := strings.TrimSpace(b.Str("appid"))
	if appid == "" {
		return nil, apperr.Missing("appid")
	}
	if err := h.Service.Unbind(req.Ctx, req.UserID(), appid); err != nil {
		return nil, err
	}
	return nil, nil
}

func (h *Handler) setJSDomains(req *httpapi.Request) (httpapi.Answer, error) {
	b := req.Body
	domains, err := stringList(b, "jsDomains")
	if err != nil {
		return nil, err
	}
	a, err := h.Service.SetJSDomains(req.Ctx, req.UserID(), strings.TrimSpace(b.Str("appid")), domains)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"appid": a.AppID, "jsDomains": a.JSDomains}, nil
}

func (h *Handler) rotateMsdkKey(req *httpapi.Request) (httpapi.Answer, error) {
	b := req.Body
	a, err := h.Service.RotateMsdkKey(req.Ctx, req.UserID(), strings.TrimSpace(b.Str("appid")))
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"appid": a.AppID, "msdkKey": a.MsdkKey}, nil
}

// stringList reads a list sent as a JSON array, a JSON string holding an array, or text separated by
// commas, spaces or new lines (a form's textarea).
func stringList(b *httpapi.Body, key string) ([]string, error) {
	raw, err := b.JSON(key)
	if err != nil || raw == nil {
		return []string{}, err
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list, nil
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }), nil
	}
	return nil, apperr.Invalidf(key, "must be a list of host names").WithKey("accounts.err.domain_list", key)
}

// Request answers the decoded body and the account accounts.Scope chose, for a handler behind Scope; ok
// is false once it has answered the failure itself.
//
// Deprecated: register the handler as an httpapi.Endpoint (Group.ReadJSON/WriteJSON on a Scoped group),
// which receives both in httpapi.Request.
func Request(c *gin.Context) (*httpapi.Body, *Account, bool) {
	b, err := httpapi.Bind(c)
	if err != nil {
		httpapi.Fail(c, err)
		return nil, nil, false
	}
	a := Current(c)
	if a == nil {
		httpapi.Fail(c, ErrNoAccount)
		return nil, nil, false
	}
	return b, a, true
}

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
		a, err := s.Resolve(c.Request.Context(), httpapi.UserID(c), strings.TrimSpace(b.Str("appid")))
		if err != nil {
			httpapi.Fail(c, err)
			return
		}
		c.Request = c.Request.WithContext(domain.WithAccount(c.Request.Context(), a))
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

// Routes mounts authorize, account, unauthorize, setJsDomains and rotateMsdkKey on an authenticated
// /apis/wxplatform group.
func (h *Handler) Routes(g httpapi.Group) {
	g.Write("/authorize", h.authorize)
	g.Read("/account", h.account)
	g.Write("/unauthorize", h.unauthorize)
	g.Write("/setJsDomains", h.setJSDomains)
	g.Write("/rotateMsdkKey", h.rotateMsdkKey)
}

func (h *Handler) authorize(c *gin.Context) {
	b, err := httpapi.Bind(c)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	in := BindInput{AppID: b.Str("appid"), Secret: b.Str("secret"), Token: b.Str("token"),
		EncodingAESKey: b.Str("encodingAESKey"), Name: b.Str("name")}
	a, err := h.Service.Bind(c.Request.Context(), httpapi.UserID(c), in)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"appid": a.AppID, "callbackUrl": h.Service.CallbackURL(a.AppID), "msdkKey": a.MsdkKey})
}

func (h *Handler) account(c *gin.Context) {
	views, err := h.Service.Views(c.Request.Context(), httpapi.UserID(c))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"accounts": views})
}

func (h *Handler) unauthorize(c *gin.Context) {
	b, err := httpapi.Bind(c)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	appid := strings.TrimSpace(b.Str("appid"))
	if appid == "" {
		httpapi.Fail(c, apperr.Missing("appid"))
		return
	}
	if err := h.Service.Unbind(c.Request.Context(), httpapi.UserID(c), appid); err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, nil)
}

func (h *Handler) setJSDomains(c *gin.Context) {
	b, err := httpapi.Bind(c)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	domains, err := stringList(b, "jsDomains")
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	a, err := h.Service.SetJSDomains(c.Request.Context(), httpapi.UserID(c), strings.TrimSpace(b.Str("appid")), domains)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"appid": a.AppID, "jsDomains": a.JSDomains})
}

func (h *Handler) rotateMsdkKey(c *gin.Context) {
	b, err := httpapi.Bind(c)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	a, err := h.Service.RotateMsdkKey(c.Request.Context(), httpapi.UserID(c), strings.TrimSpace(b.Str("appid")))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"appid": a.AppID, "msdkKey": a.MsdkKey})
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
	return nil, apperr.Invalidf(key, "must be a list of host names")
}

// Request answers the decoded body and the account accounts.Scope chose, for a handler behind Scope; ok
// is false once it has answered the failure itself.
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

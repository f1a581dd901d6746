package jssdk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// Tickets answers an account's jsapi_ticket, shared through Postgres like its access_token;
// *wxclient.Client implements it.
type Tickets interface {
	JSAPITicket(ctx context.Context, appid string) (string, error)
}

var _ Tickets = (*wxclient.Client)(nil)

// Accounts finds the account a signature is for; *accounts.Service implements it.
type Accounts interface {
	// Resolve answers the operator's account (appid optional: their first one).
	Resolve(ctx context.Context, userID int64, appid string) (*accounts.Account, error)
	// ByAppID answers any bound account, for calls without an access_token.
	ByAppID(ctx context.Context, appid string) (*accounts.Account, error)
}

var _ Accounts = (*accounts.Service)(nil)

// Errors of the package.
var (
	ErrUnknownAppID = apperr.New(apperr.NotFound, "appid: no official account with this appid is bound here").WithKey("accounts.err.unknown_appid")
)

// Config is what the page passes to wx.config (with jsApiList).
type Config struct {
	AppID     string `json:"appid"`
	NonceStr  string `json:"nonceStr"`
	Timestamp int64  `json:"timestamp"`
	Signature string `json:"signature"`
	URL       string `json:"url"` // the URL signed: the page URL without its fragment
}

// Handler serves jsticket.
type Handler struct {
	Tickets  Tickets
	Accounts Accounts
	// RequireAuth is the API's token middleware (httpapi.RequireAuth with the console's authenticator and
	// cross-origin protection). jsticket runs it when the request carries a token.
	RequireAuth gin.HandlerFunc
	// Now is the clock of the signature's timestamp (default time.Now).
	Now func() time.Time
}

// PublicRoutes mounts GET and POST /apis/wxplatform/jsticket on the engine itself, outside the
// authenticated /apis/wxplatform group (Gin allows both: the paths differ). The route carries its own
// middleware: the 1 MB body limit, and RequireAuth only when a token is present (OptionalAuth). Without
// a token the signature is given only for an appid whose JS domains hold the url's host, and the answer
// carries CORS headers for an Origin among those domains, so the account's pages can call it directly.
func (h *Handler) PublicRoutes(r gin.IRouter) {
	httpapi.Group{IRouter: r}.ReadJSON("/apis/wxplatform/jsticket", h.jsticket,
		httpapi.Before(httpapi.LimitBody(httpapi.MaxBodyBytes), OptionalAuth(h.RequireAuth)))
	r.OPTIONS("/apis/wxplatform/jsticket", preflight)
}

// OptionalAuth runs required (RequireAuth) when the request carries a token (query, bearer or cookie),
// and lets the request through unauthenticated otherwise. A token that does not authenticate is still
// refused (40100): a caller who sent one meant to use it.
func OptionalAuth(required gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, src := httpapi.TokenFrom(c.Request); src == httpapi.NoToken || required == nil {
			c.Next()
			return
		}
		required(c) // calls c.Next() itself on success
	}
}

func (h *Handler) jsticket(req *httpapi.Request) (httpapi.Answer, error) {
	cfg, err := h.sign(req)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"appid": cfg.AppID, "nonceStr": cfg.NonceStr, "timestamp": cfg.Timestamp,
		"signature": cfg.Signature, "url": cfg.URL}, nil
}

func (h *Handler) sign(req *httpapi.Request) (Config, error) {
	b := req.Body
	appid, err := b.String("appid")
	if err != nil {
		return Config{}, err
	}
	appid = strings.TrimSpace(appid)
	rawURL, err := b.String("url")
	if err != nil {
		return Config{}, err
	}
	pageURL, host, err := PageURL(rawURL)
	if err != nil {
		return Config{}, err
	}
	ctx := req.Ctx
	var a *accounts.Account
	if p, ok := domain.PrincipalFrom(ctx); ok {
		if a, err = h.Accounts.Resolve(ctx, p.UserID, appid); err != nil {
			return Config{}, err
		}
	} else {
		if appid == "" {
			return Config{}, apperr.Invalidf("appid", "is required without an access_token").WithKey("jssdk.err.appid", "appid")
		}
		a, err = h.Accounts.ByAppID(ctx, appid)
		if errors.Is(err, accounts.ErrNotFound) {
			return Config{}, ErrUnknownAppID
		}
		if err != nil {
			return Config{}, err
		}
		if !a.HasJSDomain(host) {
			return Config{}, apperr.New(apperr.Forbidden, fmt.Sprintf(
				"url: %s is not one of the account's JS domains; send an access_token, or add the domain with setJsDomains", host)).WithKey("jssdk.err.domain", host)
		}
		allowOrigin(req.Gin, a)
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	return NewConfig(ctx, h.Tickets, a.AppID, pageURL, now())
}

// NewConfig signs pageURL (already checked by PageURL) for the account's wx.config, with a fresh nonce
// and the timestamp of now. The pages use it too.
func NewConfig(ctx context.Context, tickets Tickets, appid, pageURL string, now time.Time) (Config, error) {
	ticket, err := tickets.JSAPITicket(ctx, appid)
	if err != nil {
		return Config{}, fmt.Errorf("jsapi_ticket: %w", err)
	}
	cfg := Config{AppID: appid, NonceStr: newNonce(), Timestamp: now.Unix(), URL: pageURL}
	cfg.Signature = Sign(ticket, cfg.NonceStr, cfg.Timestamp, pageURL)
	return cfg, nil
}

// allowOrigin lets a page of one of the account's JS domains read the answer (no credentials).
func allowOrigin(c *gin.Context, a *accounts.Account) {
	c.Header("Vary", "Origin")
	origin := c.GetHeader("Origin")
	if origin == "" {
		return
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !a.HasJSDomain(u.Host) {
		return
	}
	c.Header("Access-Control-Allow-Origin", origin)
}

// preflight answers CORS preflights: the account is only known from the body, so the answer itself
// decides (allowOrigin); a preflight only says which methods and headers may be used.
func preflight(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", c.GetHeader("Origin"))
	c.Header("Access-Control-Allow-Methods", "GET, POST")
	c.Header("Access-Control-Allow-Headers", "Content-Type")
	c.Header("Access-Control-Max-Age", "600")
	c.Header("Vary", "Origin")
	c.Status(http.StatusNoContent)
}

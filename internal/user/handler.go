package user

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// AccountLister answers the official accounts an operator has bound, as `me` shows them. The wiring
// injects it, so this package does not depend on the WeChat packages.
type AccountLister func(ctx context.Context, userID int64) (any, error)

// HandlerOptions are the Handler's collaborators.
type HandlerOptions struct {
	// Accounts fills `me`'s accounts; nil answers an empty list.
	Accounts AccountLister
	// CrossOrigin guards the requests that set or use the session cookie (login, `me` by POST, logout);
	// the engine's shared instance. nil skips the check.
	CrossOrigin *http.CrossOriginProtection
	// MailRate limits the endpoints that send mail (register, resendVerification, forgotPassword) per
	// client address; nil leaves them unlimited.
	MailRate gin.HandlerFunc
}

// Handler is /apis/user/... on top of a Service: decode, call, answer.
type Handler struct {
	svc      *Service
	accounts AccountLister
	cop      *http.CrossOriginProtection
	mailRate gin.HandlerFunc
}

// NewHandler answers the HTTP face of svc.
func NewHandler(svc *Service, opts HandlerOptions) *Handler {
	h := &Handler{svc: svc, accounts: opts.Accounts, cop: opts.CrossOrigin, mailRate: opts.MailRate}
	if h.mailRate == nil {
		h.mailRate = func(c *gin.Context) { c.Next() }
	}
	return h
}

// Routes mounts /apis/user/... of contract §3 on r (the engine's root).
func Routes(r gin.IRouter, h *Handler) {
	g := httpapi.Group{IRouter: r.Group("/apis/user", httpapi.LimitBody(httpapi.MaxBodyBytes))}
	mail := httpapi.Before(h.mailRate)
	g.WriteJSON("/register", h.register, mail)
	g.GET("/verify", h.verify)
	g.WriteJSON("/resendVerification", h.resendVerification, mail)
	g.WriteJSON("/login", h.login)
	g.WriteJSON("/logout", h.logout, httpapi.RawBody())
	g.ReadJSON("/me", h.me, httpapi.Before(httpapi.RequireAuth(h.svc, h.cop)))
	g.WriteJSON("/forgotPassword", h.forgotPassword, mail)
	g.WriteJSON("/resetPassword", h.resetPassword)
	// API tokens for scripts (contract §14).
	auth := httpapi.Before(httpapi.RequireAuth(h.svc, h.cop))
	g.WriteJSON("/createApiToken", h.createAPIToken, auth)
	g.ReadJSON("/listApiTokens", h.listAPITokens, auth)
	g.WriteJSON("/revokeApiToken", h.revokeAPIToken, auth)
}

func (h *Handler) createAPIToken(req *httpapi.Request) (httpapi.Answer, error) {
	days, err := req.Body.IntBetween("expiresInDays", APITokenDefaultDays, 1, APITokenMaxDays)
	if err != nil {
		return nil, err
	}
	t, err := h.svc.CreateAPIToken(req.Ctx, req.Principal, req.Body.Str("name"), int(days))
	if err != nil {
		return nil, err
	}
	req.Gin.Header("Cache-Control", "no-store")
	return httpapi.Fields{"id": t.ID, "name": t.Name, "token": t.Token, "expiresAt": t.ExpiresAt}, nil
}

func (h *Handler) listAPITokens(req *httpapi.Request) (httpapi.Answer, error) {
	list, err := h.svc.ListAPITokens(req.Ctx, req.UserID())
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"tokens": list}, nil
}

func (h *Handler) revokeAPIToken(req *httpapi.Request) (httpapi.Answer, error) {
	id, ok, err := req.Body.Int("id")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.Missing("id")
	}
	return nil, h.svc.RevokeAPIToken(req.Ctx, req.UserID(), id)
}

func (h *Handler) register(req *httpapi.Request) (httpapi.Answer, error) {
	f, err := bodyStrings(req.Body, "username", "password", "email")
	if err != nil {
		return nil, err
	}
	u, err := h.svc.Register(req.Ctx, Registration{Username: f[0], Password: f[1], Email: f[2]})
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"user_id": u.ID, "username": u.Username, "email": u.Email}, nil
}

// verify is the link in the mail, so it answers a browser with a redirect to the login page, which tells
// the result; a script that asks for JSON gets the error itself. It is a page, not a JSON endpoint.
func (h *Handler) verify(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	_, err := h.svc.Verify(c.Request.Context(), c.Query("token"))
	switch {
	case err == nil:
		c.Redirect(http.StatusSeeOther, "/login?verified=1")
	case apperr.KindOf(err) != apperr.Invalid || wantsJSON(c.Request):
		httpapi.Fail(c, err)
	case errors.Is(err, ErrTokenExpired):
		c.Redirect(http.StatusSeeOther, "/login?verified=0&reason=expired")
	default:
		c.Redirect(http.StatusSeeOther, "/login?verified=0&reason=invalid")
	}
}

// sameAnswer is resend's and forgot's: the same 200 whether the address exists or not.
var sameAnswer = httpapi.Fields{"msg": "if the address is registered, a mail is on its way"}

func (h *Handler) resendVerification(req *httpapi.Request) (httpapi.Answer, error) {
	f, err := bodyStrings(req.Body, "email")
	if err != nil {
		return nil, err
	}
	if err := h.svc.ResendVerification(req.Ctx, f[0]); err != nil {
		return nil, err
	}
	return sameAnswer, nil
}

func (h *Handler) forgotPassword(req *httpapi.Request) (httpapi.Answer, error) {
	f, err := bodyStrings(req.Body, "email")
	if err != nil {
		return nil, err
	}
	if err := h.svc.ForgotPassword(req.Ctx, f[0]); err != nil {
		return nil, err
	}
	return sameAnswer, nil
}

// login refuses a cross-origin request before anything else: it sets the session cookie, so a page
// elsewhere posting a form here could log the browser into an operator of its choosing (login CSRF), whose
// tenant would then receive what the victim binds. Scripts send neither Origin nor Sec-Fetch-Site and pass.
func (h *Handler) login(req *httpapi.Request) (httpapi.Answer, error) {
	if h.cop != nil {
		if err := h.cop.Check(req.Gin.Request); err != nil {
			return nil, apperr.New(apperr.Forbidden, "cross-origin request refused: log in from the console's own pages").WithKey("user.err.cross_origin")
		}
	}
	f, err := bodyStrings(req.Body, "username", "password")
	if err != nil {
		return nil, err
	}
	sess, err := h.svc.Login(req.Ctx, Credentials{Username: f[0], Password: f[1], ClientAddr: req.Gin.ClientIP()})
	if err != nil {
		return nil, err
	}
	SetSessionCookies(req.Gin.Writer, sess, h.svc.SecureCookies())
	return httpapi.Fields{
		"access_token": sess.Token,
		"expires_in":   int64(sess.ExpiresIn.Seconds()),
		"user_id":      sess.UserID,
	}, nil
}

// logout works without a valid token too (the cookies still go), so a browser with a stale cookie is not
// stuck; a cookie-carried token is checked for cross-origin like RequireAuth does, so another site cannot
// log the operator out.
func (h *Handler) logout(req *httpapi.Request) (httpapi.Answer, error) {
	r := req.Gin.Request
	tok, src := httpapi.TokenFrom(r)
	if src == httpapi.FromCookie && h.cop != nil {
		if err := h.cop.Check(r); err != nil {
			return nil, apperr.New(apperr.Forbidden, "cross-origin request refused").WithKey("err.cross_origin")
		}
	}
	if err := h.svc.Logout(req.Ctx, tok); err != nil {
		return nil, err
	}
	ClearSessionCookies(req.Gin.Writer, h.svc.SecureCookies())
	if isBrowser(r) {
		return httpapi.Redirect{Code: http.StatusSeeOther, Location: "/"}, nil
	}
	return nil, nil
}

func (h *Handler) me(req *httpapi.Request) (httpapi.Answer, error) {
	p := req.Principal
	var accounts any = []any{}
	if h.accounts != nil {
		v, err := h.accounts(req.Ctx, p.UserID)
		if err != nil {
			return nil, err
		}
		if !isNil(v) {
			accounts = v
		}
	}
	return httpapi.Fields{"user_id": p.UserID, "username": p.Username, "email": p.Email, "accounts": accounts}, nil
}

func (h *Handler) resetPassword(req *httpapi.Request) (httpapi.Answer, error) {
	f, err := bodyStrings(req.Body, "token", "password")
	if err != nil {
		return nil, err
	}
	return nil, h.svc.ResetPassword(req.Ctx, f[0], f[1])
}

// bodyStrings answers the named text fields of the body.
func bodyStrings(b *httpapi.Body, names ...string) ([]string, error) {
	out := make([]string, len(names))
	for i, n := range names {
		var err error
		if out[i], err = b.String(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// isNil is true for nil and for a nil slice or map in an interface, which JSON would write as null.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer:
		return rv.IsNil()
	}
	return false
}

// wantsJSON is a client that asks for JSON and not for a page.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// isBrowser is a caller to answer with a redirect: it asks for HTML or navigates. Browsers send
// Accept: text/html with every form post; the spec's scripts post JSON (or nothing) under a form content
// type and expect JSON back, so the content type alone decides nothing.
func isBrowser(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html") || r.Header.Get("Sec-Fetch-Mode") == "navigate"
}

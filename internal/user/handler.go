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
	g.Write("/register", h.mailRate, h.register)
	g.GET("/verify", h.verify)
	g.Write("/resendVerification", h.mailRate, h.resendVerification)
	g.Write("/login", h.login)
	g.Write("/logout", h.logout)
	g.Read("/me", httpapi.RequireAuth(h.svc, h.cop), h.me)
	g.Write("/forgotPassword", h.mailRate, h.forgotPassword)
	g.Write("/resetPassword", h.resetPassword)
}

func (h *Handler) register(c *gin.Context) {
	f, err := bodyStrings(c, "username", "password", "email")
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	u, err := h.svc.Register(c.Request.Context(), Registration{Username: f[0], Password: f[1], Email: f[2]})
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"user_id": u.ID, "username": u.Username, "email": u.Email})
}

// verify is the link in the mail, so it answers a browser with a redirect to the login page, which tells
// the result; a script that asks for JSON gets the error itself.
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

func (h *Handler) resendVerification(c *gin.Context) {
	f, err := bodyStrings(c, "email")
	if err == nil {
		err = h.svc.ResendVerification(c.Request.Context(), f[0])
	}
	answerSame(c, err)
}

func (h *Handler) forgotPassword(c *gin.Context) {
	f, err := bodyStrings(c, "email")
	if err == nil {
		err = h.svc.ForgotPassword(c.Request.Context(), f[0])
	}
	answerSame(c, err)
}

// answerSame answers resend and forgot: the same 200 whether the address exists or not.
func answerSame(c *gin.Context, err error) {
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"msg": "if the address is registered, a mail is on its way"})
}

// login refuses a cross-origin request before anything else: it sets the session cookie, so a page
// elsewhere posting a form here could log the browser into an operator of its choosing (login CSRF), whose
// tenant would then receive what the victim binds. Scripts send neither Origin nor Sec-Fetch-Site and pass.
func (h *Handler) login(c *gin.Context) {
	if h.cop != nil {
		if err := h.cop.Check(c.Request); err != nil {
			httpapi.Fail(c, apperr.New(apperr.Forbidden, "cross-origin request refused: log in from the console's own pages"))
			return
		}
	}
	f, err := bodyStrings(c, "username", "password")
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	sess, err := h.svc.Login(c.Request.Context(), Credentials{Username: f[0], Password: f[1], ClientAddr: c.ClientIP()})
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	SetSessionCookies(c.Writer, sess, h.svc.SecureCookies())
	httpapi.OK(c, gin.H{
		"access_token": sess.Token,
		"expires_in":   int64(sess.ExpiresIn.Seconds()),
		"user_id":      sess.UserID,
	})
}

// logout works without a valid token too (the cookies still go), so a browser with a stale cookie is not
// stuck; a cookie-carried token is checked for cross-origin like RequireAuth does, so another site cannot
// log the operator out.
func (h *Handler) logout(c *gin.Context) {
	tok, src := httpapi.TokenFrom(c.Request)
	if src == httpapi.FromCookie && h.cop != nil {
		if err := h.cop.Check(c.Request); err != nil {
			httpapi.Fail(c, apperr.New(apperr.Forbidden, "cross-origin request refused"))
			return
		}
	}
	if err := h.svc.Logout(c.Request.Context(), tok); err != nil {
		httpapi.Fail(c, err)
		return
	}
	ClearSessionCookies(c.Writer, h.svc.SecureCookies())
	if isBrowser(c.Request) {
		c.Header("Cache-Control", "no-store")
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	httpapi.OK(c, nil)
}

func (h *Handler) me(c *gin.Context) {
	p, _ := httpapi.CurrentPrincipal(c)
	var accounts any = []any{}
	if h.accounts != nil {
		v, err := h.accounts(c.Request.Context(), p.UserID)
		if err != nil {
			httpapi.Fail(c, err)
			return
		}
		if !isNil(v) {
			accounts = v
		}
	}
	httpapi.OK(c, gin.H{"user_id": p.UserID, "username": p.Username, "email": p.Email, "accounts": accounts})
}

func (h *Handler) resetPassword(c *gin.Context) {
	f, err := bodyStrings(c, "token", "password")
	if err == nil {
		err = h.svc.ResetPassword(c.Request.Context(), f[0], f[1])
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, nil)
}

// bodyStrings decodes the body (JSON, form or multipart) and answers the named text fields.
func bodyStrings(c *gin.Context, names ...string) ([]string, error) {
	b, err := httpapi.Bind(c)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(names))
	for i, n := range names {
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

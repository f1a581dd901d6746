package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
)

// Cookie names of contract §3.
const (
	TokenCookie = "SocialinzenToken"
	UserCookie  = "SocialinzenUser"
)

// Principal is the operator a request acts for: the domain's, so services need not import this package.
type Principal = domain.Principal

// Authenticator resolves an access token to its operator (the user service implements it).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// ErrNoToken answers a request that carries no access_token at all.
var ErrNoToken = apperr.New(apperr.Unauthenticated, "access_token is missing").WithKey("err.token.missing")

// TokenSource says where a request's token came from.
type TokenSource int

// Token sources, in the order they are looked at.
const (
	NoToken TokenSource = iota
	FromQuery
	FromBearer
	FromCookie
)

// TokenFrom finds the caller's token: ?access_token=, Authorization: Bearer, or the SocialinzenToken cookie.
func TokenFrom(r *http.Request) (string, TokenSource) {
	if t := r.URL.Query().Get("access_token"); t != "" {
		return t, FromQuery
	}
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), FromBearer
	}
	if c, err := r.Cookie(TokenCookie); err == nil && c.Value != "" {
		return c.Value, FromCookie
	}
	return "", NoToken
}

// RequireAuth rejects requests without a valid token (40100) and, for a cookie-authenticated unsafe request,
// a cross-origin one (40300): a cookie rides along on requests other sites make, a query or bearer token
// does not.
func RequireAuth(auth Authenticator, cop *http.CrossOriginProtection) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, src := TokenFrom(c.Request)
		if src == NoToken {
			Fail(c, ErrNoToken)
			return
		}
		if src == FromCookie && cop != nil {
			if err := cop.Check(c.Request); err != nil {
				Fail(c, apperr.New(apperr.Forbidden, "cross-origin request refused").WithKey("err.cross_origin"))
				return
			}
		}
		p, err := auth.Authenticate(c.Request.Context(), tok)
		if err != nil {
			Fail(c, err)
			return
		}
		SetPrincipal(c, p)
		c.Set("httpapi.token", tok)
		c.Next()
	}
}

// SetPrincipal records the operator the request acts for in its context (domain.WithPrincipal), for
// whatever authenticated it: RequireAuth, the pages' cookie, a test.
func SetPrincipal(c *gin.Context, p Principal) {
	c.Request = c.Request.WithContext(domain.WithPrincipal(c.Request.Context(), p))
}

// CurrentPrincipal answers the authenticated operator; ok is false outside RequireAuth.
func CurrentPrincipal(c *gin.Context) (Principal, bool) {
	return domain.PrincipalFrom(c.Request.Context())
}

// UserID answers the authenticated operator's id (0 outside RequireAuth).
func UserID(c *gin.Context) int64 {
	p, _ := CurrentPrincipal(c)
	return p.UserID
}

// CurrentToken answers the access token the request authenticated with.
func CurrentToken(c *gin.Context) string { return c.GetString("httpapi.token") }

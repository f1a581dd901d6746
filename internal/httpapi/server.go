package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// NewEngine is a Gin engine with the console's edge middleware: request id, recovery, security headers, the
// access log, and the refusal of control characters in any text input. Routes are added by each capability.
func NewEngine(log *slog.Logger) *gin.Engine {
	if log == nil {
		log = slog.Default()
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.ContextWithFallback = true
	e.HandleMethodNotAllowed = false
	e.RemoveExtraSlash = false
	_ = e.SetTrustedProxies(nil)
	e.Use(RequestID(log), AccessLog(), Recover(), SecurityHeaders(), RefuseControlChars(nil))
	e.NoRoute(NotFound)
	return e
}

// NewServer wraps h in an http.Server with the timeouts a public server needs. WriteTimeout leaves room for
// uploads of 10 MB on a slow link; the callback answers well within it. What net/http itself reports (TLS
// handshake errors, a panic outside gin, accept errors) goes to log at warn level, not to stderr.
func NewServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.Default()
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ErrorLog:          slog.NewLogLogger(log.With("component", "http").Handler(), slog.LevelWarn),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// Group is a route group of JSON endpoints: POST as the spec says, and GET too for the read-only ones.
// Register endpoints with ReadJSON and WriteJSON (see endpoint.go); Read and Write take plain gin
// handlers, for the few routes that are not JSON endpoints.
type Group struct {
	gin.IRouter
	// Scoped says the group runs accounts.Scope: every endpoint gets Request.Account.
	Scoped bool
	// Authorize, when set, runs before every JSON endpoint of the group, with the route's declaration; an
	// error is the answer. It is the hook for roles (contract §14): the principal and the account are in
	// ctx (domain.PrincipalFrom, domain.AccountFrom). Nil lets every authenticated operator through, as
	// today.
	Authorize func(ctx context.Context, route Route) error
	// WriteMin is the least role of the group's writes that declare none (MinRole); RoleAny leaves the
	// default to Authorize. It declares a whole capability's writes at once where they are mounted (the
	// conversations' writes are an agent's, contract §14).
	WriteMin Role
}

// WritesNeed answers a copy of the group whose writes need at least role unless they declare another.
func (g Group) WritesNeed(role Role) Group {
	g.WriteMin = role
	return g
}

// Read registers a read-only endpoint on both POST and GET. Authorize runs first, as for ReadJSON.
func (g Group) Read(path string, h ...gin.HandlerFunc) {
	h = g.guarded(path, false, h)
	g.POST(path, h...)
	g.GET(path, h...)
}

// Write registers an endpoint that changes something (POST only). Authorize runs first, as for WriteJSON.
func (g Group) Write(path string, h ...gin.HandlerFunc) {
	g.POST(path, g.guarded(path, true, h)...)
}

// guarded puts the route in the request's context and runs Authorize before plain gin handlers, so a
// route not yet converted to an Endpoint is checked like the others.
func (g Group) guarded(path string, write bool, h []gin.HandlerFunc) []gin.HandlerFunc {
	r := g.spec(path, write, nil).Route
	guard := func(c *gin.Context) {
		ctx := WithRoute(c.Request.Context(), r)
		c.Request = c.Request.WithContext(ctx)
		if g.Authorize != nil {
			if err := g.Authorize(ctx, r); err != nil {
				Fail(c, err)
				c.Abort()
				return
			}
		}
		c.Next()
	}
	return append([]gin.HandlerFunc{guard}, h...)
}

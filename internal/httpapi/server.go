package httpapi

import (
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
// uploads of 10 MB on a slow link; the callback answers well within it.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// Group is a route group of JSON endpoints: POST as the spec says, and GET too for the read-only ones.
type Group struct {
	gin.IRouter
}

// Read registers a read-only endpoint on both POST and GET.
func (g Group) Read(path string, h ...gin.HandlerFunc) {
	g.POST(path, h...)
	g.GET(path, h...)
}

// Write registers an endpoint that changes something (POST only).
func (g Group) Write(path string, h ...gin.HandlerFunc) {
	g.POST(path, h...)
}

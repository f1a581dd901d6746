package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// RouteObserver is told of every answered request; the metrics package implements it.
type RouteObserver interface {
	// ObserveRequest reports one request: route is the router's template (/wxplatform/callback/:appid),
	// "" when no route matched.
	ObserveRequest(method, route string, status int, took time.Duration)
}

// Metrics reports every request to m, by gin's route template and never the raw path: an appid, a token or
// whatever a caller puts in a URL cannot become a label. A request whose handler panics is reported as the
// 500 that Recover answers. Install it with Use right after NewEngine, before any route is added. A nil m
// observes nothing.
func Metrics(m RouteObserver) gin.HandlerFunc {
	if m == nil {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		start := time.Now()
		finished := false
		defer func() {
			status := c.Writer.Status()
			if !finished {
				// A panic is on its way to Recover, which answers 500.
				status = http.StatusInternalServerError
			}
			m.ObserveRequest(c.Request.Method, c.FullPath(), status, time.Since(start))
		}()
		c.Next()
		finished = true
	}
}

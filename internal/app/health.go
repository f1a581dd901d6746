package app

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/buildinfo"
	"github.com/socialinzen/socialinzen/internal/db"
)

// healthz answers while the process is up, whatever the database does.
func (a *App) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": buildinfo.String()})
}

// readyz answers 200 when the database is reachable and its schema current, and every other check passes;
// 503 otherwise, naming what is wrong. A load balancer takes the process out while it is not ready.
func (a *App) readyz(c *gin.Context) {
	if a.draining.Load() {
		// Shutting down (SIGTERM): out of the balancer now, while requests are still served.
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "draining"})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	checks := gin.H{}
	ready := true
	st, err := db.Status(ctx, a.db)
	switch {
	case err != nil:
		checks["database"] = gin.H{"status": "unreachable", "error": "database did not answer"}
		ready = false
	case !st.UpToDate():
		checks["database"] = gin.H{"status": "schema_mismatch", "current": st.Current, "latest": st.Latest}
		ready = false
	default:
		checks["database"] = gin.H{"status": "ok", "schema": st.Current}
	}
	for _, h := range a.health {
		state, detail, ok := h.check(ctx)
		checks[h.name] = gin.H{"status": state, "detail": detail}
		ready = ready && ok
	}
	status, word := http.StatusOK, "ready"
	if !ready {
		status, word = http.StatusServiceUnavailable, "not_ready"
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, gin.H{"status": word, "checks": checks})
}

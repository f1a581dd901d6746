package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/logctx"
	"github.com/socialinzen/socialinzen/internal/redact"
)

// RedactURL answers u's path and query with every secret parameter's value replaced by "REDACTED".
//
// Deprecated: use redact.URL; kept so code written against it still compiles.
func RedactURL(u *url.URL) string { return redact.URL(u) }

// RequestID gives every request an id, in the X-Request-Id header, in its logger and in its context, so
// that every line logged with the request's context carries it (logctx). The context also gets the
// client's address (logctx.ClientAddr): the API and the pages both run this, so the audit log reads the
// same two values whichever of them made a change.
func RequestID(base *slog.Logger) gin.HandlerFunc {
	base = slog.New(logctx.Handler(base.Handler()))
	return func(c *gin.Context) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		c.Header("X-Request-Id", id)
		ctx := logctx.WithRequestID(c.Request.Context(), id)
		c.Request = c.Request.WithContext(logctx.WithClientAddr(ctx, c.ClientIP()))
		SetLogger(c, base.With(logctx.Key, id))
		c.Next()
	}
}

// AccessLog writes one line per request, with secrets redacted from the URL. WeChat's callback
// (/wxplatform/callback/…, thousands a second, counted in /metrics) is logged only when refused or
// answered in more than SlowCallback.
func AccessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		took := time.Since(start)
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		if status == http.StatusOK && took < SlowCallback && strings.HasPrefix(c.Request.URL.Path, "/wxplatform/callback/") {
			return
		}
		l := logger(c)
		if !l.Enabled(c.Request.Context(), level) {
			return
		}
		l.Log(c.Request.Context(), level, "http request",
			"method", c.Request.Method,
			"url", redact.URL(c.Request.URL),
			"status", status,
			"bytes", c.Writer.Size(),
			"took", took.Round(time.Microsecond),
			"client", c.ClientIP(),
		)
	}
}

// SlowCallback is how long a WeChat callback may take before the access log shows it.
const SlowCallback = 200 * time.Millisecond

// SecurityHeaders sets the headers every answer carries.
func SecurityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		if h.Get("Content-Security-Policy") == "" {
			h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		}
		c.Next()
	}
}

// Recover turns a panic into 50000 with nothing internal in the answer; the stack goes to the log.
func Recover() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				logger(c).Error("panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				if !c.Writer.Written() {
					Fail(c, apperr.New(apperr.Internal, "internal error"))
				}
				c.Abort()
			}
		}()
		c.Next()
	}
}

// LimitBody caps request bodies at n bytes; past that, reads fail and the decoder answers 41300. It also
// refuses at once a Content-Length already over the limit.
func LimitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			Fail(c, ErrBodyTooLarge)
			c.Header("Connection", "close")
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// NotFound answers unknown /apis paths in the envelope.
func NotFound(c *gin.Context) {
	if strings.HasPrefix(c.Request.URL.Path, "/apis/") {
		Fail(c, apperr.New(apperr.NotFound, "no such endpoint: "+c.Request.URL.Path).WithKey("err.no_endpoint", c.Request.URL.Path))
		return
	}
	c.String(http.StatusNotFound, "404 page not found")
}

package user_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/mail"
	"github.com/socialinzen/socialinzen/internal/user"
)

// BenchmarkAuthenticate measures what every API call pays for its token: the RequireAuth middleware
// resolving a bearer token against a real Postgres (one statement), through the engine with its edge
// middleware, to a handler that answers 204. Service is the same lookup without HTTP.
func BenchmarkAuthenticate(b *testing.B) {
	gdb := dbtest.New(b)
	quiet := slog.New(slog.DiscardHandler)
	svc := user.NewService(gdb, mail.NewLog(quiet), user.Options{BaseURL: baseURL, Logger: quiet})
	user.SetPasswordCost(svc, 4)
	ctx := b.Context()
	if _, err := svc.Register(ctx, user.Registration{Username: "bench", Password: "12345678", Email: "bench@example.com"}); err != nil {
		b.Fatal(err)
	}
	if err := gdb.Exec(`UPDATE users SET verified_at = now()`).Error; err != nil {
		b.Fatal(err)
	}
	sess, err := svc.Login(ctx, user.Credentials{Username: "bench", Password: "12345678", ClientAddr: "192.0.2.1"})
	if err != nil {
		b.Fatal(err)
	}
	engine := httpapi.NewEngine(quiet)
	engine.GET("/apis/bench", httpapi.RequireAuth(svc, http.NewCrossOriginProtection()), func(c *gin.Context) {
		c.Status(http.StatusNoContent)
	})

	b.Run("middleware", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodGet, "/apis/bench", nil)
			r.Header.Set("Authorization", "Bearer "+sess.Token)
			w := httptest.NewRecorder()
			engine.ServeHTTP(w, r)
			if w.Code != http.StatusNoContent {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
	b.Run("service", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := svc.Authenticate(ctx, sess.Token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("middleware-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := httptest.NewRequest(http.MethodGet, "/apis/bench", nil)
				r.Header.Set("Authorization", "Bearer "+sess.Token)
				w := httptest.NewRecorder()
				engine.ServeHTTP(w, r)
				if w.Code != http.StatusNoContent {
					b.Errorf("status %d", w.Code)
					return
				}
			}
		})
	})
}

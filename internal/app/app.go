// Package app wires the console together: configuration, database, mail, every capability's service and
// the HTTP router. It is the only package that knows every concrete type; cmd/console and the end-to-end
// tests both start the console through it.
package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/config"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/logctx"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// NewLogger builds the process logger from LOG_LEVEL and LOG_FORMAT.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	// Every line logged with a request's context carries its request id.
	if cfg.LogFormat == "json" {
		return slog.New(logctx.Handler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(logctx.Handler(slog.NewTextHandler(w, opts)))
}

// MigrateOnly applies pending migrations and returns (`console migrate`).
func MigrateOnly(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	gdb, err := db.Open(ctx, cfg.DatabaseURL, db.Options{MaxOpenConns: 2, Logger: log})
	if err != nil {
		return err
	}
	defer db.Close(gdb)
	if err := db.Migrate(ctx, gdb, log); err != nil {
		return err
	}
	st, err := db.Status(ctx, gdb)
	if err != nil {
		return err
	}
	log.Info("schema is current", "version", st.Current)
	return nil
}

// RotateSecretKey is `console rotate-secret-key`: every stored secret (AppSecrets, callback tokens,
// EncodingAESKeys, MSDK keys, WeChat's tokens, OAuth tokens; secretbox.StoredSecrets) is opened with the
// current key (SECRET_KEY, or the generated one kept in the database) and sealed again with newKey, in one
// transaction. When the current key is the generated one, the new key replaces it in the database;
// otherwise the operator sets SECRET_KEY to it before starting the console again. It answers how many
// values were resealed. Every console process must be stopped first.
func RotateSecretKey(ctx context.Context, cfg *config.Config, newKey []byte, log *slog.Logger) (int, error) {
	gdb, err := db.Open(ctx, cfg.DatabaseURL, db.Options{MaxOpenConns: 2, Logger: log})
	if err != nil {
		return 0, err
	}
	defer db.Close(gdb)
	if err := db.Migrate(ctx, gdb, log); err != nil {
		return 0, err
	}
	oldKey, err := secretbox.MasterKey(ctx, gdb, cfg.SecretKey, nil)
	if err != nil {
		return 0, err
	}
	from, err := secretbox.New(oldKey)
	if err != nil {
		return 0, err
	}
	to, err := secretbox.New(newKey)
	if err != nil {
		return 0, err
	}
	stored := ""
	if cfg.SecretKey == "" {
		stored = hex.EncodeToString(newKey)
	}
	return secretbox.Rotate(ctx, gdb, from, to, stored)
}

// App is one running console process.
type App struct {
	cfg      *config.Config
	log      *slog.Logger
	db       *gorm.DB
	box      *secretbox.Box
	handler  http.Handler
	services *services
	jobs     *jobs.Queue

	// draining is set on SIGTERM: /readyz answers 503 and every answer closes its connection.
	draining atomic.Bool

	workers  sync.WaitGroup
	stopWork context.CancelFunc
	closers  []func()
	// onShutdown run when the server starts shutting down (long-lived streams end there).
	onShutdown []func()
	health     []healthCheck
}

// healthCheck is one line of /readyz beside the database: its state, details, and whether it makes the
// process unready (a degraded callback still answers WeChat, so it only reports).
type healthCheck struct {
	name  string
	check func(ctx context.Context) (state string, detail any, ready bool)
}

// New opens the database, applies migrations, builds every service and the router. Background workers
// start here and stop in Close.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*App, error) {
	gdb, err := db.Open(ctx, cfg.DatabaseURL, db.Options{MaxOpenConns: cfg.DBMaxOpenConns, Logger: log})
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, db: gdb}
	if err := db.Migrate(ctx, gdb, log); err != nil {
		_ = db.Close(gdb)
		return nil, err
	}
	key, err := secretbox.MasterKey(ctx, gdb, cfg.SecretKey, log)
	if err != nil {
		_ = db.Close(gdb)
		return nil, err
	}
	if a.box, err = secretbox.New(key); err != nil {
		_ = db.Close(gdb)
		return nil, err
	}
	// Values stored before issue 13 were sealed without their row as additional data: reseal them bound.
	if err := secretbox.UpgradeLegacy(ctx, gdb, a.box, log); err != nil {
		_ = db.Close(gdb)
		return nil, err
	}
	workCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.stopWork = cancel
	if err := a.wire(workCtx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Handler is the console's whole HTTP surface.
func (a *App) Handler() http.Handler { return a.handler }

// DB answers the database handle (for tests that inspect what the console stored).
func (a *App) DB() *gorm.DB { return a.db }

// goWork runs a background worker that stops when the app closes.
func (a *App) goWork(name string, fn func()) {
	a.workers.Add(1)
	go func() {
		defer a.workers.Done()
		defer func() {
			if r := recover(); r != nil {
				a.log.Error("background worker crashed", "worker", name, "panic", fmt.Sprint(r))
			}
		}()
		fn()
	}()
}

// Close stops the job queue (running jobs finish), the workers, the services and closes the database, in
// that order.
func (a *App) Close() {
	if a.stopWork != nil {
		a.stopWork()
	}
	if a.jobs != nil {
		c, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		_ = a.jobs.Stop(c)
		cancel()
	}
	a.workers.Wait()
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	if a.db != nil {
		_ = db.Close(a.db)
	}
}

// Serve listens on LISTEN_ADDR until ctx ends, then shuts down in order: stop accepting, let requests in
// flight finish (at most 10 s), stop the workers, close the database.
func (a *App) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.ListenAddr)
	if err != nil {
		a.Close()
		return fmt.Errorf("listen on %s: %w", a.cfg.ListenAddr, err)
	}
	return a.ServeListener(ctx, ln)
}

// drainHeader makes every answer close its connection once the process is draining (SHUTDOWN_DRAIN).
func (a *App) drainHeader(c *gin.Context) {
	if a.draining.Load() {
		c.Header("Connection", "close")
	}
	c.Next()
}

// ServeListener is Serve on a listener the caller opened (tests listen on port 0).
func (a *App) ServeListener(ctx context.Context, ln net.Listener) error {
	srv := httpapi.NewServer(a.cfg.ListenAddr, a.handler, a.log)
	for _, f := range a.onShutdown {
		srv.RegisterOnShutdown(f)
	}
	a.log.Info("console is listening", "addr", ln.Addr().String(), "url", a.cfg.BaseURL)
	a.announce()
	// gin finishes its route trees on the first request it serves (a one-time write): serving one here,
	// before any client, keeps that write from racing with readers of the routes such as the API docs.
	a.handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/healthz", nil))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		a.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Behind a load balancer, stopping to listen at once would drop the requests clients are about to send
	// on their keep-alive connections. First the drain: /readyz answers 503 so the balancer takes the
	// process out, and requests are still served, each answer closing its connection so that clients open
	// new ones (elsewhere, once the balancer has noticed). Then the listener closes and requests in flight
	// finish; Close then stores the messages still queued.
	a.draining.Store(true)
	if d := a.cfg.ShutdownDrain; d > 0 {
		a.log.Info("shutting down: draining, /readyz answers 503", "drain", d)
		select {
		case <-time.After(d):
		case err := <-errc:
			a.log.Warn("serve", "err", err)
		}
	}
	a.log.Info("shutting down: finishing requests in flight")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Warn("shutdown", "err", err)
	}
	a.Close()
	a.log.Info("stopped")
	return nil
}

// Emulator answers the sandbox's WeChat emulator (nil unless SANDBOX is on), for tests and tools.
func (a *App) Emulator() *wxemu.Emulator {
	if a.services == nil {
		return nil
	}
	return a.services.emu
}

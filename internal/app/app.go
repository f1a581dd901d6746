// Package app wires the console together: configuration, database, mail, every capability's service and
// the HTTP router. It is the only package that knows every concrete type; cmd/console and the end-to-end
// tests both start the console through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/config"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// NewLogger builds the process logger from LOG_LEVEL and LOG_FORMAT.
func NewLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
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

// App is one running console process.
type App struct {
	cfg      *config.Config
	log      *slog.Logger
	db       *gorm.DB
	box      *secretbox.Box
	handler  http.Handler
	services *services
	jobs     *jobs.Queue

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

// ServeListener is Serve on a listener the caller opened (tests listen on port 0).
func (a *App) ServeListener(ctx context.Context, ln net.Listener) error {
	srv := httpapi.NewServer(a.cfg.ListenAddr, a.handler)
	for _, f := range a.onShutdown {
		srv.RegisterOnShutdown(f)
	}
	a.log.Info("console is listening", "addr", ln.Addr().String(), "url", a.cfg.BaseURL)
	a.announce()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		a.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
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

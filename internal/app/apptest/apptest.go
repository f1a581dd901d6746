// Package apptest starts a whole console in-process for end-to-end tests: a fresh database, a real HTTP
// listener on a free port, an in-process SMTP server catching its mail, and (by default) sandbox mode with
// the WeChat emulator under /sandbox/.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/socialinzen/socialinzen/internal/app"
	"github.com/socialinzen/socialinzen/internal/config"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/mail/mailtest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// Console is a running console.
type Console struct {
	URL   string
	App   *app.App
	Mail  *mailtest.Server
	DBURL string
}

// Options adjust the console; zero values give sandbox mode on a fresh database.
type Options struct {
	// Env overrides configuration variables (e.g. WECHAT_API_BASE to use an external emulator).
	Env map[string]string
	// DBURL reuses a database instead of creating one (several consoles on one database).
	DBURL string
	// NoSandbox turns sandbox mode off.
	NoSandbox bool
	// Log receives the console's log (discarded when nil, unless APPTEST_LOG is set).
	Log io.Writer
}

// Start runs a console until the test ends.
func Start(t testing.TB, opts Options) *Console {
	t.Helper()
	dbURL := opts.DBURL
	if dbURL == "" {
		dbURL = dbtest.NewURL(t)
	}
	smtp := mailtest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("apptest: listen: %v", err)
	}
	base := "http://" + ln.Addr().String()
	env := map[string]string{
		"DATABASE_URL": dbURL, "LISTEN_ADDR": ln.Addr().String(), "BASE_URL": base,
		"SMTP_URL": smtp.URL(), "SANDBOX": "true", "LOG_LEVEL": "warn", "DB_MAX_OPEN_CONNS": "10", "SHUTDOWN_DRAIN": "0s",
		"SECRET_KEY": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	}
	if opts.NoSandbox {
		env["SANDBOX"] = "false"
	}
	if opts.Log != nil {
		env["LOG_LEVEL"] = "info"
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("apptest: config: %v", err)
	}
	var logOut io.Writer = io.Discard
	if opts.Log != nil {
		logOut = opts.Log
	} else if os.Getenv("APPTEST_LOG") != "" {
		logOut = os.Stderr
	}
	log := app.NewLogger(cfg, logOut)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("apptest: start: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.ServeListener(ctx, ln); err != nil {
			slog.Error("apptest: serve", "err", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("apptest: console did not stop within 15 s")
		}
	})
	return &Console{URL: base, App: a, Mail: smtp, DBURL: dbURL}
}

// Emulator answers the sandbox's WeChat emulator.
func (c *Console) Emulator() *wxemu.Emulator { return c.App.Emulator() }

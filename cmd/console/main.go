// Command console is the socialinzen admin console for WeChat Official Accounts.
//
//	console            serve (the default): apply pending migrations, then serve HTTP
//	console serve      the same
//	console migrate    apply pending migrations and exit
//	console version    print the version
//	console rotate-secret-key
//	                   reseal every stored secret under a new key (NEW_SECRET_KEY, or a generated one
//	                   printed once), in one transaction; stop every console process first
//
// Settings come from the environment and from flags of the same names (see -help).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/socialinzen/socialinzen/internal/app"
	"github.com/socialinzen/socialinzen/internal/buildinfo"
	"github.com/socialinzen/socialinzen/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "console:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "socialinzen console", buildinfo.String())
		return nil
	case "serve", "migrate", "rotate-secret-key":
	default:
		return fmt.Errorf("unknown command %q (serve, migrate, rotate-secret-key, version)", cmd)
	}
	cfg, err := config.Load(args, getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	log := app.NewLogger(cfg, stderr)
	if cmd == "migrate" {
		return app.MigrateOnly(ctx, cfg, log)
	}
	if cmd == "rotate-secret-key" {
		return rotateSecretKey(ctx, cfg, getenv, stdout, log)
	}
	log.Info("starting socialinzen console", "version", buildinfo.String())
	log.Info("configuration\n" + cfg.String())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	return a.Serve(ctx)
}

// rotateSecretKey reseals every stored secret under NEW_SECRET_KEY (hex or base64, 32+ bytes), or under a
// key it generates and prints, since the operator must then configure it. The new key is read from the
// environment, never from a flag, so that it does not show in the process list.
func rotateSecretKey(ctx context.Context, cfg *config.Config, getenv func(string) string, stdout io.Writer, log *slog.Logger) error {
	var newKey []byte
	generated := false
	if v := getenv("NEW_SECRET_KEY"); v != "" {
		k, err := config.DecodeKey(v)
		if err != nil {
			return fmt.Errorf("NEW_SECRET_KEY: %w", err)
		}
		newKey = k
	} else {
		newKey = make([]byte, 32)
		if _, err := rand.Read(newKey); err != nil {
			return err
		}
		generated = true
	}
	n, err := app.RotateSecretKey(ctx, cfg, newKey, log)
	if err != nil {
		return err
	}
	log.Info("every stored secret is sealed under the new key", "values", n)
	switch {
	case cfg.SecretKey == "":
		fmt.Fprintln(stdout, "The new key replaced the generated one kept in the database; start the console again.")
	case generated:
		fmt.Fprintln(stdout, "Set SECRET_KEY to this new key on every console process, then start them again:")
		fmt.Fprintln(stdout, hex.EncodeToString(newKey))
	default:
		fmt.Fprintln(stdout, "Set SECRET_KEY to the value of NEW_SECRET_KEY on every console process, then start them again.")
	}
	return nil
}

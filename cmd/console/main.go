// Command console is the socialinzen admin console for WeChat Official Accounts.
//
//	console            serve (the default): apply pending migrations, then serve HTTP
//	console serve      the same
//	console migrate    apply pending migrations and exit
//	console version    print the version
//
// Settings come from the environment and from flags of the same names (see -help).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	case "serve", "migrate":
	default:
		return fmt.Errorf("unknown command %q (serve, migrate, version)", cmd)
	}
	cfg, err := config.Load(args, getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	log := app.NewLogger(cfg, stderr)
	if cmd == "migrate" {
		return app.MigrateOnly(ctx, cfg, log)
	}
	log.Info("starting socialinzen console", "version", buildinfo.String())
	log.Info("configuration\n" + cfg.String())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	return a.Serve(ctx)
}

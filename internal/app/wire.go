package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/mail"
	"github.com/socialinzen/socialinzen/internal/pages"
	"github.com/socialinzen/socialinzen/internal/user"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// services are the capabilities of one process.
type services struct {
	users    *user.Service
	accounts *accounts.Service
}

// wire builds the services and the router.
func (a *App) wire(ctx context.Context) error {
	mailer, err := mail.New(a.cfg.SMTPURL, a.cfg.MailFrom, a.log)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	cop := http.NewCrossOriginProtection()
	s := &services{}
	s.users = user.NewService(a.db, mailer, user.Options{BaseURL: a.cfg.BaseURL, SecureCookies: a.cfg.SecureCookies(), Logger: a.log})
	a.closers = append(a.closers, func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.users.Shutdown(c)
	})
	s.accounts = accounts.NewService(a.db, a.box, accounts.Options{BaseURL: a.cfg.BaseURL, Logger: a.log})

	e := httpapi.NewEngine(a.log)
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)

	user.Routes(e, user.NewHandler(s.users, user.HandlerOptions{
		CrossOrigin: cop,
		Accounts: func(ctx context.Context, userID int64) (any, error) {
			return s.accounts.Views(ctx, userID)
		},
	}))

	auth := httpapi.RequireAuth(s.users, cop)
	limit := httpapi.LimitBody(httpapi.MaxBodyBytes)
	wx := httpapi.Group{IRouter: e.Group("/apis/wxplatform", limit, auth)}
	(&accounts.Handler{Service: s.accounts}).Routes(wx)
	scoped := func(prefix string) httpapi.Group {
		return httpapi.Group{IRouter: e.Group(prefix, limit, auth, accounts.Scope(s.accounts))}
	}
	_ = scoped

	pg, err := pages.New(a.db, a.box, pages.Deps{Users: s.users, Accounts: s.accounts, Sandbox: a.cfg.Sandbox,
		SecureCookies: a.cfg.SecureCookies(), Logger: a.log})
	if err != nil {
		return fmt.Errorf("pages: %w", err)
	}
	pg.Routes(e)
	a.periodic(ctx, "cleanup", 10*time.Minute, func(ctx context.Context) {
		if err := s.users.Cleanup(ctx); err != nil {
			a.log.Warn("cleanup", "err", err)
		}
	})
	a.handler = e
	return nil
}

// periodic runs fn every interval until the app closes.
func (a *App) periodic(ctx context.Context, name string, every time.Duration, fn func(context.Context)) {
	a.goWork(name, func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	})
}

var _ gin.HandlerFunc

// announce logs what a newcomer should do first.
func (a *App) announce() {}

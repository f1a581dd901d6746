package app

import (
	"context"
	"net/http"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// wire builds the services and the router.
func (a *App) wire(ctx context.Context) error {
	cop := http.NewCrossOriginProtection()
	acctSvc := accounts.NewService(a.db, a.box, accounts.Options{BaseURL: a.cfg.BaseURL, Logger: a.log})

	e := httpapi.NewEngine(a.log)
	e.GET("/healthz", a.healthz)
	e.GET("/readyz", a.readyz)

	api := e.Group("/apis", httpapi.LimitBody(httpapi.MaxBodyBytes))
	_ = api
	_ = cop
	_ = acctSvc
	a.handler = e
	return nil
}

// announce logs what a newcomer should do first.
func (a *App) announce() {}

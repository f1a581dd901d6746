package app

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/component"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// componentCredentials answers the third-party platform the console runs as (contract §15): the
// WECHAT_COMPONENT_* settings, or in sandbox mode without them the emulator's demo component, derived
// from SECRET_KEY so that it survives restarts and is the same in every process. ok is false when the
// console runs without a component.
func (a *App) componentCredentials() (component.Credentials, bool) {
	if a.cfg.HasComponent() {
		return component.Credentials{AppID: a.cfg.ComponentAppID, Secret: a.cfg.ComponentSecret,
			Token: a.cfg.ComponentToken, EncodingAESKey: a.cfg.ComponentAESKey}, true
	}
	if !a.cfg.Sandbox {
		return component.Credentials{}, false
	}
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	text := func(purpose string, n int) string {
		k := a.box.Derive("sandbox-component-" + purpose)
		for len(k) < n {
			k = append(k, a.box.Derive(string(k))...)
		}
		out := make([]byte, n)
		for i := range out {
			out[i] = alnum[int(k[i])%len(alnum)]
		}
		return string(out)
	}
	return component.Credentials{
		AppID:          "wx" + hex.EncodeToString(a.box.Derive("sandbox-component-appid"))[:16],
		Secret:         hex.EncodeToString(a.box.Derive("sandbox-component-secret"))[:32],
		Token:          text("token", 32),
		EncodingAESKey: text("aeskey", 43),
	}, true
}

// buildComponent makes the component service and installs it as the source of component accounts'
// access_tokens. nil when the console runs without a component.
func (a *App) buildComponent(s *services) (*component.Service, error) {
	creds, ok := a.componentCredentials()
	if !ok {
		return nil, nil
	}
	if s.emu != nil && !a.cfg.HasComponent() {
		s.emu.SetDemoComponent(wxemu.Component{AppID: creds.AppID, Secret: creds.Secret, Token: creds.Token,
			EncodingAESKey: creds.EncodingAESKey, Name: "沙盒第三方平台 Sandbox Platform"})
	}
	comp, err := component.New(component.Options{DB: a.db, Box: a.box, WeChat: s.wx, Accounts: s.accounts,
		Credentials: creds, BaseURL: a.cfg.BaseURL, Jobs: a.jobs, Logger: a.log})
	if err != nil {
		return nil, fmt.Errorf("component: %w", err)
	}
	s.wx.SetAuthorizers(comp)
	a.closers = append(a.closers, comp.Close)
	return comp, nil
}

// componentRoutes mounts the authorization-event URL, the message URL and the API endpoints.
func (a *App) componentRoutes(e *gin.Engine, binding httpapi.Group, s *services) error {
	if s.component == nil {
		return nil
	}
	s.component.Routes(e)
	s.component.APIRoutes(binding)
	k := s.component.Keys()
	return s.callback.ComponentRoutes(e, callback.ComponentKeys{AppID: k.AppID, Token: k.Token, EncodingAESKey: k.EncodingAESKey}, s.component)
}

// startSandboxComponent points the emulator's demo component at this console and starts its ticket
// pushes: one at once (retried until the listener answers), then every SANDBOX_TICKET_INTERVAL.
func (a *App) startSandboxComponent(ctx context.Context, s *services) {
	if s.emu == nil || s.component == nil || a.cfg.HasComponent() {
		return
	}
	id := s.component.AppID()
	s.emu.SetComponentURLs(id, a.cfg.BaseURL+"/wxplatform/component/events", a.cfg.BaseURL+"/wxplatform/component/callback/$APPID$")
	a.goWork("sandbox-ticket-push", func() { s.emu.RunTicketPushes(ctx, id, a.cfg.SandboxTicketInterval) })
}

package pages

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/component"
)

// Component is the third-party platform as the pages use it (*component.Service).
type Component interface {
	AuthorizeURL(ctx context.Context, userID int64, mobile bool) (string, error)
	Return(ctx context.Context, authCode, state string) (*accounts.Account, error)
	Status(ctx context.Context) (component.Status, error)
	StartPushTicket(ctx context.Context) error
}

// componentRoutes mounts the pages of contract §15: "scan to authorize" (PC and phone), the return URL
// WeChat sends the administrator back to, and the settings' restart-push button.
func (p *Pages) componentRoutes(g, in, con gin.IRoutes) {
	g.GET(component.ReturnPath, p.componentReturn)
	in.POST("/authorize/component", p.csrf, p.authorizeComponent)
	con.POST("/settings/component/push", p.csrf, p.settingsComponentPush)
}

// authorizeComponent sends the operator to WeChat's authorization page with a fresh pre_auth_code.
func (p *Pages) authorizeComponent(c *gin.Context) {
	if p.deps.Component == nil {
		p.fail(c, apperr.New(apperr.NotFound, "No third-party platform is configured (WECHAT_COMPONENT_*).").WithKey("component.none"))
		return
	}
	u, err := p.deps.Component.AuthorizeURL(c.Request.Context(), httpapi.UserID(c), c.PostForm("mobile") == "1")
	if err != nil {
		v := p.authorizeView(c)
		formError(v, err)
		p.html(c, statusOf(err), "authorize", v)
		return
	}
	c.Redirect(http.StatusSeeOther, u)
}

// componentReturn completes an authorization: GET /wxplatform/component/return?auth_code&expires_in&state.
func (p *Pages) componentReturn(c *gin.Context) {
	if p.deps.Component == nil {
		p.fail(c, apperr.New(apperr.NotFound, "No third-party platform is configured (WECHAT_COMPONENT_*).").WithKey("component.none"))
		return
	}
	a, err := p.deps.Component.Return(c.Request.Context(), c.Query("auth_code"), c.Query("state"))
	switch {
	case errors.Is(err, component.ErrBadState):
		p.fail(c, apperr.New(apperr.Invalid, "The authorization link is invalid or expired (10 minutes); no account was bound. Start the authorization again.").WithKey("component.return.badstate"))
		return
	case errors.Is(err, accounts.ErrAlreadyBound):
		p.fail(c, apperr.New(apperr.Conflict, "Another operator already bound this account; nothing was changed.").WithKey("component.return.taken"))
		return
	case errors.Is(err, component.ErrWeChatDown):
		logger(c).Warn("component return: WeChat unavailable", "err", err)
		v := p.view(c, "error", "component.return.pending.title")
		v.Error = t(c, "component.return.pending")
		p.html(c, http.StatusBadGateway, "error", v)
		return
	case err != nil:
		p.fail(c, err)
		return
	}
	if _, ok := httpapi.CurrentPrincipal(c); !ok {
		redirect(c, "/login")
		return
	}
	p.flash(c, "ok", t(c, "component.return.done", a.Name))
	redirect(c, withAppID("/console", a))
}

func (p *Pages) settingsComponentPush(c *gin.Context) {
	a := accounts.Current(c)
	if p.deps.Component == nil {
		p.failed(c, withAppID("/console/settings", a), apperr.New(apperr.NotFound, "No third-party platform is configured (WECHAT_COMPONENT_*).").WithKey("component.none"))
		return
	}
	if err := p.deps.Component.StartPushTicket(c.Request.Context()); err != nil {
		p.failed(c, withAppID("/console/settings", a)+"#component", err)
		return
	}
	p.done(c, withAppID("/console/settings", a)+"#component", "component.push.done")
}

// componentStatus is the settings page's view of the component; nil without one.
func (p *Pages) componentStatus(c *gin.Context) *component.Status {
	if p.deps.Component == nil {
		return nil
	}
	st, err := p.deps.Component.Status(c.Request.Context())
	if err != nil {
		logger(c).Warn("component status", "err", err)
	}
	return &st
}

// permissionFeatures maps a permission set (funcscope id) to the console features that need it.
var permissionFeatures = []struct {
	ID      int
	Feature string // translation key
}{
	{1, "component.feature.messages"}, {2, "component.feature.followers"}, {3, "component.feature.qrcodes"},
	{4, "component.feature.webauth"}, {11, "component.feature.materials"}, {15, "component.feature.menu"},
}

// PermissionView is one permission set as the pages show it.
type PermissionView struct {
	ID      int
	Feature string
	Granted bool
}

// permissionViews answers, for a component account, each permission set the console uses and whether it
// was granted.
func permissionViews(v accounts.View) []PermissionView {
	if v.Mode != string(accounts.ModeComponent) {
		return nil
	}
	out := make([]PermissionView, 0, len(permissionFeatures))
	for _, f := range permissionFeatures {
		out = append(out, PermissionView{ID: f.ID, Feature: f.Feature, Granted: slices.Contains(v.FuncScope, f.ID)})
	}
	return out
}

package pages

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/component"
)

type settingsData struct {
	Views   []accounts.View
	Current accounts.View
	HasLogo bool
	LogoURL string
	LogoAt  string
	// LogoUploadURL carries the appid in its query, so that choosing the account does not read the body.
	LogoUploadURL string
	// Component is the third-party platform's ticket health (nil without one); Perms the permission sets
	// of each component account, by appid.
	Component *component.Status
	Perms     map[string][]PermissionView
}

func (p *Pages) settingsPage(c *gin.Context) {
	v, ok := p.settingsView(c)
	if !ok {
		return
	}
	p.html(c, http.StatusOK, "settings", v)
}

func (p *Pages) settingsView(c *gin.Context) (*View, bool) {
	v := p.view(c, "settings", "settings.title")
	fieldFlashes(v)
	a := v.Account
	ctx := c.Request.Context()
	views, err := p.deps.Accounts.Views(ctx, httpapi.UserID(c))
	if err != nil {
		p.fail(c, err)
		return nil, false
	}
	d := &settingsData{Views: views, LogoURL: logoURL(a), LogoUploadURL: withAppID("/console/settings/logo", a),
		Component: p.componentStatus(c), Perms: map[string][]PermissionView{}}
	for _, av := range views {
		d.Perms[av.AppID] = permissionViews(av)
		if av.AppID == a.AppID {
			d.Current = av
		}
	}
	if f, err := p.deps.Materials.Logo(ctx, a.ID); err == nil {
		d.HasLogo = true
		d.LogoURL += "?v=" + f.SHA256[:12] // a new logo is a new URL for the browser's cache
	}
	v.Form["jsDomains"] = strings.Join(a.JSDomains, "\n")
	v.Data = d
	return v, true
}

// splitDomains reads the JS domains textarea: one per line (commas and spaces separate too).
func splitDomains(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' || r == '\t' })
}

func (p *Pages) settingsJSDomains(c *gin.Context) {
	a := accounts.Current(c)
	raw := c.PostForm("jsDomains")
	if _, err := p.deps.Accounts.SetJSDomains(c.Request.Context(), httpapi.UserID(c), a.AppID, splitDomains(raw)); err != nil {
		v, ok := p.settingsView(c)
		if !ok {
			return
		}
		v.Form["jsDomains"] = raw
		formError(v, err)
		p.html(c, statusOf(err), "settings", v)
		return
	}
	p.done(c, withAppID("/console/settings", a)+"#jsdomains", "settings.jsdomains.saved")
}

func (p *Pages) settingsRotateMsdk(c *gin.Context) {
	a := accounts.Current(c)
	back := withAppID("/console/settings", a) + "#msdk"
	if _, err := p.deps.Accounts.RotateMsdkKey(c.Request.Context(), httpapi.UserID(c), a.AppID); err != nil {
		p.failed(c, back, err)
		return
	}
	p.done(c, back, "settings.msdk.rotated")
}

// settingsUnbind unbinds the posted account (requireAccount made sure it is the operator's).
func (p *Pages) settingsUnbind(c *gin.Context) {
	a := accounts.Current(c)
	if c.PostForm("appid") != a.AppID {
		// requireAccount falls back to another account for an appid that is not the operator's: never
		// unbind that one instead.
		p.failed(c, "/console/settings", accounts.ErrNotYours)
		return
	}
	if err := p.deps.Accounts.Unbind(c.Request.Context(), httpapi.UserID(c), a.AppID); err != nil {
		p.failed(c, "/console/settings", err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: "SocialinzenAppID", Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: p.deps.SecureCookies, SameSite: http.SameSiteLaxMode})
	p.done(c, "/console/settings", "settings.unbound", a.Name)
}

// settingsLogo keeps an uploaded logo (png or jpg, at most 2 MB), shown at the account's stable logo URL.
func (p *Pages) settingsLogo(c *gin.Context) {
	a := accounts.Current(c)
	back := withAppID("/console/settings", a) + "#logo"
	form, err := readUploadForm(c, "logoFile", materials.Logo.Limit())
	if err == nil && form.Data == nil {
		err = apperr.Missing("logoFile")
	}
	if err == nil {
		_, err = p.deps.Materials.SetLogo(c.Request.Context(), a, httpapi.UserID(c),
			materials.Upload{Kind: materials.Logo, Filename: form.Filename, Data: form.Data})
	}
	if err != nil {
		p.flashFieldError(c, err, "logoFile", nil)
		redirect(c, back)
		return
	}
	p.done(c, back, "settings.logo.saved")
}

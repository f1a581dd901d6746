// Package pages serves the operator's console as server-rendered HTML: one file per page, calling the same
// capability services as the JSON API. Pages work without JavaScript; app.js only enhances them (the chat
// simulator, progress bars, upload progress).
package pages

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/web"
)

const sessionName = "SocialinzenSession"

// Pages is the HTML side of the console.
type Pages struct {
	deps     Deps
	render   *renderer
	assets   *assets
	sessions *dbStore
	cop      *http.CrossOriginProtection
	patterns map[string][]string // method -> the console's route patterns, for hideForbidden
}

// New parses every template (failing fast on a broken one) and prepares the session store.
func New(gdb *gorm.DB, box *secretbox.Box, deps Deps) (*Pages, error) {
	if err := deps.check(); err != nil {
		return nil, err
	}
	a, err := newAssets(web.Static)
	if err != nil {
		return nil, err
	}
	r, err := newRenderer(web.Templates, a)
	if err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	p := &Pages{
		deps:     deps,
		render:   r,
		assets:   a,
		sessions: newDBStore(gdb, box.Derive("session-hash"), box.Derive("session-block"), deps.SecureCookies),
		cop:      http.NewCrossOriginProtection(),
	}
	r.hide = p.hideForbidden
	return p, nil
}

// PurgeSessions deletes expired page sessions; the app runs it now and then.
func (p *Pages) PurgeSessions(ctx context.Context) error { return p.sessions.purgeExpired(ctx) }

func logger(c *gin.Context) *slog.Logger { return httpapi.Logger(c) }

// session answers the request's server-side session.
func (p *Pages) session(c *gin.Context) *sessions.Session {
	s, _ := p.sessions.Get(c.Request, sessionName)
	return s
}

// flash queues a message for the next page.
func (p *Pages) flash(c *gin.Context, kind, text string) {
	s := p.session(c)
	s.AddFlash(kind+"\x00"+text, "flash")
	if err := s.Save(c.Request, c.Writer); err != nil {
		logger(c).Warn("save session", "err", err)
	}
}

func (p *Pages) takeFlashes(c *gin.Context) []Flash {
	s := p.session(c)
	raw := s.Flashes("flash")
	if len(raw) == 0 {
		return nil
	}
	_ = s.Save(c.Request, c.Writer)
	out := make([]Flash, 0, len(raw))
	for _, f := range raw {
		if str, ok := f.(string); ok {
			kind, text, _ := strings.Cut(str, "\x00")
			out = append(out, Flash{Kind: kind, Text: text})
		}
	}
	return out
}

// view starts a View for the request: language, user, accounts, flashes.
func (p *Pages) view(c *gin.Context, page, title string) *View {
	v := &View{Lang: pickLang(c.Request), Page: page, Title: title, Path: c.Request.URL.Path,
		Form: map[string]string{}, Errors: map[string]string{}, Sandbox: p.deps.Sandbox}
	if pr, ok := httpapi.CurrentPrincipal(c); ok {
		v.User = &pr
	}
	if a, ok := c.Get("pages.accounts"); ok {
		v.Accounts, _ = a.([]*accounts.Account)
	}
	v.Account = accounts.Current(c)
	v.Role, _ = domain.RoleFrom(c.Request.Context())
	v.Flashes = p.takeFlashes(c)
	return v
}

func (p *Pages) html(c *gin.Context, status int, page string, v *View) {
	p.render.render(c, status, page, v)
}

// t translates in the request's language, for messages made in Go (flashes, field errors).
func t(c *gin.Context, key string, args ...any) string {
	return translator(pickLang(c.Request))(key, args...)
}

// formError puts a service error next to its field, or on the whole form; it answers false for an error
// that is not the operator's to fix (which the caller then reports as a failure).
func formError(v *View, err error) {
	var ae *apperr.Error
	if errors.As(err, &ae) && ae.Kind != apperr.Internal {
		if ae.Field != "" {
			v.Errors[ae.Field] = localizedError(v.Lang, err)
			return
		}
	}
	v.Error = localizedError(v.Lang, err)
}

// redirect answers 303 to a local path (never elsewhere). An upload sent by app.js (X-Upload: 1) gets the
// location as JSON instead: XMLHttpRequest would follow a 303 itself and use up the flash meant for the
// page the script then opens.
func redirect(c *gin.Context, to string) {
	to = httpapi.SafeLocalPath(to, "/")
	if c.GetHeader("X-Upload") == "1" {
		c.JSON(http.StatusOK, gin.H{"location": to})
		return
	}
	c.Redirect(http.StatusSeeOther, to)
}

// withAppID keeps the chosen account in a link.
func withAppID(path string, a *accounts.Account) string {
	if a == nil {
		return path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "appid=" + url.QueryEscape(a.AppID)
}

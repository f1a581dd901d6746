package pages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/teams"
	"github.com/socialinzen/socialinzen/internal/user"
)

// Settings → Members and API tokens, and the /invite link's page (contract §14). Every action calls the
// same service as /apis/team/... and /apis/user/...; requireRole checks the role first.

// teamRoutes mounts the pages when the console has teams (always, in the app; pages tests may leave it out).
func (p *Pages) teamRoutes(g, in, con *gin.RouterGroup) {
	if p.deps.Teams == nil {
		return
	}
	g.GET("/invite", p.invitePage)
	in.POST("/invite", p.csrf, p.inviteAccept)
	con.GET("/members", p.membersPage)
	con.POST("/members/invite", p.csrf, p.memberInvite)
	con.POST("/members/role", p.csrf, p.memberRole)
	con.POST("/members/remove", p.csrf, p.memberRemove)
	con.POST("/members/cancel", p.csrf, p.memberCancel)
	con.POST("/members/transfer", p.csrf, p.memberTransfer)
	con.POST("/members/leave", p.csrf, p.memberLeave)
	con.GET("/tokens", p.tokensPage)
	con.POST("/tokens", p.csrf, p.tokenCreate)
	con.POST("/tokens/revoke", p.csrf, p.tokenRevoke)
}

type membersData struct {
	Team  *teams.Team
	Roles []domain.Role // the roles one may give: admin, editor, agent, viewer
	Me    int64
}

func (p *Pages) membersPage(c *gin.Context) {
	v := p.view(c, "members", "members.title")
	fieldFlashes(v)
	team, err := p.deps.Teams.List(c.Request.Context(), v.Account.ID)
	if err != nil {
		p.fail(c, err)
		return
	}
	v.Data = membersData{Team: team, Roles: domain.Roles[1:], Me: httpapi.UserID(c)}
	p.html(c, http.StatusOK, "members", v)
}

// memberDone answers a members form: back to the page with a flash, the error as a flash too.
func (p *Pages) memberDone(c *gin.Context, err error, okKey string, args ...any) {
	to := withAppID("/console/members", curAccount(c))
	if err != nil {
		if apperr.KindOf(err) == apperr.Internal {
			p.fail(c, err)
			return
		}
		p.flash(c, "error", localizedError(pickLang(c.Request), err))
	} else {
		p.flash(c, "ok", t(c, okKey, args...))
	}
	redirect(c, to)
}

func formID(c *gin.Context, key string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(c.PostForm(key)), 10, 64)
	return n
}

func (p *Pages) memberInvite(c *gin.Context) {
	a := curAccount(c)
	email := strings.TrimSpace(c.PostForm("email"))
	_, err := p.deps.Teams.Invite(c.Request.Context(), a.ID, httpapi.UserID(c), a.Name, email, c.PostForm("role"))
	p.memberDone(c, err, "members.invited", email)
}

func (p *Pages) memberRole(c *gin.Context) {
	err := p.deps.Teams.SetRole(c.Request.Context(), curAccount(c).ID, httpapi.UserID(c), formID(c, "userId"), c.PostForm("role"))
	p.memberDone(c, err, "members.role.done")
}

func (p *Pages) memberRemove(c *gin.Context) {
	err := p.deps.Teams.Remove(c.Request.Context(), curAccount(c).ID, httpapi.UserID(c), formID(c, "userId"))
	p.memberDone(c, err, "members.removed")
}

func (p *Pages) memberCancel(c *gin.Context) {
	err := p.deps.Teams.CancelInvitation(c.Request.Context(), curAccount(c).ID, httpapi.UserID(c), formID(c, "id"))
	p.memberDone(c, err, "members.cancelled")
}

func (p *Pages) memberTransfer(c *gin.Context) {
	err := p.deps.Teams.TransferOwnership(c.Request.Context(), curAccount(c).ID, httpapi.UserID(c), formID(c, "userId"))
	p.memberDone(c, err, "members.transferred")
}

func (p *Pages) memberLeave(c *gin.Context) {
	a := curAccount(c)
	if err := p.deps.Teams.Leave(c.Request.Context(), a.ID, httpapi.UserID(c)); err != nil {
		p.flash(c, "error", localizedError(pickLang(c.Request), err))
		redirect(c, withAppID("/console/settings", a))
		return
	}
	p.flash(c, "ok", t(c, "members.left", a.Name))
	// The account is no longer the operator's: forget it as the chosen one.
	http.SetCookie(c.Writer, &http.Cookie{Name: "SocialinzenAppID", Value: "", Path: "/", MaxAge: -1})
	redirect(c, "/")
}

type tokensData struct {
	Tokens []user.APIToken
	New    *user.NewAPIToken
}

func (p *Pages) tokensView(c *gin.Context) (*View, bool) {
	v := p.view(c, "tokens", "tokens.title")
	fieldFlashes(v)
	list, err := p.deps.Users.ListAPITokens(c.Request.Context(), httpapi.UserID(c))
	if err != nil {
		p.fail(c, err)
		return nil, false
	}
	v.Data = &tokensData{Tokens: list}
	return v, true
}

func (p *Pages) tokensPage(c *gin.Context) {
	if v, ok := p.tokensView(c); ok {
		p.html(c, http.StatusOK, "tokens", v)
	}
}

// tokenCreate renders the page with the new token (never redirected to, never stored in the session): it
// is shown this once.
func (p *Pages) tokenCreate(c *gin.Context) {
	pr, _ := httpapi.CurrentPrincipal(c)
	days := 0
	if raw := strings.TrimSpace(c.PostForm("expiresInDays")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			n = -1 // the service names the field
		}
		days = n
	}
	created, err := p.deps.Users.CreateAPIToken(c.Request.Context(), pr, c.PostForm("name"), days)
	v, ok := p.tokensView(c)
	if !ok {
		return
	}
	status := http.StatusOK
	if err != nil {
		if apperr.KindOf(err) == apperr.Internal {
			p.fail(c, err)
			return
		}
		status, _, _ = httpapi.Describe(err)
		formError(v, err)
		v.Form["name"], v.Form["expiresInDays"] = c.PostForm("name"), c.PostForm("expiresInDays")
	} else {
		v.Data.(*tokensData).New = &created
	}
	p.html(c, status, "tokens", v)
}

func (p *Pages) tokenRevoke(c *gin.Context) {
	err := p.deps.Users.RevokeAPIToken(c.Request.Context(), httpapi.UserID(c), formID(c, "id"))
	if err != nil {
		p.flash(c, "error", localizedError(pickLang(c.Request), err))
	} else {
		p.flash(c, "ok", t(c, "tokens.revoked"))
	}
	redirect(c, withAppID("/console/tokens", curAccount(c)))
}

type inviteData struct {
	Token    string
	Info     *teams.InvitationInfo
	Problem  string // why the link no longer works
	LoggedIn bool
	Mismatch bool // logged in with another address
}

// invitePage is the mailed link: what the invitation is, or why it no longer works; a logged-in operator
// with the invited address accepts with one button, anyone else is told to log in or sign up with it
// (the token waits in the session, and login comes back here).
func (p *Pages) invitePage(c *gin.Context) {
	v := p.view(c, "invite", "invite.title")
	token := c.Query("token")
	d := &inviteData{Token: token}
	info, err := p.deps.Teams.Lookup(c.Request.Context(), token)
	status := http.StatusOK
	if err != nil {
		if apperr.KindOf(err) == apperr.Internal {
			p.fail(c, err)
			return
		}
		status, _, _ = httpapi.Describe(err)
		d.Problem = localizedError(v.Lang, err)
	} else {
		d.Info = info
		if pr, ok := httpapi.CurrentPrincipal(c); ok {
			d.LoggedIn = true
			d.Mismatch = !strings.EqualFold(pr.Email, info.Email)
		} else {
			s := p.session(c)
			s.Values["invite"] = token
			if err := s.Save(c.Request, c.Writer); err != nil {
				logger(c).Warn("save session", "err", err)
			}
		}
	}
	v.Data = d
	p.html(c, status, "invite", v)
}

func (p *Pages) inviteAccept(c *gin.Context) {
	pr, _ := httpapi.CurrentPrincipal(c)
	token := c.PostForm("token")
	info, err := p.deps.Teams.Accept(c.Request.Context(), pr, token)
	if err != nil {
		if apperr.KindOf(err) == apperr.Internal {
			p.fail(c, err)
			return
		}
		p.flash(c, "error", localizedError(pickLang(c.Request), err))
		redirect(c, "/invite?token="+url.QueryEscape(token))
		return
	}
	p.flash(c, "ok", t(c, "invite.joined", info.AccountName, t(c, "role."+string(info.Role))))
	redirect(c, "/console?appid="+url.QueryEscape(info.AppID))
}

// pendingInvite answers where to go after logging in: the invitation the operator opened before, once.
func (p *Pages) pendingInvite(c *gin.Context) string {
	s := p.session(c)
	tok, _ := s.Values["invite"].(string)
	if tok == "" {
		return "/"
	}
	delete(s.Values, "invite")
	if err := s.Save(c.Request, c.Writer); err != nil {
		logger(c).Warn("save session", "err", err)
	}
	return "/invite?token=" + url.QueryEscape(tok)
}

// curAccount is the account requireAccount chose.
func curAccount(c *gin.Context) *domain.Account {
	a, _ := domain.AccountFrom(c.Request.Context())
	return a
}

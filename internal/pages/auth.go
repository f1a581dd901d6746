package pages

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/user"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// optionalUser authenticates the page request by its cookie when it carries one, without refusing it.
func (p *Pages) optionalUser(c *gin.Context) {
	if tok, src := httpapi.TokenFrom(c.Request); src == httpapi.FromCookie {
		if pr, err := p.deps.Users.Authenticate(c.Request.Context(), tok); err == nil {
			httpapi.SetPrincipal(c, pr)
			if c.Request.Method == http.MethodGet {
				// The token's lifetime is renewed on use; renew the cookie's too, or an operator who works
				// every day would still be logged out a week after logging in.
				http.SetCookie(c.Writer, &http.Cookie{Name: httpapi.TokenCookie, Value: tok, Path: "/", MaxAge: 7 * 24 * 3600,
					HttpOnly: true, Secure: p.deps.SecureCookies, SameSite: http.SameSiteLaxMode})
			}
		}
	}
	c.Next()
}

// tokenInQuery handles a page opened with ?access_token=: a valid token becomes the cookie, and the browser
// is sent to the same URL without it, so the token does not stay in the address bar or in the history.
// When the browser already holds another operator's session, a link (made by anyone) must not silently
// swap it: the page asks "continue as X?" instead, keeping the token in the server-side session, and only
// the operator's same-origin POST /switch makes the change.
func (p *Pages) tokenInQuery(c *gin.Context) {
	q := c.Request.URL.Query()
	tok := q.Get("access_token")
	if tok == "" || c.Request.Method != http.MethodGet {
		c.Next()
		return
	}
	q.Del("access_token")
	clean := c.Request.URL.Path
	if len(q) > 0 {
		clean += "?" + q.Encode()
	}
	c.Header("Cache-Control", "no-store")
	c.Abort()
	next, err := p.deps.Users.Authenticate(c.Request.Context(), tok)
	if err != nil {
		redirect(c, clean)
		return
	}
	if cur, ok := p.cookiePrincipal(c); ok && cur.UserID != next.UserID {
		s := p.session(c)
		s.Values["pendingToken"] = tok
		s.Values["pendingTo"] = clean
		if err := s.Save(c.Request, c.Writer); err != nil {
			p.fail(c, fmt.Errorf("save session: %w", err))
			return
		}
		v := p.view(c, "switch", "switch.title")
		v.User = &cur
		v.Data = switchData{From: cur.Username, To: next.Username, Back: httpapi.SafeLocalPath(clean, "/")}
		p.html(c, http.StatusOK, "switch", v)
		return
	}
	p.setTokenCookie(c, tok)
	redirect(c, clean)
}

type switchData struct{ From, To, Back string }

// switchOperator is the operator's answer to "continue as X?": the token kept by tokenInQuery becomes the
// session. The route runs the cross-origin check first.
func (p *Pages) switchOperator(c *gin.Context) {
	s := p.session(c)
	tok, _ := s.Values["pendingToken"].(string)
	to, _ := s.Values["pendingTo"].(string)
	delete(s.Values, "pendingToken")
	delete(s.Values, "pendingTo")
	if err := s.Save(c.Request, c.Writer); err != nil {
		logger(c).Warn("save session", "err", err)
	}
	c.Header("Cache-Control", "no-store")
	if tok == "" {
		redirect(c, "/")
		return
	}
	if _, err := p.deps.Users.Authenticate(c.Request.Context(), tok); err != nil {
		redirect(c, "/login")
		return
	}
	p.setTokenCookie(c, tok)
	redirect(c, to)
}

// cookiePrincipal answers the operator of the request's session cookie, if it holds a valid one.
func (p *Pages) cookiePrincipal(c *gin.Context) (httpapi.Principal, bool) {
	ck, err := c.Request.Cookie(httpapi.TokenCookie)
	if err != nil || ck.Value == "" {
		return httpapi.Principal{}, false
	}
	pr, err := p.deps.Users.Authenticate(c.Request.Context(), ck.Value)
	return pr, err == nil
}

func (p *Pages) setTokenCookie(c *gin.Context, tok string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: httpapi.TokenCookie, Value: tok, Path: "/", MaxAge: 7 * 24 * 3600,
		HttpOnly: true, Secure: p.deps.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// requireUser sends anonymous visitors to the login page.
func (p *Pages) requireUser(c *gin.Context) {
	if _, ok := httpapi.CurrentPrincipal(c); !ok {
		redirect(c, "/login")
		c.Abort()
		return
	}
	c.Next()
}

// requireAccount loads the operator's accounts and picks the one the page acts on (?appid= or the first);
// an operator without one is sent to /authorize.
func (p *Pages) requireAccount(c *gin.Context) {
	list, err := p.deps.Accounts.List(c.Request.Context(), httpapi.UserID(c))
	if err != nil {
		p.fail(c, err)
		return
	}
	if len(list) == 0 {
		redirect(c, "/authorize")
		c.Abort()
		return
	}
	c.Set("pages.accounts", list)
	// The account comes from ?appid=, a url-encoded form's appid (never a multipart body: reading it here
	// would buffer a whole upload before its own limits apply), or the last one chosen.
	explicit := c.Query("appid")
	if explicit == "" && strings.HasPrefix(c.ContentType(), "application/x-www-form-urlencoded") {
		explicit = c.PostForm("appid")
	}
	want := explicit
	if want == "" {
		if ck, err := c.Cookie("SocialinzenAppID"); err == nil {
			want = ck
		}
	}
	var chosen *accounts.Account
	for _, a := range list {
		if a.AppID == want {
			chosen = a
		}
	}
	if chosen == nil {
		if explicit != "" {
			// Acting on the first account instead of the one asked for could, say, delete the wrong rule.
			p.fail(c, accounts.ErrNotYours)
			return
		}
		chosen = list[0]
	}
	if c.Query("appid") != "" {
		http.SetCookie(c.Writer, &http.Cookie{Name: "SocialinzenAppID", Value: chosen.AppID, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: p.deps.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
	role, err := p.deps.Accounts.Role(c.Request.Context(), chosen.ID, httpapi.UserID(c))
	if err != nil {
		p.fail(c, err)
		return
	}
	// The role goes with the account: requireRole checks it, the templates ask View.Can.
	c.Request = c.Request.WithContext(domain.WithRole(domain.WithAccount(c.Request.Context(), chosen), role))
	c.Next()
}

// csrf guards the pages' form posts: a cookie rides along with requests other sites make.
func (p *Pages) csrf(c *gin.Context) {
	if err := p.cop.Check(c.Request); err != nil {
		c.String(http.StatusForbidden, "cross-origin request refused")
		c.Abort()
		return
	}
	c.Next()
}

// fail shows an error page for failures that are not the operator's to fix.
func (p *Pages) fail(c *gin.Context, err error) {
	status, _, _ := httpapi.Describe(err)
	if status >= 500 && status != http.StatusBadGateway && status != http.StatusGatewayTimeout {
		logger(c).Error("page failed", "err", err)
	}
	v := p.view(c, "error", "error.title")
	v.Error = localizedError(v.Lang, err)
	p.html(c, status, "error", v)
	c.Abort()
}

func (p *Pages) home(c *gin.Context) {
	if _, ok := httpapi.CurrentPrincipal(c); !ok {
		redirect(c, "/login")
		return
	}
	list, err := p.deps.Accounts.List(c.Request.Context(), httpapi.UserID(c))
	if err != nil {
		p.fail(c, err)
		return
	}
	if len(list) == 0 {
		redirect(c, "/authorize")
		return
	}
	redirect(c, "/console")
}

type loginData struct{ Verified, Reason string }

func (p *Pages) loginPage(c *gin.Context) {
	if _, ok := httpapi.CurrentPrincipal(c); ok && c.Query("verified") == "" {
		redirect(c, "/")
		return
	}
	v := p.view(c, "login", "login.title")
	v.Data = loginData{Verified: c.Query("verified"), Reason: c.Query("reason")}
	p.html(c, http.StatusOK, "login", v)
}

func (p *Pages) loginPost(c *gin.Context) {
	v := p.view(c, "login", "login.title")
	v.Form["username"] = c.PostForm("username")
	sess, err := p.deps.Users.Login(c.Request.Context(), user.Credentials{
		Username: strings.TrimSpace(c.PostForm("username")), Password: c.PostForm("password"), ClientAddr: c.ClientIP()})
	if err != nil {
		status, _, retry := httpapi.Describe(err)
		if retry > 0 {
			c.Header("Retry-After", itoa(retry))
		}
		formError(v, err)
		if v.Error == "" && len(v.Errors) == 0 {
			v.Error = localizedError(v.Lang, err)
		}
		p.html(c, status, "login", v)
		return
	}
	user.SetSessionCookies(c.Writer, sess, p.deps.SecureCookies)
	redirect(c, p.pendingInvite(c)) // an invitation opened before logging in comes back
}

func (p *Pages) registerPage(c *gin.Context) {
	p.html(c, http.StatusOK, "register", p.view(c, "register", "register.title"))
}

func (p *Pages) registerPost(c *gin.Context) {
	v := p.view(c, "register", "register.title")
	reg := user.Registration{Username: strings.TrimSpace(c.PostForm("username")), Password: c.PostForm("password"),
		Email: strings.TrimSpace(c.PostForm("email"))}
	v.Form["username"], v.Form["email"] = reg.Username, reg.Email
	if _, err := p.deps.Users.Register(c.Request.Context(), reg); err != nil {
		status, _, _ := httpapi.Describe(err)
		formError(v, err)
		p.html(c, status, "register", v)
		return
	}
	v.Data = true
	p.html(c, http.StatusOK, "register", v)
}

func (p *Pages) forgotPage(c *gin.Context) {
	p.html(c, http.StatusOK, "forgot", p.view(c, "forgot", "forgot.title"))
}

func (p *Pages) forgotPost(c *gin.Context) {
	v := p.view(c, "forgot", "forgot.title")
	email := strings.TrimSpace(c.PostForm("email"))
	if err := user.ValidateEmail(email); err != nil {
		v.Form["email"] = email
		formError(v, err)
		p.html(c, http.StatusBadRequest, "forgot", v)
		return
	}
	if err := p.deps.Users.ForgotPassword(c.Request.Context(), email); err != nil {
		logger(c).Warn("forgot password", "err", err)
	}
	v.Data = true
	p.html(c, http.StatusOK, "forgot", v)
}

func (p *Pages) resetPage(c *gin.Context) {
	v := p.view(c, "reset", "reset.title")
	v.Form["token"] = c.Query("token")
	p.html(c, http.StatusOK, "reset", v)
}

func (p *Pages) resetPost(c *gin.Context) {
	v := p.view(c, "reset", "reset.title")
	v.Form["token"] = c.PostForm("token")
	if err := p.deps.Users.ResetPassword(c.Request.Context(), c.PostForm("token"), c.PostForm("password")); err != nil {
		status, _, _ := httpapi.Describe(err)
		formError(v, err)
		if msg, ok := v.Errors["token"]; ok {
			v.Error = msg
		}
		p.html(c, status, "reset", v)
		return
	}
	p.flash(c, "ok", t(c, "reset.done"))
	redirect(c, "/login")
}

func (p *Pages) setLang(c *gin.Context) {
	lang := c.PostForm("lang")
	if lang != LangEN {
		lang = LangZH
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: p.deps.SecureCookies, SameSite: http.SameSiteLaxMode})
	redirect(c, httpapi.SafeLocalPath(c.PostForm("back"), "/"))
}

type authorizeData struct {
	CallbackBase string
	Bound        []accounts.View
	// Component offers "scan to authorize" (contract §15); Perms lists each component account's
	// permission sets, by appid.
	Component bool
	Perms     map[string][]PermissionView
}

func (p *Pages) authorizeView(c *gin.Context) *View {
	v := p.view(c, "authorize", "authorize.title")
	views, _ := p.deps.Accounts.Views(c.Request.Context(), httpapi.UserID(c))
	perms := map[string][]PermissionView{}
	for _, av := range views {
		perms[av.AppID] = permissionViews(av)
	}
	v.Data = authorizeData{CallbackBase: p.deps.Accounts.CallbackURL(""), Bound: views, Component: p.deps.Component != nil, Perms: perms}
	return v
}

func (p *Pages) authorizePage(c *gin.Context) {
	v := p.authorizeView(c)
	// Suggest a token and key to paste into WeChat's admin; the operator may change them.
	v.Form["token"] = randomAlnum(32)
	v.Form["encodingAESKey"] = randomAlnum(43)
	p.html(c, http.StatusOK, "authorize", v)
}

func (p *Pages) authorizePost(c *gin.Context) {
	in := accounts.BindInput{AppID: c.PostForm("appid"), Secret: c.PostForm("secret"), Token: c.PostForm("token"),
		EncodingAESKey: c.PostForm("encodingAESKey"), Name: c.PostForm("name")}
	p.bind(c, in)
}

func (p *Pages) authorizeDemo(c *gin.Context) {
	if !p.deps.Sandbox || p.deps.DemoAccount == nil {
		p.fail(c, apperr.New(apperr.NotFound, "sandbox mode is off").WithKey("error.sandbox_off"))
		return
	}
	p.bind(c, p.deps.DemoAccount())
}

func (p *Pages) bind(c *gin.Context, in accounts.BindInput) {
	a, err := p.deps.Accounts.Bind(c.Request.Context(), httpapi.UserID(c), in)
	if err != nil {
		v := p.authorizeView(c)
		v.Form = map[string]string{"appid": in.AppID, "token": in.Token, "encodingAESKey": in.EncodingAESKey, "name": in.Name}
		status, _, _ := httpapi.Describe(err)
		formError(v, err)
		p.html(c, status, "authorize", v)
		return
	}
	p.flash(c, "ok", t(c, "authorize.done"))
	redirect(c, withAppID("/console", a))
}

func (p *Pages) authorizeCheck(c *gin.Context) {
	a, err := p.deps.Accounts.Resolve(c.Request.Context(), httpapi.UserID(c), c.PostForm("appid"))
	if err == nil {
		err = p.deps.Accounts.Check(c.Request.Context(), a)
	}
	if err != nil {
		p.flash(c, "error", errText(c, err))
	} else {
		p.flash(c, "ok", t(c, "authorize.checked"))
	}
	redirect(c, "/authorize")
}

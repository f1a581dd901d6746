package webauth

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// Handler serves web authorization and the MSDK-style calls; every route is public (WeChat's browser,
// the account's backends).
type Handler struct {
	Service *Service
}

// NewHandler builds the handler.
func NewHandler(s *Service) *Handler { return &Handler{Service: s} }

// PublicRoutes mounts, on the engine (no token, no account scope):
//
//	GET  /wxplatform/webauth                   web authorization (WeChat's browser)
//	GET  /wxplatform/webauth/ticket?ticket=    verify a redirect's ticket (the account's backend)
//	POST /wxplatform/webauth/ticket            the same, ticket in the body
//	POST /auth/check_token, /auth/refresh_token, and the same under /wxoauth/, each also with a trailing
//	     slash as MSDK sends them (GET too: MSDK tools differ)
//
// The ticket and MSDK routes read small bodies and carry their own 1 MB limit.
func (h *Handler) PublicRoutes(r gin.IRouter) {
	limit := httpapi.LimitBody(httpapi.MaxBodyBytes)
	r.GET("/wxplatform/webauth", h.webauth)
	httpapi.Group{IRouter: r}.ReadJSON("/wxplatform/webauth/ticket", h.ticket, httpapi.Before(limit))
	for _, base := range []string{"/auth/", "/wxoauth/"} {
		for _, p := range []string{"check_token", "check_token/"} {
			r.POST(base+p, limit, h.checkToken)
			r.GET(base+p, limit, h.checkToken)
		}
		for _, p := range []string{"refresh_token", "refresh_token/"} {
			r.POST(base+p, limit, h.refreshToken)
			r.GET(base+p, limit, h.refreshToken)
		}
	}
}

func (h *Handler) webauth(c *gin.Context) {
	q := c.Request.URL.Query()
	appid, scope, redirect := strings.TrimSpace(q.Get("appid")), strings.TrimSpace(q.Get("scope")), strings.TrimSpace(q.Get("redirect"))
	code, state := q.Get("code"), q.Get("state")
	ctx := c.Request.Context()
	c.Header("Cache-Control", "no-store")
	retry := ""
	if appid != "" && scope != "" {
		retry = h.Service.callbackURL(appid, scope, redirect)
	}
	switch {
	case code == "" && state == "":
		u, err := h.Service.AuthorizeURL(ctx, appid, scope, redirect)
		if err != nil {
			fail(c, err, "")
			return
		}
		c.Redirect(http.StatusFound, u)
		return
	case code == "":
		// WeChat comes back with the state alone when the user refuses.
		fail(c, ErrRefused, retry)
		return
	case state == "":
		fail(c, ErrStateInvalid, retry)
		return
	}
	login, err := h.Service.Complete(ctx, appid, scope, redirect, code, state)
	if err != nil {
		fail(c, err, retry)
		return
	}
	if login.Redirect != "" {
		c.Redirect(http.StatusFound, login.Redirect)
		return
	}
	httpapi.OK(c, loginFields(login.OpenID, login.UnionID, login.Profile))
}

// loginFields is the spec's answer: openid, and the profile of snsapi_userinfo (nickname, sex, province,
// city, country, headimgurl, privilege, unionid).
func loginFields(openid, unionid string, p *wxclient.SNSUserInfo) gin.H {
	out := gin.H{"openid": openid}
	if p != nil {
		out["nickname"] = p.Nickname
		out["sex"] = p.Sex
		out["province"] = p.Province
		out["city"] = p.City
		out["country"] = p.Country
		out["headimgurl"] = p.HeadImgURL
		priv := p.Privilege
		if priv == nil {
			priv = []string{}
		}
		out["privilege"] = priv
	}
	if unionid != "" {
		out["unionid"] = unionid
	}
	return out
}

// ticket verifies a redirect's ticket (single use) and answers who logged in:
// {openid, appid, scope, iat, exp, unionid?, and the profile fields for snsapi_userinfo}.
func (h *Handler) ticket(req *httpapi.Request) (httpapi.Answer, error) {
	t, err := req.Body.String("ticket")
	if err != nil {
		return nil, err
	}
	info, err := h.Service.CheckTicket(req.Ctx, strings.TrimSpace(t))
	if err != nil {
		return nil, err
	}
	out := loginFields(info.Claims.OpenID, info.UnionID, info.Profile)
	out["appid"] = info.Claims.AppID
	out["scope"] = info.Claims.Scope
	out["iat"] = info.Claims.IssuedAt
	out["exp"] = info.Claims.Expires
	return httpapi.Fields(out), nil
}

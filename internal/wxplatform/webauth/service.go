// Package webauth is web authorization for the official accounts' own pages (contract §8) and the
// MSDK-style token calls of their backends (contract §9).
//
// GET /wxplatform/webauth?appid&scope[&redirect] sends the WeChat browser to WeChat's authorize page with
// a signed, expiring, single-use state; WeChat sends it back with a code, which the console exchanges for
// the follower's OAuth tokens (kept sealed), reads their profile for snsapi_userinfo, and answers the
// spec's JSON — or redirects to the account's page with a short-lived signed ticket.
package webauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is what the package asks of WeChat; *wxclient.Client implements it.
type WeChat interface {
	AuthorizeURL(appid, redirectURI, scope, state string) (string, error)
	OAuthAccessToken(ctx context.Context, appid, code string) (wxclient.OAuthToken, error)
	OAuthRefreshToken(ctx context.Context, appid, refreshToken string) (wxclient.OAuthToken, error)
	OAuthCheck(ctx context.Context, appid, accessToken, openid string) error
	SNSUserInfo(ctx context.Context, appid, accessToken, openid, lang string) (wxclient.SNSUserInfo, error)
}

var _ WeChat = (*wxclient.Client)(nil)

// Accounts finds the account of a request; *accounts.Service implements it.
type Accounts interface {
	ByAppID(ctx context.Context, appid string) (*accounts.Account, error)
}

// Lifetimes.
const (
	StateTTL  = 10 * time.Minute
	TicketTTL = 5 * time.Minute
)

// Scopes of web authorization.
const (
	ScopeBase     = wxclient.ScopeBase
	ScopeUserInfo = wxclient.ScopeUserInfo
)

// Errors of the package.
var (
	ErrUnknownAppID  = apperr.New(apperr.NotFound, "appid: no official account with this appid is bound here").WithKey("accounts.err.unknown_appid")
	ErrStateInvalid  = apperr.New(apperr.Invalid, "state: is not one this console issued for this request").WithKey("webauth.err.state_invalid")
	ErrStateExpired  = apperr.New(apperr.Invalid, "state: has expired (it lives 10 minutes); start the login again").WithKey("webauth.err.state_expired")
	ErrStateUsed     = apperr.New(apperr.Invalid, "state: was already used; start the login again").WithKey("webauth.err.state_used")
	ErrRefused       = apperr.New(apperr.Forbidden, "the user declined the authorization").WithKey("webauth.err.refused")
	ErrTicketInvalid = apperr.New(apperr.Unauthenticated, "ticket: is invalid").WithKey("webauth.err.ticket_invalid")
	ErrTicketExpired = apperr.New(apperr.Unauthenticated, "ticket: has expired (it lives 5 minutes)").WithKey("webauth.err.ticket_expired")
	ErrTicketUsed    = apperr.New(apperr.Unauthenticated, "ticket: was already used").WithKey("webauth.err.ticket_used")
)

// Options wire a Service. All but Logger and Now are required.
type Options struct {
	DB       *gorm.DB
	Box      *secretbox.Box
	WeChat   WeChat
	Accounts Accounts
	// BaseURL is the console's public URL: WeChat redirects to {BaseURL}/wxplatform/webauth.
	BaseURL string
	Logger  *slog.Logger
	Now     func() time.Time
}

// Service runs web authorizations and the MSDK-style calls.
type Service struct {
	opts     Options
	st       store
	stateKey []byte
	now      func() time.Time
	log      *slog.Logger
}

// New builds the service.
func New(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	return &Service{opts: opts, st: store{db: opts.DB, box: opts.Box}, stateKey: opts.Box.Derive("webauth-state"),
		now: opts.Now, log: opts.Logger}
}

// request is a checked web authorization request.
type request struct {
	acct     *accounts.Account
	scope    string
	redirect string
}

// check validates appid, scope and redirect: the account must be bound here, the scope one of WeChat's
// two, and the redirect (optional) an absolute http(s) URL on one of the account's JS domains.
func (s *Service) check(ctx context.Context, appid, scope, redirect string) (request, error) {
	if appid == "" {
		return request{}, apperr.Missing("appid")
	}
	a, err := s.opts.Accounts.ByAppID(ctx, appid)
	if errors.Is(err, accounts.ErrNotFound) {
		return request{}, ErrUnknownAppID
	}
	if err != nil {
		return request{}, err
	}
	switch scope {
	case "":
		return request{}, apperr.Missing("scope")
	case ScopeBase, ScopeUserInfo:
	default:
		return request{}, apperr.Invalidf("scope", "must be %s or %s", ScopeBase, ScopeUserInfo).WithKey("err.field.either", "scope", ScopeBase, ScopeUserInfo)
	}
	if redirect != "" {
		if err := checkRedirect(a, redirect); err != nil {
			return request{}, err
		}
	}
	return request{acct: a, scope: scope, redirect: redirect}, nil
}

func checkRedirect(a *accounts.Account, redirect string) error {
	u, err := url.Parse(redirect)
	if err != nil || len(redirect) > 2048 || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return apperr.Invalidf("redirect", "must be an absolute http(s) URL").WithKey("err.url.absolute", "redirect")
	}
	if !a.HasJSDomain(u.Host) {
		return apperr.Invalidf("redirect", "%s is not one of the account's JS domains (setJsDomains)", u.Host).WithKey("webauth.err.domain", "redirect", u.Host)
	}
	return nil
}

// callbackURL is the redirect_uri given to WeChat: this endpoint with the request's parameters, which
// WeChat calls back with code and state added.
func (s *Service) callbackURL(appid, scope, redirect string) string {
	q := url.Values{"appid": {appid}, "scope": {scope}}
	if redirect != "" {
		q.Set("redirect", redirect)
	}
	return s.opts.BaseURL + "/wxplatform/webauth?" + q.Encode()
}

// AuthorizeURL answers WeChat's authorize page for the request, with a fresh state.
func (s *Service) AuthorizeURL(ctx context.Context, appid, scope, redirect string) (string, error) {
	r, err := s.check(ctx, appid, scope, redirect)
	if err != nil {
		return "", err
	}
	st := newState(s.stateKey, r.acct.AppID, r.scope, r.redirect, s.now().Add(StateTTL))
	return s.opts.WeChat.AuthorizeURL(r.acct.AppID, s.callbackURL(r.acct.AppID, r.scope, r.redirect), r.scope, st)
}

// Login is a completed web authorization.
type Login struct {
	AppID    string
	OpenID   string
	UnionID  string
	Scope    string
	Profile  *wxclient.SNSUserInfo // snsapi_userinfo only
	Redirect string                // the page to send the browser to, ticket added; "" to answer JSON
}

// Complete finishes the authorization WeChat came back from: it checks and consumes the state, exchanges
// the code, reads the profile for snsapi_userinfo, stores the tokens, and makes the ticket when the
// request has a redirect.
func (s *Service) Complete(ctx context.Context, appid, scope, redirect, code, rawState string) (Login, error) {
	r, err := s.check(ctx, appid, scope, redirect)
	if err != nil {
		return Login{}, err
	}
	now := s.now()
	st, err := parseState(s.stateKey, rawState, r.acct.AppID, r.scope, r.redirect, now)
	if err != nil {
		return Login{}, err
	}
	fresh, err := s.st.consume(ctx, "state:"+st.id, r.acct.ID, st.expires)
	if err != nil {
		return Login{}, err
	}
	if !fresh {
		return Login{}, ErrStateUsed
	}
	tok, err := s.opts.WeChat.OAuthAccessToken(ctx, r.acct.AppID, code)
	if err != nil {
		return Login{}, fmt.Errorf("exchange the code: %w", err)
	}
	login := Login{AppID: r.acct.AppID, OpenID: tok.OpenID, UnionID: tok.UnionID, Scope: r.scope}
	if r.scope == ScopeUserInfo {
		p, err := s.opts.WeChat.SNSUserInfo(ctx, r.acct.AppID, tok.AccessToken, tok.OpenID, wxclient.LangZhCN)
		if err != nil {
			return Login{}, fmt.Errorf("read the profile: %w", err)
		}
		if p.Privilege == nil {
			p.Privilege = []string{}
		}
		if p.UnionID != "" {
			login.UnionID = p.UnionID
		}
		login.Profile = &p
	}
	if tok.Scope == "" {
		tok.Scope = r.scope
	}
	tok.UnionID = login.UnionID
	if err := s.st.saveTokens(ctx, r.acct.ID, tok, login.Profile, false, now); err != nil {
		return Login{}, err
	}
	if r.redirect != "" {
		claims := TicketClaims{V: 1, AppID: r.acct.AppID, OpenID: tok.OpenID, UnionID: login.UnionID, Scope: r.scope,
			IssuedAt: now.Unix(), Expires: now.Add(TicketTTL).Unix(), ID: newTicketID()}
		login.Redirect = withParam(r.redirect, "ticket", SignTicket(r.acct.MsdkKey, claims))
	}
	return login, nil
}

// withParam adds key=value to a URL's query, keeping the rest of it as it was (and its fragment).
func withParam(raw, key, value string) string {
	frag := ""
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw, frag = raw[:i], raw[i:]
	}
	sep := "?"
	if strings.Contains(raw, "?") {
		sep = "&"
		if strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "&") {
			sep = ""
		}
	}
	return raw + sep + url.QueryEscape(key) + "=" + url.QueryEscape(value) + frag
}

// TicketInfo is what the verify endpoint says of a ticket.
type TicketInfo struct {
	Claims  TicketClaims
	Profile *wxclient.SNSUserInfo
	UnionID string
}

// CheckTicket verifies a ticket (signature with the account's msdkKey, expiry) and consumes it, and
// answers who logged in with the profile stored at the authorization.
func (s *Service) CheckTicket(ctx context.Context, ticket string) (TicketInfo, error) {
	if ticket == "" {
		return TicketInfo{}, apperr.Missing("ticket")
	}
	peek, _, _, err := peekTicket(ticket)
	if err != nil {
		return TicketInfo{}, err
	}
	a, err := s.opts.Accounts.ByAppID(ctx, peek.AppID)
	if errors.Is(err, accounts.ErrNotFound) {
		return TicketInfo{}, ErrTicketInvalid
	}
	if err != nil {
		return TicketInfo{}, err
	}
	now := s.now()
	claims, err := VerifyTicket(a.MsdkKey, ticket, now)
	if err != nil {
		return TicketInfo{}, err
	}
	fresh, err := s.st.consume(ctx, "ticket:"+claims.ID, a.ID, time.Unix(claims.Expires, 0))
	if err != nil {
		return TicketInfo{}, err
	}
	if !fresh {
		return TicketInfo{}, ErrTicketUsed
	}
	p, unionid, err := s.st.profile(ctx, a.ID, claims.OpenID)
	if err != nil {
		return TicketInfo{}, err
	}
	if claims.UnionID != "" {
		unionid = claims.UnionID
	}
	if claims.Scope != ScopeUserInfo {
		p = nil
	}
	return TicketInfo{Claims: claims, Profile: p, UnionID: unionid}, nil
}

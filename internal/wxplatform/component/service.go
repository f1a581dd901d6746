// Package component runs the console as a WeChat Open Platform third-party platform ("component",
// contract §15): an official account's administrator scans a QR code and authorizes the console, which
// then acts for the account with authorizer tokens; no AppSecret changes hands.
//
// It keeps the component_verify_ticket WeChat pushes (in Postgres, shared by every process), the
// component_access_token (in the WeChat client's shared credential store: one api_component_token per
// expiry across processes), and gives the WeChat client the authorizer access_token of every component
// account through api_authorizer_token (under the same row lock as any access_token: one refresh per
// expiry). It serves the authorization-event URL, builds the authorization links, and completes an
// authorization from the return URL or the authorized push, whichever comes first, binding once.
package component

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// TicketMaxAge is how long WeChat honours a component_verify_ticket: pushed every 10 minutes, valid 12 h.
const TicketMaxAge = 12 * time.Hour

// Credentials are the component's, from WECHAT_COMPONENT_*.
type Credentials struct {
	AppID          string
	Secret         string
	Token          string
	EncodingAESKey string
}

// Options wire a Service.
type Options struct {
	DB          *gorm.DB
	Box         *secretbox.Box
	WeChat      *wxclient.Client
	Accounts    *accounts.Service
	Credentials Credentials
	BaseURL     string
	Logger      *slog.Logger
	Now         func() time.Time
	// Jobs runs the work pushes start (completing an authorization, the release test's answer) as River
	// jobs; nil runs it on goroutines of this process (tests).
	Jobs *jobs.Queue
	// WorkTimeout bounds the work started by one push (api_query_auth, api_get_authorizer_info, the
	// release test's answer), which runs after the push was answered (default 20 s).
	WorkTimeout time.Duration
}

// Service is the console's component. Create it with New; Close waits for work started by pushes.
type Service struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	cipher *wxcrypto.Cipher
	state  []byte

	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

// Errors of the package.
var (
	// ErrNoTicket: WeChat's ticket pushes are missing or older than 12 h (contract: 50200 wxErrcode 61006).
	ErrNoTicket = &wxclient.Error{Errcode: wxclient.CodeTicketInvalid, Errmsg: "component ticket is invalid: no component_verify_ticket received in the last 12 hours (check the authorization-event URL, then restart the pushes from the settings page)",
		Path: wxclient.PathComponentToken}
	// ErrBadState: the return URL's state is forged, expired, or for another operator.
	ErrBadState = apperr.New(apperr.Invalid, "the authorization link is invalid or expired (10 minutes): start the authorization again").WithKey("component.err.state")
)

// New builds the service. The credentials must be valid (config checks them).
func New(opts Options) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WorkTimeout <= 0 {
		opts.WorkTimeout = 20 * time.Second
	}
	c, err := wxcrypto.NewCipher(opts.Credentials.EncodingAESKey, opts.Credentials.AppID)
	if err != nil {
		return nil, fmt.Errorf("component: WECHAT_COMPONENT_AES_KEY: %w", err)
	}
	s := &Service{opts: opts, log: opts.Logger.With("component", "wxcomponent"), now: opts.Now, cipher: c,
		state: opts.Box.Derive("component-authorize-state")}
	if opts.Jobs != nil {
		if err := s.registerJobs(opts.Jobs); err != nil {
			return nil, fmt.Errorf("component: %w", err)
		}
	}
	return s, nil
}

// AppID answers the component's appid.
func (s *Service) AppID() string { return s.opts.Credentials.AppID }

// Keys answers what the component's message URL needs: token, EncodingAESKey and appid.
func (s *Service) Keys() Credentials {
	c := s.opts.Credentials
	c.Secret = ""
	return c
}

// Close waits for the work pushes started.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
}

// goWork runs fn after a push was answered, bounded by WorkTimeout; Close waits for it.
func (s *Service) goWork(name string, fn func(ctx context.Context)) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.WorkTimeout)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				s.log.ErrorContext(ctx, "component work panicked", "work", name, "panic", r)
			}
		}()
		fn(ctx)
	}()
}

// ComponentAccessToken answers the component_access_token: from memory or Postgres, else fetched by one
// process with the latest ticket.
func (s *Service) ComponentAccessToken(ctx context.Context) (string, error) {
	return s.opts.WeChat.Shared(ctx, s.AppID(), wxclient.KindComponentToken, s.fetchComponentToken)
}

func (s *Service) fetchComponentToken(ctx context.Context, _ string) (string, time.Duration, error) {
	t, err := s.Ticket(ctx)
	if err != nil {
		return "", 0, err
	}
	if t.Value == "" || s.now().Sub(t.ReceivedAt) > TicketMaxAge {
		return "", 0, ErrNoTicket
	}
	c := s.opts.Credentials
	r, err := s.opts.WeChat.ComponentToken(ctx, c.AppID, c.Secret, t.Value)
	if err != nil {
		return "", 0, err
	}
	return r.ComponentAccessToken, wxclient.Seconds(r.ExpiresIn), nil
}

// withToken runs call with the component_access_token, refreshing it once when WeChat rejects it.
func (s *Service) withToken(ctx context.Context, call func(tok string) error) error {
	tok, err := s.ComponentAccessToken(ctx)
	if err != nil {
		return err
	}
	err = call(tok)
	switch wxclient.Code(err) {
	case wxclient.CodeInvalidCredential, wxclient.CodeInvalidAccessToken, wxclient.CodeTokenExpired:
		tok, rerr := s.opts.WeChat.RefreshShared(ctx, s.AppID(), wxclient.KindComponentToken, tok, s.fetchComponentToken)
		if rerr != nil {
			return rerr
		}
		return call(tok)
	}
	return err
}

// AuthorizerAccessToken fetches a component account's access_token with api_authorizer_token
// (wxclient.AuthorizerTokens). It runs under the token row's lock: once per expiry across processes.
// WeChat refusing the refresh token (61023) or the authorization (61003) revokes the account.
func (s *Service) AuthorizerAccessToken(ctx context.Context, appid string) (string, time.Duration, bool, error) {
	isComp, err := s.opts.Accounts.IsComponent(ctx, appid)
	if err != nil || !isComp {
		return "", 0, false, err
	}
	refresh, err := s.opts.Accounts.AuthorizerRefreshToken(ctx, appid)
	if err != nil {
		return "", 0, true, err
	}
	var out wxclient.AuthorizerTokenResponse
	err = s.withToken(ctx, func(tok string) error {
		var err error
		out, err = s.opts.WeChat.AuthorizerToken(ctx, tok, s.AppID(), appid, refresh)
		return err
	})
	if code := wxclient.Code(err); code == wxclient.CodeRefreshTokenInvalid || code == wxclient.CodeComponentNotAuthorized {
		s.log.WarnContext(ctx, "WeChat refused the account's authorization; marking it revoked", "appid", appid, "errcode", code)
		if rerr := s.opts.Accounts.MarkRevoked(context.WithoutCancel(ctx), appid); rerr != nil {
			s.log.WarnContext(ctx, "revoke account", "appid", appid, "err", rerr)
		}
		// This runs under the token row's lock: its tokens are forgotten once the refresh released it.
		s.goWork("forget-revoked", func(ctx context.Context) {
			if err := s.opts.WeChat.Forget(ctx, appid); err != nil {
				s.log.WarnContext(ctx, "forget the revoked account's tokens", "appid", appid, "err", err)
			}
		})
		return "", 0, true, accounts.ErrRevoked
	}
	if err != nil {
		return "", 0, true, err
	}
	if out.AuthorizerRefreshToken != "" && out.AuthorizerRefreshToken != refresh {
		if err := s.opts.Accounts.SetAuthorizerRefreshToken(ctx, appid, out.AuthorizerRefreshToken); err != nil {
			s.log.WarnContext(ctx, "keep the rotated refresh token", "appid", appid, "err", err)
		}
	}
	return out.AuthorizerAccessToken, wxclient.Seconds(out.ExpiresIn), true, nil
}

// StartPushTicket asks WeChat to push a ticket again now (the settings page's button).
func (s *Service) StartPushTicket(ctx context.Context) error {
	c := s.opts.Credentials
	return s.opts.WeChat.StartPushTicket(ctx, c.AppID, c.Secret)
}

// OAuthAccessToken exchanges a web-OAuth code of a component account through
// sns/oauth2/component/access_token.
func (s *Service) OAuthAccessToken(ctx context.Context, appid, code string) (wxclient.OAuthToken, error) {
	var out wxclient.OAuthToken
	err := s.withToken(ctx, func(tok string) error {
		var err error
		out, err = s.opts.WeChat.ComponentOAuthAccessToken(ctx, appid, code, s.AppID(), tok)
		return err
	})
	return out, err
}

// Status is what the settings page shows of the component.
type Status struct {
	AppID string `json:"appid"`
	// TicketAgeSeconds is the age of the latest ticket; -1 when none was ever received.
	TicketAgeSeconds int64 `json:"ticketAgeSeconds"`
	// PushesMissing is true when no ticket arrived in the last 12 hours: component calls fail (61006).
	PushesMissing bool   `json:"pushesMissing"`
	EventURL      string `json:"eventUrl"`
	MessageURL    string `json:"messageUrl"`
}

// Status answers the ticket's health and the URLs to configure on the Open Platform.
func (s *Service) Status(ctx context.Context) (Status, error) {
	st := Status{AppID: s.AppID(), TicketAgeSeconds: -1, PushesMissing: true,
		EventURL:   s.opts.BaseURL + "/wxplatform/component/events",
		MessageURL: s.opts.BaseURL + "/wxplatform/component/callback/$APPID$"}
	t, err := s.Ticket(ctx)
	if err != nil {
		return st, err
	}
	if t.Value != "" {
		age := s.now().Sub(t.ReceivedAt)
		st.TicketAgeSeconds = max(int64(age/time.Second), 0)
		st.PushesMissing = age > TicketMaxAge
	}
	return st, nil
}

// isWeChatDown reports failures of WeChat itself (unreachable, timeout, busy), after which an
// authorization is left for the authorized push to complete.
func isWeChatDown(err error) bool {
	if wxclient.Code(err) == wxclient.CodeBusy {
		return true
	}
	k := apperr.KindOf(err)
	var we *wxclient.Error
	return !errors.As(err, &we) && (k == apperr.Upstream || k == apperr.UpstreamTimeout)
}

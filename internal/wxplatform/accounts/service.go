package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/secretbox"
)

// CredentialChecker proves an AppID/AppSecret pair by fetching an access_token from WeChat (the WeChat
// client implements it). Its errors carry WeChat's errcode.
type CredentialChecker interface {
	CheckCredentials(ctx context.Context, appid, secret string) error
}

// TokenHealth is what the operator sees of an account's WeChat access_token.
type TokenHealth = domain.TokenHealth

// HealthReader reads TokenHealth (the token store implements it).
type HealthReader interface {
	TokenHealth(ctx context.Context, appid string) (TokenHealth, error)
}

// Forgetter is told when an account is unbound or its credentials change, so cached tokens go too.
type Forgetter interface {
	Forget(ctx context.Context, appid string) error
}

// Options wires the service.
type Options struct {
	BaseURL string
	Checker CredentialChecker
	Health  HealthReader
	Forget  Forgetter
	// Tokens proves a component account's authorization still holds by getting its access_token (the
	// page's "check" button); optional.
	Tokens AccessTokener
	Logger *slog.Logger
	// Bound is told of every account bound for the first time (the statistics queue its backfill); its
	// failure is logged, the binding stands.
	Bound func(ctx context.Context, a *Account) error
	// Authorize checks the operator's role on the resolved account against the route in ctx (contract
	// §14; teams.CheckContext); nil allows every member.
	Authorize func(ctx context.Context, role domain.Role) error
	// CacheTTL bounds how stale ByAppID may be while the database answers (default 3 s). When the
	// database does not answer, the last known account is used whatever its age: the callback must not
	// fail because Postgres is restarting.
	CacheTTL time.Duration
}

// Service binds and looks up official accounts.
type Service struct {
	store store
	opts  Options

	mu    sync.RWMutex
	cache map[string]cached
}

type cached struct {
	acct *Account // nil: known not to exist
	at   time.Time
}

// NewService builds the service.
func NewService(db *gorm.DB, box *secretbox.Box, opts Options) *Service {
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = 3 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{store: store{db: db, box: box}, opts: opts, cache: map[string]cached{}}
}

// CallbackURL is where WeChat must send an account's messages.
func (s *Service) CallbackURL(appid string) string {
	return s.opts.BaseURL + "/wxplatform/callback/" + appid
}

// Bind checks the credentials with WeChat and stores the account for the operator. Binding an appid the
// operator already bound updates its credentials; one bound by someone else is a conflict.
func (s *Service) Bind(ctx context.Context, userID int64, in BindInput) (*Account, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	// The credentials first: "already bound" would otherwise tell anyone which appids this console
	// serves; only a caller who proves the AppSecret may learn it.
	if s.opts.Checker != nil {
		if err := s.opts.Checker.CheckCredentials(ctx, in.AppID, in.Secret); err != nil {
			return nil, fmt.Errorf("check credentials: %w", err)
		}
	}
	existing, err := s.store.byAppID(ctx, in.AppID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if existing != nil && existing.UserID != userID {
		return nil, ErrAlreadyBound
	}
	if existing != nil {
		before := auditView(*existing)
		existing.Secret, existing.Token, existing.EncodingAESKey = in.Secret, in.Token, in.EncodingAESKey
		// Binding by AppSecret takes over from an authorization, revoked or not.
		existing.Mode, existing.Status = ModeSecret, StatusActive
		if in.Name != "" {
			existing.Name = in.Name
		}
		if err := s.store.inTx(ctx, func(st *store, tx *gorm.DB) error {
			if err := st.update(ctx, existing); err != nil {
				return err
			}
			return recordAccount(ctx, tx, "authorize", existing, audit.Diff(before, auditView(*existing)), in.Secret, in.Token, in.EncodingAESKey)
		}); err != nil {
			return nil, err
		}
		s.invalidate(in.AppID)
		return existing, nil
	}
	a := &Account{UserID: userID, Mode: ModeSecret, Status: StatusActive, AppID: in.AppID, Name: in.Name, Secret: in.Secret, Token: in.Token,
		EncodingAESKey: in.EncodingAESKey, MsdkKey: newMsdkKey(), JSDomains: []string{}}
	if a.Name == "" {
		a.Name = in.AppID
	}
	if err := s.store.inTx(ctx, func(st *store, tx *gorm.DB) error {
		if err := st.insert(ctx, a); err != nil {
			return err
		}
		return recordAccount(ctx, tx, "authorize", a, audit.Created(auditView(*a)), in.Secret, in.Token, in.EncodingAESKey, a.MsdkKey)
	}); err != nil {
		return nil, err
	}
	s.invalidate(in.AppID)
	s.opts.Logger.Info("official account bound", "appid", a.AppID, "user_id", userID)
	if s.opts.Bound != nil {
		if err := s.opts.Bound(ctx, a); err != nil {
			s.opts.Logger.Warn("after binding", "appid", a.AppID, "err", err)
		}
	}
	return a, nil
}

func newMsdkKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// List answers the operator's accounts, oldest first.
func (s *Service) List(ctx context.Context, userID int64) ([]*Account, error) {
	return s.store.byUser(ctx, userID)
}

// Resolve picks the account an API call acts on: the given appid, of which the operator must be a member
// (contract §14), or without one the first account the operator is a member of. When ctx carries the
// route being called (httpapi.WithRoute), Options.Authorize checks the operator's role against it.
func (s *Service) Resolve(ctx context.Context, userID int64, appid string) (*Account, error) {
	a, role, err := s.ResolveRole(ctx, userID, appid)
	if err != nil {
		return nil, err
	}
	if s.opts.Authorize != nil {
		if err := s.opts.Authorize(ctx, role); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// ResolveRole is Resolve without the route check, also answering the operator's role on the account.
func (s *Service) ResolveRole(ctx context.Context, userID int64, appid string) (*Account, domain.Role, error) {
	var a *Account
	if appid == "" {
		list, err := s.store.byUser(ctx, userID)
		if err != nil {
			return nil, "", err
		}
		if len(list) == 0 {
			return nil, "", ErrNoAccount
		}
		a = list[0]
	} else {
		var err error
		a, err = s.ByAppID(ctx, appid)
		if errors.Is(err, ErrNotFound) {
			// An appid that nobody bound is, to this operator, just as forbidden as someone else's.
			return nil, "", ErrNotYours
		}
		if err != nil {
			return nil, "", err
		}
	}
	role, err := s.store.role(ctx, a.ID, userID)
	if err != nil {
		return nil, "", err
	}
	if role == "" {
		return nil, "", ErrNotYours
	}
	return a, role, nil
}

// Role answers the operator's role on the account; "" when not a member.
func (s *Service) Role(ctx context.Context, accountID, userID int64) (domain.Role, error) {
	return s.store.role(ctx, accountID, userID)
}

// ByAppID answers an account whoever bound it, for WeChat's callers (callback, webauth, MSDK). It is
// cached for CacheTTL, and served stale when the database is unreachable.
func (s *Service) ByAppID(ctx context.Context, appid string) (*Account, error) {
	s.mu.RLock()
	c, ok := s.cache[appid]
	s.mu.RUnlock()
	if ok && time.Since(c.at) < s.opts.CacheTTL {
		if c.acct == nil {
			return nil, ErrNotFound
		}
		return c.acct, nil
	}
	a, err := s.store.byAppID(ctx, appid)
	switch {
	case err == nil:
		s.put(appid, a)
		return a, nil
	case errors.Is(err, ErrNotFound):
		s.put(appid, nil)
		return nil, ErrNotFound
	case ok && c.acct != nil:
		// Keep serving the last known account and ask the database again only after another CacheTTL,
		// so an outage does not add a failing round trip to every callback.
		s.put(appid, c.acct)
		s.opts.Logger.Warn("database unavailable, using the cached account", "appid", appid, "err", err)
		return c.acct, nil
	default:
		return nil, err
	}
}

func (s *Service) put(appid string, a *Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cache) > 10000 {
		s.cache = map[string]cached{}
	}
	s.cache[appid] = cached{acct: a, at: time.Now()}
}

func (s *Service) invalidate(appid string) {
	s.mu.Lock()
	delete(s.cache, appid)
	s.mu.Unlock()
}

// Unbind removes the operator's account and everything kept for it.
func (s *Service) Unbind(ctx context.Context, userID int64, appid string) error {
	a, err := s.Resolve(ctx, userID, appid)
	if err != nil {
		return err
	}
	if err := s.store.inTx(ctx, func(st *store, tx *gorm.DB) error {
		if err := st.delete(ctx, a.ID); err != nil {
			return err
		}
		return recordAccount(ctx, tx, "unauthorize", a, audit.Deleted(auditView(*a)))
	}); err != nil {
		return err
	}
	s.invalidate(a.AppID)
	if s.opts.Forget != nil {
		if err := s.opts.Forget.Forget(ctx, a.AppID); err != nil {
			s.opts.Logger.Warn("forget tokens", "appid", a.AppID, "err", err)
		}
	}
	s.opts.Logger.Info("official account unbound", "appid", a.AppID, "user_id", userID)
	return nil
}

// SetJSDomains replaces the account's JS domains (hosts that may ask for a JSSDK signature without an
// access_token, and that webauth may redirect back to).
func (s *Service) SetJSDomains(ctx context.Context, userID int64, appid string, domains []string) (*Account, error) {
	clean, err := ValidateJSDomains(domains)
	if err != nil {
		return nil, err
	}
	a, err := s.Resolve(ctx, userID, appid)
	if err != nil {
		return nil, err
	}
	a2 := *a
	a2.JSDomains = clean
	if err := s.store.inTx(ctx, func(st *store, tx *gorm.DB) error {
		if err := st.update(ctx, &a2); err != nil {
			return err
		}
		return recordAccount(ctx, tx, "setJsDomains", &a2, audit.Diff(auditView(*a), auditView(a2)))
	}); err != nil {
		return nil, err
	}
	s.invalidate(a.AppID)
	return &a2, nil
}

// RotateMsdkKey replaces the account's MSDK key; signatures made with the old one stop working.
func (s *Service) RotateMsdkKey(ctx context.Context, userID int64, appid string) (*Account, error) {
	a, err := s.Resolve(ctx, userID, appid)
	if err != nil {
		return nil, err
	}
	a2 := *a
	a2.MsdkKey = newMsdkKey()
	if err := s.store.inTx(ctx, func(st *store, tx *gorm.DB) error {
		if err := st.update(ctx, &a2); err != nil {
			return err
		}
		return recordAccount(ctx, tx, "rotateMsdkKey", &a2, audit.Diff(auditView(*a), auditView(a2)), a.MsdkKey, a2.MsdkKey)
	}); err != nil {
		return nil, err
	}
	s.invalidate(a.AppID)
	return &a2, nil
}

// View is an account as the API shows it: never the AppSecret or EncodingAESKey.
type View struct {
	AppID       string      `json:"appid"`
	Name        string      `json:"name"`
	CallbackURL string      `json:"callbackUrl"`
	MsdkKey     string      `json:"msdkKey"`
	JSDomains   []string    `json:"jsDomains"`
	SafeMode    bool        `json:"encrypted"`
	Token       TokenHealth `json:"token"`
	// Contract §15: how the account is bound, whether the binding holds, and the permission sets granted
	// (component mode; empty for an AppSecret binding, which has every permission of its account type).
	Mode      string `json:"mode"`
	Status    string `json:"status"`
	FuncScope []int  `json:"funcscope"`
	// Role is the caller's role on the account (contract §14).
	Role domain.Role `json:"role"`
}

// Views answers the operator's accounts as the API shows them.
func (s *Service) Views(ctx context.Context, userID int64) ([]View, error) {
	list, err := s.List(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(list))
	for _, a := range list {
		v := View{AppID: a.AppID, Name: a.Name, CallbackURL: s.CallbackURL(a.AppID), MsdkKey: a.MsdkKey,
			JSDomains: a.JSDomains, SafeMode: a.EncodingAESKey != "", Mode: string(a.Mode), Status: string(a.Status), FuncScope: a.FuncScope}
		if a.Mode == ModeComponent {
			v.CallbackURL, v.SafeMode = s.ComponentCallbackURL(a.AppID), true
		}
		if v.FuncScope == nil {
			v.FuncScope = []int{}
		}
		if v.Role, err = s.store.role(ctx, a.ID, userID); err != nil {
			return nil, err
		}
		if !v.Role.AtLeast(domain.RoleAdmin) {
			v.MsdkKey = "" // a signing secret: viewers, agents and editors read everything but secrets (§14)
		}
		if s.opts.Health != nil {
			if h, err := s.opts.Health.TokenHealth(ctx, a.AppID); err == nil {
				v.Token = h
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// Check proves the stored credentials still work by fetching an access_token (the page's "check" button).
func (s *Service) Check(ctx context.Context, a *Account) error {
	if a.Mode == ModeComponent {
		if s.opts.Tokens == nil {
			return nil
		}
		if _, err := s.opts.Tokens.AccessToken(ctx, a.AppID); err != nil {
			return fmt.Errorf("check authorization: %w", err)
		}
		return nil
	}
	if s.opts.Checker == nil {
		return nil
	}
	if err := s.opts.Checker.CheckCredentials(ctx, a.AppID, a.Secret); err != nil {
		return fmt.Errorf("check credentials: %w", err)
	}
	return nil
}

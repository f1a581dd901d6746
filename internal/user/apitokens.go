package user

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
)

// API tokens for scripts (contract §14): named, a fixed lifetime of 1–365 days (never renewed by use),
// revocable, only their SHA-256 stored. They authenticate like an access token and act as their operator,
// except that they may not create API tokens or change the password (domain.Principal.APIToken).

// apiTokenPrefix tells an API token from a session's access token before any lookup.
const apiTokenPrefix = "sit_"

// Limits of API tokens.
const (
	APITokenDefaultDays = 90
	APITokenMaxDays     = 365
	maxAPITokenName     = 64
	maxAPITokens        = 100 // per operator, live ones
)

// Errors of API tokens.
var (
	ErrAPITokenForbidden = apperr.New(apperr.Forbidden, "an API token cannot do this: log in with your password").WithKey("err.apitoken.forbidden")
	ErrAPITokenNotFound  = apperr.New(apperr.NotFound, "id: no such API token").WithKey("err.apitoken.not_found")
	ErrAPITokenTooMany   = apperr.New(apperr.Invalid, "too many API tokens: revoke one first").WithKey("err.apitoken.too_many")
)

// APIToken is an API token as listed: never its secret.
type APIToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

// NewAPIToken is a freshly created token: Token is shown this once.
type NewAPIToken struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// CreateAPIToken makes an API token for the operator; days 0 means the default (90).
func (s *Service) CreateAPIToken(ctx context.Context, p domain.Principal, name string, days int) (NewAPIToken, error) {
	if p.APIToken {
		return NewAPIToken{}, ErrAPITokenForbidden
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return NewAPIToken{}, apperr.Missing("name")
	case utf8.RuneCountInString(name) > maxAPITokenName || !utf8.ValidString(name):
		return NewAPIToken{}, apperr.Invalidf("name", "must be at most %d characters", maxAPITokenName).WithKey("err.apitoken.name")
	}
	if days == 0 {
		days = APITokenDefaultDays
	}
	if days < 1 || days > APITokenMaxDays {
		return NewAPIToken{}, apperr.Invalidf("expiresInDays", "must be between 1 and %d", APITokenMaxDays).WithKey("err.apitoken.days")
	}
	now := s.now().UTC()
	var live int64
	if err := s.store.q(ctx).Raw(`SELECT count(*) FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
		p.UserID, now).Scan(&live).Error; err != nil {
		return NewAPIToken{}, fmt.Errorf("count api tokens: %w", err)
	}
	if live >= maxAPITokens {
		return NewAPIToken{}, ErrAPITokenTooMany
	}
	plain, hash := newToken()
	plain = apiTokenPrefix + plain
	hash = hashToken(plain)
	out := NewAPIToken{Name: name, Token: plain, ExpiresAt: now.Add(time.Duration(days) * 24 * time.Hour)}
	if err := s.store.q(ctx).Raw(`INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		p.UserID, name, hash, now, out.ExpiresAt).Scan(&out.ID).Error; err != nil {
		return NewAPIToken{}, fmt.Errorf("create api token: %w", err)
	}
	s.log.InfoContext(ctx, "api token created", "user_id", p.UserID, "api_token_id", out.ID)
	return out, nil
}

// ListAPITokens answers the operator's tokens that are neither revoked nor expired, newest first.
func (s *Service) ListAPITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	out := []APIToken{}
	err := s.store.q(ctx).Raw(`SELECT id, name, created_at, expires_at, last_used_at FROM api_tokens
WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY id DESC`, userID, s.now().UTC()).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken revokes one of the operator's tokens: it stops working at once.
func (s *Service) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	res := s.store.q(ctx).Exec(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`,
		s.now().UTC(), id, userID)
	if res.Error != nil {
		return fmt.Errorf("revoke api token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrAPITokenNotFound
	}
	s.log.InfoContext(ctx, "api token revoked", "user_id", userID, "api_token_id", id)
	return nil
}

// authenticateAPISQL resolves an API token: one statement on its unique hash. lastUsedAt is written at
// most once a minute; the expiry never moves.
const authenticateAPISQL = `
WITH touched AS (
    UPDATE api_tokens SET last_used_at = @now
    WHERE token_hash = @hash AND revoked_at IS NULL AND expires_at > @now
      AND (last_used_at IS NULL OR last_used_at < @staleBefore)
)
SELECT u.id, u.username, u.email, u.language
FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = @hash AND t.revoked_at IS NULL AND t.expires_at > @now`

func (s *Service) authenticateAPIToken(ctx context.Context, token string) (domain.Principal, error) {
	now := s.now().UTC()
	var p principalRow
	res := s.store.q(ctx).Raw(authenticateAPISQL, map[string]any{"hash": hashToken(token), "now": now, "staleBefore": now.Add(-renewEvery)}).Scan(&p)
	if res.Error != nil {
		return domain.Principal{}, fmt.Errorf("authenticate: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return domain.Principal{}, ErrUnauthenticated
	}
	return domain.Principal{UserID: p.ID, Username: p.Username, Email: p.Email, Language: p.Language, APIToken: true}, nil
}

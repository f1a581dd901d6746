package wxclient

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
)

// CredentialSource answers an account's AppSecret when a token must be fetched.
type CredentialSource interface {
	Credentials(ctx context.Context, appid string) (secret string, err error)
}

// CredentialFunc adapts a function to CredentialSource.
type CredentialFunc func(ctx context.Context, appid string) (string, error)

// Credentials calls f.
func (f CredentialFunc) Credentials(ctx context.Context, appid string) (string, error) {
	return f(ctx, appid)
}

// CheckCredentials proves an AppID/AppSecret pair by fetching an access_token with it (the accounts
// service's CredentialChecker). The token is kept as the account's current one rather than wasted: fetching it
// already invalidated the previous one at WeChat.
func (c *Client) CheckCredentials(ctx context.Context, appid, secret string) error {
	if err := checkAppID(appid); err != nil {
		return err
	}
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return apperr.Missing("secret")
	}
	if c.opts.DB == nil || c.opts.Box == nil {
		_, err := c.newToken(ctx, appid, secret, "")
		return err
	}
	var out cacheEntry
	// Under the row's lock, so that a refresh running elsewhere with the old secret cannot write its
	// token over this one.
	err := c.opts.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := lockRow(tx, appid, kindAccessToken); err != nil {
			return err
		}
		f, err := c.newToken(ctx, appid, secret, "")
		if err != nil {
			return err
		}
		sealed, err := c.opts.Box.SealFor(credentialBound(appid, string(kindAccessToken)), f.value)
		if err != nil {
			return fmt.Errorf("seal access_token of %s: %w", appid, err)
		}
		now := c.now()
		out = cacheEntry{value: f.value, expiresAt: now.Add(f.expiresIn),
			refreshAt: now.Add(fractionOf(f.expiresIn, c.opts.RefreshAt))}
		return saveFetched(tx, appid, kindAccessToken, sealed, now, out.refreshAt, out.expiresAt)
	})
	if err != nil {
		return err
	}
	c.remember(appid, kindAccessToken, out)
	return nil
}

// TokenHealth answers how the account's access_token fares (the accounts service's HealthReader): its age, how many
// times it was fetched, and the last refresh failure when none succeeded since.
func (c *Client) TokenHealth(ctx context.Context, appid string) (domain.TokenHealth, error) {
	if c.opts.DB == nil {
		return domain.TokenHealth{}, apperr.Wrap(apperr.Internal, ErrNotConfigured.Msg, errNoDB)
	}
	row, err := loadRow(ctx, c.opts.DB, appid, kindAccessToken)
	if err != nil || row == nil {
		return domain.TokenHealth{}, err
	}
	h := domain.TokenHealth{Refreshes: row.Refreshes}
	if row.FetchedAt != nil {
		h.AgeSeconds = max(int64(c.now().Sub(*row.FetchedAt).Seconds()), 0)
	}
	if row.LastErrorAt != nil && (row.FetchedAt == nil || row.LastErrorAt.After(*row.FetchedAt)) {
		h.LastError = row.LastError
	}
	return h, nil
}

// Forget drops the account's token and ticket, here and in Postgres (the accounts service's Forgetter), when it is
// unbound or its credentials change. Other processes keep theirs in memory until their refresh time at
// most; by then the account is gone from their lookups too.
func (c *Client) Forget(ctx context.Context, appid string) error {
	c.forgetCached(appid)
	if c.opts.DB == nil {
		return nil
	}
	return deleteRows(ctx, c.opts.DB, appid)
}

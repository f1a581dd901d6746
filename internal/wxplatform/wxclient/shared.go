package wxclient

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// AuthorizerTokens fetches access_tokens for accounts bound through the third-party platform (contract
// §15): the component package implements it with api_authorizer_token. handled is false for an account
// bound with its AppSecret, which the client then serves as usual. The call runs under the token row's
// lock, so one process at a time fetches, once per expiry.
type AuthorizerTokens interface {
	AuthorizerAccessToken(ctx context.Context, appid string) (token string, expiresIn time.Duration, handled bool, err error)
}

type authorizersBox struct{ a AuthorizerTokens }

// SetAuthorizers installs the source of component accounts' tokens. With it, AccessToken (and every call
// that takes an access_token: followers, menus, materials, QR codes, the jsapi_ticket) works the same for
// an account whichever way it was bound. Call it while wiring, before serving.
func (c *Client) SetAuthorizers(a AuthorizerTokens) {
	c.authz.Store(&authorizersBox{a: a})
}

func (c *Client) authorizers() AuthorizerTokens {
	if b := c.authz.Load(); b != nil {
		return b.a
	}
	return nil
}

// Kinds of credential the shared store keeps beside accounts' access_tokens and jsapi_tickets.
const (
	// KindComponentToken is the component_access_token, keyed by the component's appid.
	KindComponentToken = string(kindComponentToken)
)

const kindComponentToken kind = "component_token"

// FetchFunc fetches a new value of a shared credential from WeChat; failed is the value WeChat just
// rejected ("" for a refresh ahead of expiry).
type FetchFunc func(ctx context.Context, failed string) (value string, expiresIn time.Duration, err error)

// Shared answers a credential kept like the accounts' access_tokens (Postgres, sealed, one refresh per
// expiry across every process, an in-memory cache in front): the component_access_token uses it.
func (c *Client) Shared(ctx context.Context, key, kindName string, fetch FetchFunc) (string, error) {
	k := kind(kindName)
	if v, ok := c.cached(key, k); ok {
		return v, nil
	}
	return c.obtain(ctx, key, k, "", adapt(fetch))
}

// RefreshShared answers a value to use instead of failed, which WeChat rejected; when another process
// already replaced it, that value is used and WeChat is not asked again.
func (c *Client) RefreshShared(ctx context.Context, key, kindName, failed string, fetch FetchFunc) (string, error) {
	k := kind(kindName)
	c.mu.Lock()
	if e, ok := c.cache[cacheKey{key, k}]; ok && e.value == failed {
		delete(c.cache, cacheKey{key, k})
	}
	c.mu.Unlock()
	return c.obtain(ctx, key, k, failed, adapt(fetch))
}

// PutAccessToken offers an access_token WeChat handed out outside a refresh (api_query_auth answers the
// authorizer's first one) as the account's current token. A current token already stored wins: the same
// authorization completed twice at once (return URL and push) must leave every process using one token.
func (c *Client) PutAccessToken(ctx context.Context, appid, token string, expiresIn time.Duration) error {
	if err := checkAppID(appid); err != nil {
		return err
	}
	if c.opts.DB == nil || c.opts.Box == nil {
		return errNoDB
	}
	if expiresIn <= 0 {
		expiresIn = defaultExpiresIn * time.Second
	}
	sealed, err := c.opts.Box.SealFor(credentialBound(appid, string(kindAccessToken)), token)
	if err != nil {
		return fmt.Errorf("seal access_token of %s: %w", appid, err)
	}
	now := c.now()
	out := cacheEntry{value: token, expiresAt: now.Add(expiresIn), refreshAt: now.Add(fractionOf(expiresIn, c.opts.RefreshAt))}
	err = c.opts.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := lockRow(tx, appid, kindAccessToken)
		if err != nil {
			return err
		}
		if e, ok := c.open(row); ok && now.Before(e.refreshAt) {
			out = e
			return nil
		}
		return saveFetched(tx, appid, kindAccessToken, sealed, now, out.refreshAt, out.expiresAt)
	})
	if err != nil {
		return err
	}
	c.forgetCached(appid)
	c.remember(appid, kindAccessToken, out)
	return nil
}

// ForgetShared drops a shared credential here and in Postgres.
func (c *Client) ForgetShared(ctx context.Context, key, kindName string) error {
	c.mu.Lock()
	delete(c.cache, cacheKey{key, kind(kindName)})
	c.mu.Unlock()
	if c.opts.DB == nil {
		return nil
	}
	return c.opts.DB.WithContext(ctx).Where("appid = ? AND kind = ?", key, kindName).Delete(&credentialRow{}).Error
}

func adapt(f FetchFunc) fetcher {
	return func(ctx context.Context, failed string) (fetched, error) {
		v, d, err := f(ctx, failed)
		if err != nil {
			return fetched{}, err
		}
		if d <= 0 {
			d = defaultExpiresIn * time.Second
		}
		return fetched{value: v, expiresIn: d}, nil
	}
}

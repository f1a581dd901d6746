package wxclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// errorRetry is how long a process keeps using a still valid token after a refresh failed, before it
// tries to refresh again.
const errorRetry = 30 * time.Second

type cacheKey struct {
	appid string
	kind  kind
}

type cacheEntry struct {
	value     string
	refreshAt time.Time
	expiresAt time.Time
}

// fetched is a value WeChat just handed out.
type fetched struct {
	value     string
	expiresIn time.Duration
}

// fetcher asks WeChat for a new value; failed is the value WeChat just rejected ("" for a refresh ahead
// of expiry).
type fetcher func(ctx context.Context, failed string) (fetched, error)

// AccessToken answers the account's base access_token: from memory while it is fresh (no I/O at all),
// else from Postgres, else fetched from WeChat by exactly one process.
func (c *Client) AccessToken(ctx context.Context, appid string) (string, error) {
	if v, ok := c.cached(appid, kindAccessToken); ok {
		return v, nil
	}
	if err := checkAppID(appid); err != nil {
		return "", err
	}
	return c.obtain(ctx, appid, kindAccessToken, "", c.fetchAccessToken(appid))
}

// JSAPITicket answers the account's jsapi_ticket for JS-SDK signatures, kept like the access_token.
func (c *Client) JSAPITicket(ctx context.Context, appid string) (string, error) {
	if v, ok := c.cached(appid, kindJSAPITicket); ok {
		return v, nil
	}
	if err := checkAppID(appid); err != nil {
		return "", err
	}
	// Have the access_token at hand before the ticket's row is locked: fetching both under one lock
	// would need two connections of the pool at once.
	if _, err := c.AccessToken(ctx, appid); err != nil {
		return "", err
	}
	return c.obtain(ctx, appid, kindJSAPITicket, "", c.fetchTicket(appid))
}

// refreshAccessToken answers a token to use instead of failed, which WeChat rejected. When another
// caller or process already replaced it, that token is used and WeChat is not asked again.
func (c *Client) refreshAccessToken(ctx context.Context, appid, failed string) (string, error) {
	c.mu.Lock()
	if e, ok := c.cache[cacheKey{appid, kindAccessToken}]; ok && e.value == failed {
		delete(c.cache, cacheKey{appid, kindAccessToken})
	}
	c.mu.Unlock()
	return c.obtain(ctx, appid, kindAccessToken, failed, c.fetchAccessToken(appid))
}

func (c *Client) cached(appid string, k kind) (string, bool) {
	c.mu.RLock()
	e, ok := c.cache[cacheKey{appid, k}]
	c.mu.RUnlock()
	if ok && c.now().Before(e.refreshAt) {
		return e.value, true
	}
	return "", false
}

func (c *Client) remember(appid string, k kind, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cache) > 10000 {
		clear(c.cache)
	}
	c.cache[cacheKey{appid, k}] = e
}

func (c *Client) forgetCached(appid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cache, cacheKey{appid, kindAccessToken})
	delete(c.cache, cacheKey{appid, kindJSAPITicket})
}

// obtain runs one load per (kind, appid, failed) at a time in this process; concurrent callers share its
// answer. The load runs on its own deadline, so one caller giving up does not fail the others; each
// caller still stops waiting when its own context ends.
func (c *Client) obtain(ctx context.Context, appid string, k kind, failed string, fetch fetcher) (string, error) {
	if c.opts.DB == nil || c.opts.Box == nil || c.opts.Credentials == nil {
		return "", apperr.Wrap(apperr.Internal, ErrNotConfigured.Msg, errNoDB)
	}
	key := string(k) + "|" + appid + "|" + failed
	ch := c.flights.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 4*c.opts.Timeout+10*time.Second)
		defer cancel()
		return c.load(fctx, appid, k, failed, fetch)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", fmt.Errorf("wait for %s of %s: %w", k, appid, ctx.Err())
	}
}

// load answers a usable value from Postgres, or fetches one under the row's lock.
func (c *Client) load(ctx context.Context, appid string, k kind, failed string, fetch fetcher) (string, error) {
	// Most of the time another process (or an earlier run) already has a good value: read without a lock.
	row, err := loadRow(ctx, c.opts.DB, appid, k)
	if err != nil {
		return "", err
	}
	if e, ok := c.usable(row, failed, c.now()); ok {
		c.remember(appid, k, e)
		return e.value, nil
	}

	var (
		out      cacheEntry
		fetchErr error
	)
	err = c.opts.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row, err := lockRow(tx, appid, k)
		if err != nil {
			return err
		}
		now := c.now()
		// Read again under the lock: a process that waited here uses what the other one fetched.
		if e, ok := c.usable(row, failed, now); ok {
			out = e
			return nil
		}
		f, err := fetch(ctx, failed)
		c.observeRefresh(appid, k, err)
		if err != nil {
			if !recordable(err) {
				return err
			}
			fetchErr = err
			if failed == "" {
				if e, ok := c.open(row); ok && now.Before(e.expiresAt) {
					// WeChat failed, but the current value lives on: use it and try again a bit later.
					e.refreshAt = minTime(now.Add(errorRetry), e.expiresAt)
					out = e
				}
			}
			return saveError(tx, appid, k, describe(err), now)
		}
		sealed, err := c.opts.Box.SealFor(credentialBound(appid, string(k)), f.value)
		if err != nil {
			return fmt.Errorf("seal %s of %s: %w", k, appid, err)
		}
		refreshAt := now.Add(fractionOf(f.expiresIn, c.opts.RefreshAt))
		expiresAt := now.Add(f.expiresIn)
		if err := saveFetched(tx, appid, k, sealed, now, refreshAt, expiresAt); err != nil {
			return err
		}
		out = cacheEntry{value: f.value, refreshAt: refreshAt, expiresAt: expiresAt}
		c.log.InfoContext(ctx, "wechat credential refreshed", "appid", appid, "kind", string(k), "expires_in", f.expiresIn, "replacing_rejected", failed != "")
		return nil
	})
	if err != nil {
		return "", err
	}
	if out.value == "" {
		c.log.WarnContext(ctx, "wechat credential refresh failed", "appid", appid, "kind", string(k), "err", fetchErr)
		return "", fetchErr
	}
	if fetchErr != nil {
		c.log.WarnContext(ctx, "wechat credential refresh failed, using the current one until it expires", "appid", appid,
			"kind", string(k), "expires_at", out.expiresAt, "err", fetchErr)
	}
	c.remember(appid, k, out)
	return out.value, nil
}

// usable answers the row's value when it can be used: before its refresh time, or, replacing a rejected
// value, any other value that has not expired.
func (c *Client) usable(row *credentialRow, failed string, now time.Time) (cacheEntry, bool) {
	e, ok := c.open(row)
	if !ok {
		return e, false
	}
	if failed == "" {
		return e, now.Before(e.refreshAt)
	}
	return e, e.value != failed && now.Before(e.expiresAt)
}

func (c *Client) open(row *credentialRow) (cacheEntry, bool) {
	if row == nil || row.ValueEnc == "" {
		return cacheEntry{}, false
	}
	v, err := c.opts.Box.OpenFor(credentialBound(row.AppID, row.Kind), row.ValueEnc)
	if err != nil || v == "" {
		// Sealed under another SECRET_KEY: fetching a new one is the way out.
		c.log.Warn("stored wechat credential cannot be opened; fetching a new one", "appid", row.AppID, "kind", row.Kind, "err", err)
		return cacheEntry{}, false
	}
	return cacheEntry{value: v, refreshAt: row.RefreshAt, expiresAt: row.ExpiresAt}, true
}

// recordable reports failures worth showing the operator as the token's health: WeChat's answers and
// WeChat being unreachable, not our own database or configuration.
func recordable(err error) bool {
	var we *Error
	if errors.As(err, &we) {
		return true
	}
	k := apperr.KindOf(err)
	return k == apperr.Upstream || k == apperr.UpstreamTimeout
}

// describe is the text kept as last_error: the explanation for the operator and WeChat's own words.
func describe(err error) string {
	var we *Error
	var msg string
	switch {
	case errors.As(err, &we):
		msg = fmt.Sprintf("WeChat error %d: %s", we.Errcode, we.Errmsg)
		if ex := we.Explanation(); ex != "" {
			msg = ex + " (" + msg + ")"
		}
	default:
		var ae *apperr.Error
		if errors.As(err, &ae) {
			msg = ae.Msg
		} else {
			msg = "refresh failed"
		}
	}
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return msg
}

func fractionOf(d time.Duration, f float64) time.Duration {
	return time.Duration(float64(d) * f)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// fetchAccessToken fetches a token with the account's AppSecret, from cgi-bin/token or stable_token.
func (c *Client) fetchAccessToken(appid string) fetcher {
	return func(ctx context.Context, failed string) (fetched, error) {
		if a := c.authorizers(); a != nil {
			// A component account: its token comes from api_authorizer_token, not from an AppSecret.
			tok, expiresIn, handled, err := a.AuthorizerAccessToken(ctx, appid)
			if handled || err != nil {
				if err != nil {
					return fetched{}, err
				}
				return fetched{value: tok, expiresIn: expiresIn}, nil
			}
		}
		secret, err := c.opts.Credentials.Credentials(ctx, appid)
		if err != nil {
			return fetched{}, fmt.Errorf("credentials of %s: %w", appid, err)
		}
		return c.newToken(ctx, appid, secret, failed)
	}
}

// newToken asks WeChat for a token. With stable tokens, WeChat answers the same token while it is valid,
// so replacing a rejected one needs force_refresh (which WeChat allows 20 times a day).
func (c *Client) newToken(ctx context.Context, appid, secret, failed string) (fetched, error) {
	var (
		t   TokenResponse
		err error
	)
	if c.opts.StableToken {
		t, err = c.StableToken(ctx, appid, secret, false)
		if err == nil && failed != "" && t.AccessToken == failed {
			t, err = c.StableToken(ctx, appid, secret, true)
		}
	} else {
		t, err = c.Token(ctx, appid, secret)
	}
	if err != nil {
		return fetched{}, err
	}
	return fetched{value: t.AccessToken, expiresIn: time.Duration(t.ExpiresIn) * time.Second}, nil
}

// fetchTicket fetches a jsapi_ticket with the account's access_token.
func (c *Client) fetchTicket(appid string) fetcher {
	return func(ctx context.Context, _ string) (fetched, error) {
		t, err := c.GetTicket(ctx, appid, TicketJSAPI)
		if err != nil {
			return fetched{}, err
		}
		return fetched{value: t.Ticket, expiresIn: time.Duration(t.ExpiresIn) * time.Second}, nil
	}
}

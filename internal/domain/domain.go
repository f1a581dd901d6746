// Package domain holds the nouns every layer shares: the official Account a request acts on, the
// operator (Principal) it acts for, an account's TokenHealth, and typed context helpers to carry the first
// two. It imports nothing of the project, so the WeChat client, the capability services, the API edge and
// the pages can all speak of the same account without importing each other (see docs/ARCHITECTURE.md).
package domain

import (
	"context"
	"strings"
	"time"
)

// AccountMode is how the console holds an account's credentials (contract §15).
type AccountMode string

// Account modes.
const (
	// ModeSecret: the operator pasted the account's AppSecret; the console fetches its access_token.
	ModeSecret AccountMode = "secret"
	// ModeComponent: the account authorized the console's third-party platform; the console holds an
	// authorizer refresh token instead of a secret.
	ModeComponent AccountMode = "component"
)

// AccountStatus says whether the console may still act for an account (contract §15).
type AccountStatus string

// Account statuses.
const (
	StatusActive AccountStatus = "active"
	// StatusRevoked: the account withdrew a component authorization; calls for it answer 40300.
	StatusRevoked AccountStatus = "revoked"
)

// Account is a bound official account with its credentials opened. It never leaves the server as is:
// the API shows a view of it.
type Account struct {
	ID             int64
	UserID         int64
	AppID          string
	Name           string
	Mode           AccountMode   // ModeSecret unless bound through the third-party platform
	Status         AccountStatus // StatusActive unless an authorization was revoked
	Secret         string
	Token          string // the callback token pasted into WeChat's admin
	EncodingAESKey string // empty: plaintext mode only
	MsdkKey        string
	JSDomains      []string
	CreatedAt      time.Time
	// What WeChat told of an account bound through the third-party platform (contract §15): the
	// permission-set ids granted, its original id (gh_...), type and verification.
	FuncScope   []int
	OriginalID  string
	ServiceType *int // 0/1 subscription account, 2 service account
	VerifyType  *int // -1 not verified, 0 WeChat-verified, ...
}

// Active reports whether the console may act for the account.
func (a *Account) Active() bool { return a.Status != StatusRevoked }

// HasJSDomain reports whether host (with or without port) is one of the account's JS domains.
func (a *Account) HasJSDomain(host string) bool {
	host = strings.ToLower(host)
	bare := host
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		bare = host[:i]
	}
	for _, d := range a.JSDomains {
		if d == host || d == bare {
			return true
		}
	}
	return false
}

// TokenHealth is what the operator sees of an account's WeChat access_token.
type TokenHealth struct {
	AgeSeconds int64  `json:"ageSeconds"`
	Refreshes  int64  `json:"refreshes"`
	LastError  string `json:"lastError"`
}

// Principal is the operator a request acts for.
type Principal struct {
	UserID   int64
	Username string
	Email    string
	Language string
	// APIToken says the request authenticated with an API token for scripts (contract §14): it acts as its
	// user but may not create API tokens or change the password.
	APIToken bool
}

type ctxKey int

const (
	accountKey ctxKey = iota
	principalKey
)

// WithAccount answers ctx carrying the account a request acts on.
func WithAccount(ctx context.Context, a *Account) context.Context {
	return context.WithValue(ctx, accountKey, a)
}

// AccountFrom answers the account WithAccount put in ctx; ok is false when there is none.
func AccountFrom(ctx context.Context) (*Account, bool) {
	a, ok := ctx.Value(accountKey).(*Account)
	return a, ok && a != nil
}

// WithPrincipal answers ctx carrying the operator a request acts for.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// PrincipalFrom answers the operator WithPrincipal put in ctx; ok is false when there is none.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey).(Principal)
	return p, ok
}

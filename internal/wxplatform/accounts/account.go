// Package accounts keeps the official accounts operators bind (contract §4): their sealed credentials, the
// choice of account for each API call (the optional appid), and the binding endpoints.
package accounts

import (
	"regexp"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
)

// Account is a bound official account with its credentials opened: the domain's, so the WeChat client,
// the services and the pages share it without importing this package.
type Account = domain.Account

// The account's modes and statuses (contract §15).
const (
	ModeSecret    = domain.ModeSecret
	ModeComponent = domain.ModeComponent
	StatusActive  = domain.StatusActive
	StatusRevoked = domain.StatusRevoked
)

// Errors of the package.
var (
	ErrNoAccount    = apperr.New(apperr.Forbidden, "no official account is bound: bind one with /apis/wxplatform/authorize").WithKey("accounts.err.none")
	ErrNotYours     = apperr.New(apperr.Forbidden, "you are not a member of this official account").WithKey("accounts.err.not_yours")
	ErrNotFound     = apperr.New(apperr.NotFound, "official account not found").WithKey("accounts.err.not_found")
	ErrAlreadyBound = apperr.New(apperr.Conflict, "this appid is already bound").WithKey("accounts.err.bound")
)

var (
	appIDPattern  = regexp.MustCompile(`^wx[0-9a-zA-Z]{16}$`)
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
	aesKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9]{16,64}$`)
)

// BindInput is what authorize receives.
type BindInput struct {
	AppID          string
	Secret         string
	Token          string
	EncodingAESKey string
	Name           string
}

// Validate checks each field as WeChat's admin would accept it.
func (in *BindInput) Validate() error {
	in.AppID = strings.TrimSpace(in.AppID)
	in.Secret = strings.TrimSpace(in.Secret)
	in.Token = strings.TrimSpace(in.Token)
	in.EncodingAESKey = strings.TrimSpace(in.EncodingAESKey)
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.AppID == "":
		return apperr.Missing("appid")
	case !appIDPattern.MatchString(in.AppID):
		return apperr.Invalidf("appid", "must be \"wx\" followed by 16 letters or digits").WithKey("accounts.err.appid", "appid")
	case in.Secret == "":
		return apperr.Missing("secret")
	case !secretPattern.MatchString(in.Secret):
		return apperr.Invalidf("secret", "must be the AppSecret from WeChat's admin (letters and digits)").WithKey("accounts.err.secret", "secret")
	case in.Token == "":
		return apperr.Missing("token")
	case !tokenPattern.MatchString(in.Token):
		return apperr.Invalidf("token", "must be 3-32 letters or digits, as WeChat's admin requires").WithKey("accounts.err.token", "token")
	case in.EncodingAESKey != "" && !aesKeyPattern.MatchString(in.EncodingAESKey):
		return apperr.Invalidf("encodingAESKey", "must be 43 letters or digits").WithKey("accounts.err.aes_key", "encodingAESKey")
	case len([]rune(in.Name)) > 64:
		return apperr.Invalidf("name", "must be at most 64 characters").WithKey("err.field.max_chars", "name", 64)
	}
	return nil
}

// ValidateJSDomains normalises a list of JS domains: host names (optionally with a port), lower case,
// without scheme or path; at most 20.
func ValidateJSDomains(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, d := range in {
		d = strings.ToLower(strings.TrimSpace(d))
		d = strings.TrimPrefix(strings.TrimPrefix(d, "https://"), "http://")
		d = strings.TrimRight(d, "/")
		if d == "" || seen[d] {
			continue
		}
		if !domainPattern.MatchString(d) {
			return nil, apperr.Invalidf("jsDomains", "%q is not a host name", d).WithKey("accounts.err.domain", "jsDomains", d)
		}
		seen[d] = true
		out = append(out, d)
	}
	if len(out) > 20 {
		return nil, apperr.Invalidf("jsDomains", "at most 20 domains").WithKey("accounts.err.domains", "jsDomains", 20)
	}
	return out, nil
}

var domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$`)

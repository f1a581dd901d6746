// Package user is the console's operators: registration with a verified address, login with throttling,
// access tokens, logout and password reset (contract §3). The Service holds the logic and is free of HTTP
// so the pages can call it for their forms; handler.go puts it on /apis/user/....
package user

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// User is an operator as the rest of the console sees it (never the password hash).
type User struct {
	ID         int64
	Username   string
	Email      string
	Language   string
	VerifiedAt *time.Time
	CreatedAt  time.Time
}

// Verified reports whether the operator has confirmed the address.
func (u User) Verified() bool { return u.VerifiedAt != nil }

// Registration is what register asks for.
type Registration struct {
	Username string
	Password string
	Email    string
}

// Credentials is what login asks for; Username may also be the e-mail address. ClientAddr is the caller's
// address, one of the two keys failed logins are counted under.
type Credentials struct {
	Username   string
	Password   string
	ClientAddr string
}

// Session is a freshly issued access token.
type Session struct {
	Token     string
	UserID    int64
	ExpiresAt time.Time
	ExpiresIn time.Duration
}

// Errors of the package; the API edge maps their kinds to the contract's errcodes.
var (
	ErrBadCredentials  = apperr.New(apperr.BadCredentials, "wrong username or password").WithKey("user.err.credentials")
	ErrUnverified      = apperr.New(apperr.Unverified, "email not verified yet: follow the link in the mail, or ask for a new one").WithKey("user.err.unverified")
	ErrUnauthenticated = apperr.New(apperr.Unauthenticated, "access_token is invalid, expired or revoked").WithKey("user.err.token")
	ErrUsernameTaken   = &apperr.Error{Kind: apperr.Conflict, Field: "username", Msg: "username: is already taken", Key: "user.err.username_taken"}
	ErrEmailTaken      = &apperr.Error{Kind: apperr.Conflict, Field: "email", Msg: "email: is already registered", Key: "user.err.email_taken"}
	ErrTokenInvalid    = apperr.Invalidf("token", "is invalid or has already been used").WithKey("user.err.link_invalid", "token")
	ErrTokenExpired    = apperr.Invalidf("token", "has expired").WithKey("user.err.link_expired", "token")
	ErrNotFound        = apperr.New(apperr.NotFound, "no such user").WithKey("user.err.not_found")
	// ErrThrottled is matched with errors.Is; the error actually returned also carries RetryAfter.
	ErrThrottled = apperr.New(apperr.TooManyRequests, "too many failed logins: wait before trying again").WithKey("user.err.throttled")
)

// Limits of contract §3.
const (
	minUsername = 3
	maxUsername = 32
	minPassword = 8
	maxPassword = 128
	maxEmail    = 254 // RFC 5321's limit on a forward path
)

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Validate checks a registration field by field, in the order of the form; the error names the field.
func (r Registration) Validate() error {
	if err := ValidateUsername(r.Username); err != nil {
		return err
	}
	if err := ValidatePassword(r.Password); err != nil {
		return err
	}
	return ValidateEmail(r.Email)
}

// ValidateUsername checks 3–32 characters of [A-Za-z0-9_.-].
func ValidateUsername(s string) error {
	switch {
	case s == "":
		return apperr.Missing("username")
	case len(s) < minUsername || len(s) > maxUsername:
		return apperr.Invalidf("username", "must be %d to %d characters long", minUsername, maxUsername).WithKey("err.field.length", "username", minUsername, maxUsername)
	case !usernameRE.MatchString(s):
		return apperr.Invalidf("username", "may only contain letters, digits, '_', '.' and '-'").WithKey("user.err.username_chars", "username")
	}
	return nil
}

// ValidatePassword checks 8–128 characters (characters, not bytes: a Chinese passphrase counts as typed).
func ValidatePassword(s string) error {
	n := utf8.RuneCountInString(s)
	switch {
	case s == "":
		return apperr.Missing("password")
	case !utf8.ValidString(s):
		return apperr.Invalidf("password", "must be valid UTF-8 text").WithKey("err.field.utf8_text", "password")
	case n < minPassword || n > maxPassword:
		return apperr.Invalidf("password", "must be %d to %d characters long", minPassword, maxPassword).WithKey("err.field.length", "password", minPassword, maxPassword)
	}
	return nil
}

// ValidateEmail checks a bare address (no display name) of at most 254 bytes with a domain.
func ValidateEmail(s string) error {
	if s == "" {
		return apperr.Missing("email")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > maxEmail {
		return apperr.Invalidf("email", "is not a valid address").WithKey("user.err.email", "email")
	}
	at := strings.LastIndexByte(s, '@')
	if domain := s[at+1:]; domain == "" || strings.HasPrefix(domain, "[") {
		return apperr.Invalidf("email", "is not a valid address").WithKey("user.err.email", "email")
	}
	return nil
}

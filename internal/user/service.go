package user

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/mail"
)

// Lifetimes of contract §3.
const (
	TokenLifetime  = 7 * 24 * time.Hour
	VerifyLifetime = 24 * time.Hour
	ResetLifetime  = time.Hour
	// renewEvery spaces the renewals of one access token, so Authenticate mostly only reads.
	renewEvery = time.Minute
	// mailEvery is the least time between two mails of one purpose to one operator, so resend and forgot
	// cannot be used to flood a mailbox.
	mailEvery = time.Minute
	// mailTimeout bounds a delivery that runs after the request has been answered.
	mailTimeout = time.Minute
)

// Options configures the Service.
type Options struct {
	// BaseURL is the console's public URL; mail links start with it.
	BaseURL string
	// SecureCookies sets the Secure flag on the login cookies; it is implied when BaseURL is https.
	SecureCookies bool
	// Now is the clock (time.Now when nil); tests move it to expire tokens and windows.
	Now func() time.Time
	// Logger receives the package's logs (slog.Default when nil).
	Logger *slog.Logger
}

// Service is the operators' capability. It is safe for concurrent use, and any number of Services in any
// number of processes may share one database.
type Service struct {
	store   store
	db      *gorm.DB
	mailer  mail.Sender
	baseURL string
	secure  bool
	now     func() time.Time
	log     *slog.Logger
	cost    int    // bcrypt cost; tests lower it
	dummy   string // bcrypt hash at cost, for unknown names
	mails   sync.WaitGroup
	afterMu sync.Mutex // one background mail preparation at a time
}

// NewService answers the operators' service on db, sending its mails through mailer.
func NewService(db *gorm.DB, mailer mail.Sender, opts Options) *Service {
	s := &Service{
		store:   store{db: db},
		db:      db,
		mailer:  mailer,
		baseURL: strings.TrimRight(opts.BaseURL, "/"),
		secure:  opts.SecureCookies || strings.HasPrefix(opts.BaseURL, "https://"),
		now:     opts.Now,
		log:     opts.Logger,
		cost:    passwordCost,
		dummy:   dummyHash,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// SecureCookies says whether login cookies carry the Secure flag.
func (s *Service) SecureCookies() bool { return s.secure }

// Register creates an unverified operator and mails the verification link.
func (s *Service) Register(ctx context.Context, r Registration) (User, error) {
	r.Username, r.Email = strings.TrimSpace(r.Username), strings.TrimSpace(r.Email)
	if err := r.Validate(); err != nil {
		return User{}, err
	}
	hash, err := hashPassword(r.Password, s.cost)
	if err != nil {
		return User{}, fmt.Errorf("register: %w", err)
	}
	now := s.now().UTC()
	row := userRow{Username: r.Username, Email: r.Email, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := s.store.createUser(ctx, &row); err != nil {
		if apperr.KindOf(err) == apperr.Conflict {
			return User{}, err
		}
		return User{}, fmt.Errorf("register: %w", err)
	}
	if err := s.mailToken(ctx, row, purposeVerify, now); err != nil {
		return User{}, err
	}
	s.log.InfoContext(ctx, "operator registered", "user_id", row.ID)
	return row.user(), nil
}

// Verify uses a verification token and marks its operator's address verified. It answers the operator's
// id, or ErrTokenExpired / ErrTokenInvalid (unknown or already used).
func (s *Service) Verify(ctx context.Context, token string) (int64, error) {
	if token == "" || len(token) > maxTokenLen {
		return 0, ErrTokenInvalid
	}
	now := s.now().UTC()
	var userID int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		id, err := s.store.useEmailToken(ctx, tx, hashToken(token), purposeVerify, now)
		if err != nil {
			return err
		}
		userID = id
		return s.store.markVerified(ctx, tx, id, now)
	})
	if err != nil {
		return 0, passApp("verify", err)
	}
	s.log.InfoContext(ctx, "operator verified", "user_id", userID)
	return userID, nil
}

// ResendVerification mails a new verification link when the address belongs to an unverified operator,
// and does nothing otherwise; the caller answers the same either way, so the address's existence stays
// secret. The mail leaves in the background for the same reason: its delivery time would tell.
func (s *Service) ResendVerification(ctx context.Context, email string) error {
	return s.mailIfKnown(ctx, email, purposeVerify)
}

// ForgotPassword mails a reset link when the address belongs to an operator; like ResendVerification it
// reveals nothing about the address.
func (s *Service) ForgotPassword(ctx context.Context, email string) error {
	return s.mailIfKnown(ctx, email, purposeReset)
}

// mailIfKnown answers as soon as the address is well-formed; everything that depends on whether it
// belongs to an operator (the lookup, the one-a-minute guard, the token, the mail) runs after the answer,
// in the background, so neither the answer nor its timing tells the address's existence. The background
// work runs one at a time, so the guard sees the previous request's token.
func (s *Service) mailIfKnown(ctx context.Context, email, purpose string) error {
	email = strings.TrimSpace(email)
	if err := ValidateEmail(email); err != nil {
		return err
	}
	s.mails.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
		defer cancel()
		s.afterMu.Lock()
		defer s.afterMu.Unlock()
		if err := s.mailIfKnownNow(ctx, email, purpose); err != nil {
			s.log.ErrorContext(ctx, "mail not prepared", "purpose", purpose, "err", err)
		}
	})
	return nil
}

func (s *Service) mailIfKnownNow(ctx context.Context, email, purpose string) error {
	u, found, err := s.store.userByEmail(ctx, email)
	if err != nil {
		return fmt.Errorf("%s: %w", purpose, err)
	}
	if !found || (purpose == purposeVerify && u.VerifiedAt != nil) {
		return nil
	}
	now := s.now().UTC()
	recent, err := s.store.recentEmailToken(ctx, u.ID, purpose, now.Add(-mailEvery))
	if err != nil || recent {
		return passApp(purpose, err)
	}
	return s.mailToken(ctx, u, purpose, now)
}

// mailToken stores a new single-use token of the purpose and sends its link in the background.
func (s *Service) mailToken(ctx context.Context, u userRow, purpose string, now time.Time) error {
	plain, hash := newToken()
	life, link, build := VerifyLifetime, s.baseURL+"/apis/user/verify?token=", verifyMail
	if purpose == purposeReset {
		life, link, build = ResetLifetime, s.baseURL+"/reset?token=", resetMail
	}
	row := emailTokenRow{TokenHash: hash, UserID: u.ID, Purpose: purpose, ExpiresAt: now.Add(life), CreatedAt: now}
	if err := s.store.insertEmailToken(ctx, &row); err != nil {
		return fmt.Errorf("%s: store token: %w", purpose, err)
	}
	msg := build(u.Email, u.Username, link+url.QueryEscape(plain))
	s.mails.Go(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
		defer cancel()
		if err := s.mailer.Send(ctx, msg); err != nil {
			s.log.ErrorContext(ctx, "mail not sent", "purpose", purpose, "user_id", u.ID, "err", err)
		}
	})
	return nil
}

// Login checks the credentials and issues an access token. Failures count towards throttling (ErrThrottled
// with a RetryAfter); a wrong password is ErrBadCredentials, a right one of an unverified operator
// ErrUnverified.
func (s *Service) Login(ctx context.Context, c Credentials) (Session, error) {
	name := strings.TrimSpace(c.Username)
	switch {
	case name == "":
		return Session{}, apperr.Missing("username")
	case c.Password == "":
		return Session{}, apperr.Missing("password")
	}
	now := s.now().UTC()
	var u userRow
	found := false
	if len(name) <= maxEmail {
		var err error
		if u, found, err = s.store.userByLogin(ctx, name); err != nil {
			return Session{}, fmt.Errorf("login: %w", err)
		}
	}
	if found {
		name = u.Username
	} else if len(name) > maxEmail {
		name = name[:maxEmail] // no operator has a longer name; the key need not be longer either
	}
	attempt, err := s.beginLogin(ctx, throttleKeys(name, c.ClientAddr), now)
	if err != nil {
		return Session{}, err
	}
	hash := s.dummy
	if found {
		hash = u.PasswordHash
	}
	if ok := checkPassword(hash, c.Password); !ok || !found {
		return Session{}, ErrBadCredentials
	}
	if err := s.store.forgetAttempt(ctx, attempt); err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	if u.VerifiedAt == nil {
		return Session{}, ErrUnverified
	}
	plain, hashed := newToken()
	exp := now.Add(TokenLifetime)
	row := accessTokenRow{TokenHash: hashed, UserID: u.ID, CreatedAt: now, ExpiresAt: exp, LastUsedAt: now}
	if err := s.store.insertAccessToken(ctx, &row); err != nil {
		return Session{}, fmt.Errorf("login: %w", err)
	}
	s.log.InfoContext(ctx, "operator logged in", "user_id", u.ID)
	return Session{Token: plain, UserID: u.ID, ExpiresAt: exp, ExpiresIn: TokenLifetime}, nil
}

// Logout revokes the access token; an unknown one is already as good as revoked.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" || len(token) > maxTokenLen {
		return nil
	}
	if err := s.store.deleteAccessToken(ctx, hashToken(token)); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// Authenticate resolves an access token to its operator, renewing its lifetime (at most once a minute). It
// implements httpapi.Authenticator and runs on every API call: one statement on the token's primary key.
func (s *Service) Authenticate(ctx context.Context, token string) (domain.Principal, error) {
	if token == "" || len(token) > maxTokenLen {
		return domain.Principal{}, ErrUnauthenticated
	}
	if strings.HasPrefix(token, apiTokenPrefix) {
		return s.authenticateAPIToken(ctx, token)
	}
	now := s.now().UTC()
	p, found, err := s.store.authenticate(ctx, hashToken(token), now, now.Add(TokenLifetime), now.Add(-renewEvery))
	if err != nil {
		return domain.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if !found {
		return domain.Principal{}, ErrUnauthenticated
	}
	return domain.Principal{UserID: p.ID, Username: p.Username, Email: p.Email, Language: p.Language}, nil
}

// ResetPassword uses a reset token to set a new password, and revokes every access token of the operator.
// Following the link proves the mailbox, so an operator who never verified the address is verified too.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	if token == "" {
		return apperr.Missing("token")
	}
	if err := ValidatePassword(password); err != nil {
		return err
	}
	if len(token) > maxTokenLen {
		return ErrTokenInvalid
	}
	now := s.now().UTC()
	hash := hashToken(token)
	// Look before hashing: a request with a made-up token must not cost a quarter second of bcrypt.
	if _, err := s.store.checkEmailToken(ctx, s.db, hash, purposeReset, now); err != nil {
		return passApp("reset password", err)
	}
	pwHash, err := hashPassword(password, s.cost)
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	var userID int64
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		id, err := s.store.useEmailToken(ctx, tx, hash, purposeReset, now)
		if err != nil {
			return err
		}
		userID = id
		if err := s.store.setPassword(ctx, tx, id, pwHash, now); err != nil {
			return err
		}
		if err := s.store.markVerified(ctx, tx, id, now); err != nil {
			return err
		}
		return s.store.deleteUserTokens(ctx, tx, id)
	})
	if err != nil {
		return passApp("reset password", err)
	}
	s.log.InfoContext(ctx, "password reset; every access token revoked", "user_id", userID)
	return nil
}

// User answers the operator with the id, or ErrNotFound.
func (s *Service) User(ctx context.Context, id int64) (User, error) {
	r, found, err := s.store.userByID(ctx, id)
	if err != nil {
		return User{}, fmt.Errorf("user: %w", err)
	}
	if !found {
		return User{}, ErrNotFound
	}
	return r.user(), nil
}

// Cleanup deletes expired tokens and login failures older than the throttling window. Nothing depends on
// it for correctness; call it now and then (hourly) to keep the tables small.
func (s *Service) Cleanup(ctx context.Context) error {
	return s.store.cleanup(ctx, s.now().UTC(), ThrottleWindow)
}

// Shutdown waits for mails still being sent, or for ctx to end.
func (s *Service) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.mails.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("user: mails still being sent: %w", ctx.Err())
	}
}

// passApp passes the package's own errors (which carry a kind for the edge) as they are, and wraps the
// rest with the operation's name.
func passApp(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

package user

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db"
)

// userRow is the users table; it stays in this file, User is what leaves the package.
type userRow struct {
	ID           int64 `gorm:"primaryKey"`
	Username     string
	Email        string
	PasswordHash string
	VerifiedAt   *time.Time
	Language     string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

func (r userRow) user() User {
	return User{ID: r.ID, Username: r.Username, Email: r.Email, Language: r.Language, VerifiedAt: r.VerifiedAt, CreatedAt: r.CreatedAt}
}

type accessTokenRow struct {
	TokenHash  []byte `gorm:"primaryKey"`
	UserID     int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
}

func (accessTokenRow) TableName() string { return "access_tokens" }

type emailTokenRow struct {
	TokenHash []byte `gorm:"primaryKey"`
	UserID    int64
	Purpose   string
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

func (emailTokenRow) TableName() string { return "email_tokens" }

// Purposes of email_tokens, as the table's CHECK constraint spells them.
const (
	purposeVerify = "verify"
	purposeReset  = "reset"
)

// store is every query of the package. Lookups by name or address go through lower(...) so they use the
// case-insensitive unique indexes.
type store struct{ db *gorm.DB }

func (s store) q(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

func (s store) createUser(ctx context.Context, r *userRow) error {
	err := s.q(ctx).Create(r).Error
	if constraint, ok := db.UniqueViolation(err); ok {
		if constraint == "users_email_key" {
			return ErrEmailTaken
		}
		return ErrUsernameTaken
	}
	return err
}

func (s store) first(ctx context.Context, where string, arg any) (userRow, bool, error) {
	var r userRow
	err := s.q(ctx).Where(where, arg).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, false, nil
	}
	return r, err == nil, err
}

func (s store) userByID(ctx context.Context, id int64) (userRow, bool, error) {
	return s.first(ctx, "id = ?", id)
}

func (s store) userByEmail(ctx context.Context, email string) (userRow, bool, error) {
	return s.first(ctx, "lower(email) = lower(?)", email)
}

// userByLogin finds the operator by username or, when the text holds an '@' (which no username may), by
// address.
func (s store) userByLogin(ctx context.Context, name string) (userRow, bool, error) {
	if containsAt(name) {
		return s.userByEmail(ctx, name)
	}
	return s.first(ctx, "lower(username) = lower(?)", name)
}

func (s store) insertAccessToken(ctx context.Context, r *accessTokenRow) error {
	return s.q(ctx).Create(r).Error
}

// principalRow is what Authenticate needs of the token's operator.
type principalRow struct {
	ID       int64
	Username string
	Email    string
	Language string
}

// authenticateSQL resolves a token with one statement on the primary key. The CTE renews the lifetime, but
// only when the last renewal is older than staleBefore, so a busy token writes at most once a minute and
// every other call stays a pure index lookup. The main query sees the row as it was before the CTE ran,
// which is what the expiry check wants.
const authenticateSQL = `
WITH renewed AS (
    UPDATE access_tokens SET expires_at = @renewTo, last_used_at = @now
    WHERE token_hash = @hash AND expires_at > @now AND last_used_at < @staleBefore
)
SELECT u.id, u.username, u.email, u.language
FROM access_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = @hash AND t.expires_at > @now`

func (s store) authenticate(ctx context.Context, hash []byte, now, renewTo, staleBefore time.Time) (principalRow, bool, error) {
	var p principalRow
	res := s.q(ctx).Raw(authenticateSQL, map[string]any{
		"hash": hash, "now": now, "renewTo": renewTo, "staleBefore": staleBefore,
	}).Scan(&p)
	return p, res.Error == nil && res.RowsAffected > 0, res.Error
}

func (s store) deleteAccessToken(ctx context.Context, hash []byte) error {
	return s.q(ctx).Where("token_hash = ?", hash).Delete(&accessTokenRow{}).Error
}

func (s store) insertEmailToken(ctx context.Context, r *emailTokenRow) error {
	return s.q(ctx).Create(r).Error
}

// recentEmailToken reports whether an unused token of the purpose was issued since the given time.
func (s store) recentEmailToken(ctx context.Context, userID int64, purpose string, since time.Time) (bool, error) {
	var n int64
	err := s.q(ctx).Model(&emailTokenRow{}).
		Where("user_id = ? AND purpose = ? AND used_at IS NULL AND created_at > ?", userID, purpose, since).
		Limit(1).Count(&n).Error
	return n > 0, err
}

// checkEmailToken answers which user a still usable token belongs to, ErrTokenExpired or ErrTokenInvalid,
// without using it up.
func (s store) checkEmailToken(ctx context.Context, tx *gorm.DB, hash []byte, purpose string, now time.Time) (int64, error) {
	var r emailTokenRow
	err := tx.WithContext(ctx).Where("token_hash = ? AND purpose = ?", hash, purpose).Take(&r).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return 0, ErrTokenInvalid
	case err != nil:
		return 0, err
	case r.UsedAt != nil:
		return 0, ErrTokenInvalid
	case !r.ExpiresAt.After(now):
		return 0, ErrTokenExpired
	}
	return r.UserID, nil
}

// useEmailToken marks a token used, atomically: of two concurrent requests with one token, one wins. On
// failure it says why (expired or invalid).
func (s store) useEmailToken(ctx context.Context, tx *gorm.DB, hash []byte, purpose string, now time.Time) (int64, error) {
	var userID int64
	res := tx.WithContext(ctx).Raw(`UPDATE email_tokens SET used_at = ?
		WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
		RETURNING user_id`, now, hash, purpose, now).Scan(&userID)
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected == 0 {
		if _, err := s.checkEmailToken(ctx, tx, hash, purpose, now); err != nil {
			return 0, err
		}
		return 0, ErrTokenInvalid
	}
	// The other links of the same purpose would only confuse: the job is done.
	err := tx.WithContext(ctx).Model(&emailTokenRow{}).
		Where("user_id = ? AND purpose = ? AND used_at IS NULL", userID, purpose).
		Update("used_at", now).Error
	return userID, err
}

func (s store) markVerified(ctx context.Context, tx *gorm.DB, userID int64, now time.Time) error {
	return tx.WithContext(ctx).Exec(`UPDATE users SET verified_at = COALESCE(verified_at, ?), updated_at = ? WHERE id = ?`,
		now, now, userID).Error
}

func (s store) setPassword(ctx context.Context, tx *gorm.DB, userID int64, hash string, now time.Time) error {
	return tx.WithContext(ctx).Exec(`UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, now, userID).Error
}

// deleteUserTokens revokes every token of the operator: the access tokens, and the API tokens too (a reset
// follows a lost or stolen password; contract §3 "revokes every token of that user").
func (s store) deleteUserTokens(ctx context.Context, tx *gorm.DB, userID int64) error {
	if err := tx.WithContext(ctx).Where("user_id = ?", userID).Delete(&accessTokenRow{}).Error; err != nil {
		return err
	}
	return tx.WithContext(ctx).Exec(`UPDATE api_tokens SET revoked_at = now() WHERE user_id = ? AND revoked_at IS NULL`, userID).Error
}

// beginAttempt records a login attempt under each key as a failure before the password is checked, so that
// parallel guesses count against each other, in this process or another; a successful attempt is forgotten.
func (s store) beginAttempt(ctx context.Context, tx *gorm.DB, keys []string, now time.Time) ([]int64, error) {
	var ids []int64
	arr, args := textArray(keys)
	// Attempts on one key take turns between their insert and their count (the lock ends with the
	// transaction): without it, a burst of parallel guesses each counts the others and all are refused,
	// or none is at the limit yet and all pass.
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	for _, k := range sorted {
		if err := tx.WithContext(ctx).Exec(`SELECT pg_advisory_xact_lock(727002, hashtext(?))`, k).Error; err != nil {
			return nil, err
		}
	}
	err := tx.WithContext(ctx).Raw(`INSERT INTO login_failures (key, failed_at)
		SELECT k, ?::timestamptz FROM unnest(`+arr+`) AS k RETURNING id`, append([]any{now}, args...)...).Scan(&ids).Error
	return ids, err
}

// blockedSince answers, over the keys, the latest time at which a key had `limit` failures in the window
// (other than the attempt's own rows): the limit-th newest failure. It is null when no key is at the limit.
// The window lets one attempt through once that failure is older than the window.
func (s store) blockedSince(ctx context.Context, tx *gorm.DB, keys []string, windowStart time.Time, limit int, own []int64) (time.Time, bool, error) {
	if len(own) == 0 {
		own = []int64{0}
	}
	var t sql.NullTime
	arr, args := textArray(keys)
	err := tx.WithContext(ctx).Raw(`SELECT max(nth) FROM (
		SELECT (SELECT f.failed_at FROM login_failures f
			WHERE f.key = k AND f.failed_at > ? AND f.id NOT IN ?
			ORDER BY f.failed_at DESC OFFSET ? LIMIT 1) AS nth
		FROM unnest(`+arr+`) AS k) s`, append([]any{windowStart, own, limit - 1}, args...)...).Row().Scan(&t)
	return t.Time, t.Valid, err
}

// textArray answers ARRAY[?::text, ...] for the values and the values as arguments: Postgres cannot type
// bare parameters inside an ARRAY constructor, and GORM would expand a slice argument into a list anyway.
func textArray(vals []string) (string, []any) {
	marks := make([]string, len(vals))
	args := make([]any, len(vals))
	for i, v := range vals {
		marks[i], args[i] = "?::text", v
	}
	return "ARRAY[" + strings.Join(marks, ", ") + "]", args
}

func (s store) forgetAttempt(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.q(ctx).Exec(`DELETE FROM login_failures WHERE id IN ?`, ids).Error
}

// cleanup deletes what can no longer matter: failures older than the window, expired access tokens, and
// mail tokens a day past their expiry (kept that long so a late click still reads "expired").
func (s store) cleanup(ctx context.Context, now time.Time, window time.Duration) error {
	for _, q := range []struct {
		sql string
		arg time.Time
	}{
		{`DELETE FROM login_failures WHERE failed_at < ?`, now.Add(-window)},
		{`DELETE FROM access_tokens WHERE expires_at < ?`, now},
		{`DELETE FROM email_tokens WHERE expires_at < ?`, now.Add(-24 * time.Hour)},
	} {
		if err := s.q(ctx).Exec(q.sql, q.arg).Error; err != nil {
			return fmt.Errorf("cleanup: %w", err)
		}
	}
	return nil
}

package user

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Login throttling of contract §3: after ThrottleLimit failures for one username, or ThrottleAddressLimit
// from one client address, within ThrottleWindow, logins answer 429 until the window lets one through.
// The address limit is much higher (as Grafana does): operators share addresses (an office, a load
// balancer without TRUSTED_PROXIES), and ten guesses at one name must not lock the others out. Failures are
// rows in login_failures, so every console process sharing the database sees the same count.
const (
	ThrottleLimit        = 10
	ThrottleAddressLimit = 100
	ThrottleWindow       = 15 * time.Minute
)

// throttleKeys answers the keys an attempt is counted under. The username key is the canonical name when
// the operator exists, so switching between name and address does not double the guesses.
func throttleKeys(name, clientAddr string) []string {
	keys := []string{"user:" + strings.ToLower(name)}
	if clientAddr != "" {
		keys = append(keys, "addr:"+clientAddr)
	}
	return keys
}

// beginLogin records the attempt as a failure under each key and refuses it when a key was already at the
// limit. The caller forgets the attempt (forgetAttempt) when the password turns out right. Counting before
// the password check is what keeps parallel guesses from slipping past the limit during bcrypt's quarter
// second.
func (s *Service) beginLogin(ctx context.Context, keys []string, now time.Time) ([]int64, error) {
	var ids []int64
	var since time.Time
	blocked := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if ids, err = s.store.beginAttempt(ctx, tx, keys, now); err != nil {
			return fmt.Errorf("record attempt: %w", err)
		}
		for _, k := range keys {
			limit := ThrottleLimit
			if strings.HasPrefix(k, "addr:") {
				limit = ThrottleAddressLimit
			}
			t, b, err := s.store.blockedSince(ctx, tx, []string{k}, now.Add(-ThrottleWindow), limit, ids)
			if err != nil {
				return fmt.Errorf("count failures: %w", err)
			}
			if b && (!blocked || t.After(since)) {
				since, blocked = t, true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if !blocked {
		return ids, nil
	}
	// A refused attempt is not a guess: it must not push the end of the window further away.
	if err := s.store.forgetAttempt(ctx, ids); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	retry := since.Add(ThrottleWindow).Sub(now)
	s.log.WarnContext(ctx, "login throttled", "keys", keys, "retry_after", retry.Round(time.Second))
	return nil, &apperr.Error{Kind: ErrThrottled.Kind, Msg: ErrThrottled.Msg, Key: ErrThrottled.Key, RetryAfter: retry}
}

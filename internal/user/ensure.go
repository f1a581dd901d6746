package user

import (
	"context"
	"fmt"
	"strings"
)

// EnsureUser answers the id of the operator with r's username, creating it already verified when it does
// not exist (the sandbox's demo operator: there is no mailbox to verify it with). An existing operator is
// left as it is, password included.
func (s *Service) EnsureUser(ctx context.Context, r Registration) (int64, error) {
	r.Username, r.Email = strings.TrimSpace(r.Username), strings.TrimSpace(r.Email)
	if existing, ok, err := s.store.userByLogin(ctx, r.Username); err != nil {
		return 0, fmt.Errorf("ensure user: %w", err)
	} else if ok {
		return existing.ID, nil
	}
	if err := r.Validate(); err != nil {
		return 0, err
	}
	hash, err := hashPassword(r.Password, s.cost)
	if err != nil {
		return 0, fmt.Errorf("ensure user: %w", err)
	}
	now := s.now().UTC()
	row := userRow{Username: r.Username, Email: r.Email, PasswordHash: hash, CreatedAt: now, UpdatedAt: now, VerifiedAt: &now}
	if err := s.store.createUser(ctx, &row); err != nil {
		// Another process created it a moment ago.
		if existing, ok, err2 := s.store.userByLogin(ctx, r.Username); err2 == nil && ok {
			return existing.ID, nil
		}
		return 0, fmt.Errorf("ensure user: %w", err)
	}
	return row.ID, nil
}

package webauth

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// refreshTokenTTL is WeChat's lifetime of an OAuth refresh_token.
const refreshTokenTTL = 30 * 24 * time.Hour

type store struct {
	db  *gorm.DB
	box *secretbox.Box
}

// consume records the single use of a state or ticket id; false when it was used already. Expired ids
// are pruned now and then.
func (s store) consume(ctx context.Context, id string, accountID int64, expires time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`INSERT INTO wx_webauth_used (id, account_id, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, id, accountID, expires)
	if res.Error != nil {
		return false, fmt.Errorf("record single use: %w", res.Error)
	}
	if rand.IntN(50) == 0 {
		s.db.WithContext(ctx).Exec(`DELETE FROM wx_webauth_used WHERE expires_at < now() - interval '1 hour'`)
	}
	return res.RowsAffected == 1, nil
}

// saveTokens keeps a follower's OAuth tokens, sealed, and their profile when there is one (else the
// profile already stored stays). A refresh (refreshed) keeps the refresh_token's expiry: WeChat answers
// the same refresh_token, valid 30 days from the authorization.
func (s store) saveTokens(ctx context.Context, accountID int64, t wxclient.OAuthToken, profile *wxclient.SNSUserInfo, refreshed bool, now time.Time) error {
	// Bound to the row (account and follower), so a token copied to another row does not open.
	id := []string{strconv.FormatInt(accountID, 10), t.OpenID}
	access, err := s.box.SealFor(secretbox.Named("wx_oauth_tokens", "access_token_enc").Bound(id...), t.AccessToken)
	if err != nil {
		return fmt.Errorf("seal OAuth token: %w", err)
	}
	refresh, err := s.box.SealFor(secretbox.Named("wx_oauth_tokens", "refresh_token_enc").Bound(id...), t.RefreshToken)
	if err != nil {
		return fmt.Errorf("seal OAuth token: %w", err)
	}
	var info any
	if profile != nil {
		data, err := json.Marshal(profile)
		if err != nil {
			return fmt.Errorf("store profile: %w", err)
		}
		info = string(data)
	}
	accessExp := now.Add(time.Duration(t.ExpiresIn) * time.Second)
	err = s.db.WithContext(ctx).Exec(`INSERT INTO wx_oauth_tokens (account_id, openid, unionid, scope, access_token_enc,
			access_expires_at, refresh_token_enc, refresh_expires_at, userinfo)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)
		ON CONFLICT (account_id, openid) DO UPDATE SET
			unionid = CASE WHEN EXCLUDED.unionid <> '' THEN EXCLUDED.unionid ELSE wx_oauth_tokens.unionid END,
			scope = EXCLUDED.scope, access_token_enc = EXCLUDED.access_token_enc,
			access_expires_at = EXCLUDED.access_expires_at, refresh_token_enc = EXCLUDED.refresh_token_enc,
			refresh_expires_at = CASE WHEN ? THEN wx_oauth_tokens.refresh_expires_at ELSE EXCLUDED.refresh_expires_at END,
			userinfo = COALESCE(EXCLUDED.userinfo, wx_oauth_tokens.userinfo), updated_at = now()`,
		accountID, t.OpenID, t.UnionID, t.Scope, access, accessExp, refresh, now.Add(refreshTokenTTL), info,
		refreshed).Error
	if err != nil {
		return fmt.Errorf("store OAuth tokens: %w", err)
	}
	return nil
}

// profile answers the stored profile and unionid of a follower (nil when none).
func (s store) profile(ctx context.Context, accountID int64, openid string) (*wxclient.SNSUserInfo, string, error) {
	var rows []struct {
		UnionID  string `gorm:"column:unionid"`
		UserInfo *string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT unionid, userinfo::text AS user_info FROM wx_oauth_tokens
		WHERE account_id = ? AND openid = ?`, accountID, openid).Scan(&rows).Error
	if err != nil {
		return nil, "", fmt.Errorf("read profile: %w", err)
	}
	if len(rows) == 0 || rows[0].UserInfo == nil {
		if len(rows) == 1 {
			return nil, rows[0].UnionID, nil
		}
		return nil, "", nil
	}
	var p wxclient.SNSUserInfo
	if err := json.Unmarshal([]byte(*rows[0].UserInfo), &p); err != nil {
		return nil, "", fmt.Errorf("read profile: %w", err)
	}
	return &p, rows[0].UnionID, nil
}

package wxclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/socialinzen/socialinzen/internal/secretbox"
)

// kind is what a wx_credentials row holds.
type kind string

const (
	kindAccessToken kind = "access_token"
	kindJSAPITicket kind = "jsapi_ticket"
)

// credentialRow is wx_credentials as stored: the value sealed.
type credentialRow struct {
	AppID       string `gorm:"column:appid;primaryKey"`
	Kind        string `gorm:"primaryKey"`
	ValueEnc    string
	ExpiresAt   time.Time
	RefreshAt   time.Time
	FetchedAt   *time.Time
	Refreshes   int64
	LastError   string
	LastErrorAt *time.Time
}

func (credentialRow) TableName() string { return "wx_credentials" }

// credentialBound is what a stored token is sealed for: its row (appid and kind), so a value copied to
// another account's row does not open.
func credentialBound(appid, kind string) string {
	return secretbox.Named("wx_credentials", "value_enc").Bound(appid, kind)
}

// loadRow reads a row without locking it; nil when there is none.
func loadRow(ctx context.Context, db *gorm.DB, appid string, k kind) (*credentialRow, error) {
	var r credentialRow
	err := db.WithContext(ctx).Where("appid = ? AND kind = ?", appid, string(k)).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load %s of %s: %w", k, appid, err)
	}
	return &r, nil
}

// lockRow makes sure the row exists and locks it until tx ends; other processes refreshing the same
// credential wait here, then read what this one wrote.
func lockRow(tx *gorm.DB, appid string, k kind) (*credentialRow, error) {
	if err := tx.Exec(`INSERT INTO wx_credentials (appid, kind) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		appid, string(k)).Error; err != nil {
		return nil, fmt.Errorf("create %s row of %s: %w", k, appid, err)
	}
	var r credentialRow
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("appid = ? AND kind = ?", appid, string(k)).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("lock %s of %s: %w", k, appid, err)
	}
	return &r, nil
}

// saveFetched stores a value just fetched from WeChat and counts the refresh.
func saveFetched(tx *gorm.DB, appid string, k kind, sealed string, fetchedAt, refreshAt, expiresAt time.Time) error {
	err := tx.Model(&credentialRow{}).Where("appid = ? AND kind = ?", appid, string(k)).Updates(map[string]any{
		"value_enc":  sealed,
		"fetched_at": fetchedAt,
		"refresh_at": refreshAt,
		"expires_at": expiresAt,
		"refreshes":  gorm.Expr("refreshes + 1"),
	}).Error
	if err != nil {
		return fmt.Errorf("save %s of %s: %w", k, appid, err)
	}
	return nil
}

// saveError records why a refresh failed, for the operator.
func saveError(tx *gorm.DB, appid string, k kind, msg string, at time.Time) error {
	err := tx.Model(&credentialRow{}).Where("appid = ? AND kind = ?", appid, string(k)).Updates(map[string]any{
		"last_error":    msg,
		"last_error_at": at,
	}).Error
	if err != nil {
		return fmt.Errorf("save %s error of %s: %w", k, appid, err)
	}
	return nil
}

// deleteRows forgets everything kept for appid.
func deleteRows(ctx context.Context, db *gorm.DB, appid string) error {
	if err := db.WithContext(ctx).Where("appid = ?", appid).Delete(&credentialRow{}).Error; err != nil {
		return fmt.Errorf("forget credentials of %s: %w", appid, err)
	}
	return nil
}

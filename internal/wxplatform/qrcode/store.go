package qrcode

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// codeRow is wx_qrcodes as stored.
type codeRow struct {
	ID            int64      `gorm:"column:id;primaryKey"`
	AccountID     int64      `gorm:"column:account_id"`
	Scene         string     `gorm:"column:scene"`
	SceneIsInt    bool       `gorm:"column:scene_is_int"`
	Permanent     bool       `gorm:"column:permanent"`
	ActionName    string     `gorm:"column:action_name"`
	Ticket        string     `gorm:"column:ticket"`
	URL           string     `gorm:"column:url"`
	ExpireSeconds int        `gorm:"column:expire_seconds"`
	ExpireAt      *time.Time `gorm:"column:expire_at"`
	CreatedAt     time.Time  `gorm:"column:created_at"`
}

func (codeRow) TableName() string { return "wx_qrcodes" }

// insert stores a code; the same ticket again (a permanent code asked twice) is the same row. r gets
// its id and creation time.
func insert(ctx context.Context, db *gorm.DB, r *codeRow) error {
	err := db.WithContext(ctx).Raw(`INSERT INTO wx_qrcodes (account_id, scene, scene_is_int, permanent, action_name,
			ticket, url, expire_seconds, expire_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, ticket) DO UPDATE SET url = EXCLUDED.url
		RETURNING id, created_at`,
		r.AccountID, r.Scene, r.SceneIsInt, r.Permanent, r.ActionName, r.Ticket, r.URL, r.ExpireSeconds, r.ExpireAt).
		Row().Scan(&r.ID, &r.CreatedAt)
	if err != nil {
		return fmt.Errorf("store QR code: %w", err)
	}
	return nil
}

// list answers a page of the account's codes, newest first, and their number.
func list(ctx context.Context, db *gorm.DB, accountID int64, offset, limit int) ([]codeRow, int64, error) {
	var total int64
	if err := db.WithContext(ctx).Raw(`SELECT count(*) FROM wx_qrcodes WHERE account_id = ?`, accountID).Scan(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count QR codes: %w", err)
	}
	var rows []codeRow
	err := db.WithContext(ctx).Raw(`SELECT * FROM wx_qrcodes WHERE account_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`,
		accountID, limit, offset).Scan(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list QR codes: %w", err)
	}
	return rows, total, nil
}

// byID answers one of the account's codes.
func byID(ctx context.Context, db *gorm.DB, accountID, id int64) (codeRow, error) {
	var r codeRow
	err := db.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("read QR code: %w", err)
	}
	return r, nil
}

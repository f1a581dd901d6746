package qrcode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/reply"
)

// codeRow is wx_qrcodes as stored.
type codeRow struct {
	ID             int64         `gorm:"column:id;primaryKey"`
	AccountID      int64         `gorm:"column:account_id"`
	Scene          string        `gorm:"column:scene"`
	SceneIsInt     bool          `gorm:"column:scene_is_int"`
	Permanent      bool          `gorm:"column:permanent"`
	ActionName     string        `gorm:"column:action_name"`
	Ticket         string        `gorm:"column:ticket"`
	URL            string        `gorm:"column:url"`
	ExpireSeconds  int           `gorm:"column:expire_seconds"`
	ExpireAt       *time.Time    `gorm:"column:expire_at"`
	CreatedAt      time.Time     `gorm:"column:created_at"`
	TagIDs         db.Int64Array `gorm:"column:tag_ids"`
	ReplyType      *string       `gorm:"column:reply_type"`
	Reply          []byte        `gorm:"column:reply"`
	ActionsVersion int64         `gorm:"column:actions_version"`
	AppID          string        `gorm:"column:appid;->"` // the account's, when the query joins it
}

func (codeRow) TableName() string { return "wx_qrcodes" }

// notifyChannel is where a change of a code's actions is announced, for the other processes' snapshots.
const notifyChannel = "wx_qrcode_actions"

// setActions fills the row's action columns from a.
func (r *codeRow) setActions(a Actions) error {
	r.TagIDs = make(db.Int64Array, len(a.TagIDs))
	for i, id := range a.TagIDs {
		r.TagIDs[i] = int64(id)
	}
	r.ReplyType, r.Reply = nil, nil
	if a.Reply != nil {
		t := string(a.Reply.Type)
		raw, err := json.Marshal(a.Reply.Content)
		if err != nil {
			return fmt.Errorf("encode QR code reply: %w", err)
		}
		r.ReplyType, r.Reply = &t, raw
	}
	return nil
}

// actions reads the row's action columns.
func (r *codeRow) actions() (Actions, error) {
	var a Actions
	for _, id := range r.TagIDs {
		a.TagIDs = append(a.TagIDs, int(id))
	}
	if r.ReplyType != nil && len(r.Reply) > 0 {
		var c reply.Content
		if err := json.Unmarshal(r.Reply, &c); err != nil {
			return a, fmt.Errorf("decode the reply of QR code %d: %w", r.ID, err)
		}
		a.Reply = &Reply{Type: reply.ReplyType(*r.ReplyType), Content: c}
	}
	return a, nil
}

// insert stores a code; the same ticket again (a permanent code asked twice) is the same row, which takes
// the new actions. r gets its id and creation time. A code with actions gets the next actions version and
// the change is announced.
func insert(ctx context.Context, gdb *gorm.DB, r *codeRow) error {
	hasActions := len(r.TagIDs) > 0 || r.ReplyType != nil
	return gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Raw(`INSERT INTO wx_qrcodes (account_id, scene, scene_is_int, permanent, action_name,
				ticket, url, expire_seconds, expire_at, tag_ids, reply_type, reply, actions_version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN nextval('wx_qrcode_actions_seq') ELSE 0 END)
			ON CONFLICT (account_id, ticket) DO UPDATE SET url = EXCLUDED.url, tag_ids = EXCLUDED.tag_ids,
				reply_type = EXCLUDED.reply_type, reply = EXCLUDED.reply,
				actions_version = nextval('wx_qrcode_actions_seq')
			RETURNING id, created_at, actions_version`,
			r.AccountID, r.Scene, r.SceneIsInt, r.Permanent, r.ActionName, r.Ticket, r.URL, r.ExpireSeconds, r.ExpireAt,
			r.TagIDs, r.ReplyType, jsonOrNil(r.Reply), hasActions).
			Row().Scan(&r.ID, &r.CreatedAt, &r.ActionsVersion)
		if err != nil {
			return fmt.Errorf("store QR code: %w", err)
		}
		if r.ActionsVersion > 0 {
			if err := tx.Exec(`SELECT pg_notify(?, ?)`, notifyChannel, fmt.Sprint(r.ActionsVersion)).Error; err != nil {
				return fmt.Errorf("announce QR code actions: %w", err)
			}
		}
		return nil
	})
}

func jsonOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
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

// actionRow is a code with actions as the snapshot loads it, with its account's appid.
type actionRow = codeRow

// changedSince answers the codes whose actions changed after version, oldest change first, at most limit.
func changedSince(ctx context.Context, gdb *gorm.DB, version int64, limit int) ([]actionRow, error) {
	var rows []actionRow
	err := gdb.WithContext(ctx).Raw(`SELECT q.*, a.appid FROM wx_qrcodes q JOIN wx_accounts a ON a.id = q.account_id
		WHERE q.actions_version > ? ORDER BY q.actions_version LIMIT ?`, version, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load QR code actions: %w", err)
	}
	return rows, nil
}

// latestVersion answers the newest actions version.
func latestVersion(ctx context.Context, gdb *gorm.DB) (int64, error) {
	var v int64
	err := gdb.WithContext(ctx).Raw(`SELECT COALESCE(max(actions_version), 0) FROM wx_qrcodes WHERE actions_version > 0`).Scan(&v).Error
	if err != nil {
		return 0, fmt.Errorf("read QR code actions version: %w", err)
	}
	return v, nil
}

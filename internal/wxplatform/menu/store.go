package menu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// menuRow is wx_menus as stored; the menus are JSONB text.
type menuRow struct {
	AccountID      int64
	Draft          *string
	DraftUpdatedAt *time.Time
	DraftUpdatedBy *int64
	Published      *string
	PublishedAt    *time.Time
	PublishedBy    *int64
}

// historyRow is wx_menu_history as stored.
type historyRow struct {
	ID        int64
	Action    string
	UserID    *int64
	Menu      *string
	CreatedAt time.Time
}

const menuColumns = `account_id, draft::text AS draft, draft_updated_at, draft_updated_by,
	published::text AS published, published_at, published_by`

type store struct {
	db *gorm.DB
}

// get answers the account's row, nil when it has none.
func (s *store) get(ctx context.Context, accountID int64) (*menuRow, error) {
	var rows []menuRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+menuColumns+` FROM wx_menus WHERE account_id = ?`, accountID).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load menu: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// lock answers the account's row, created empty if need be, locked until tx ends, so that two writers of
// the row never interleave. It is held for short transactions only, never across a WeChat call (those
// run under the account's advisory lock, see Service.publish).
func lock(tx *gorm.DB, accountID int64) (*menuRow, error) {
	if err := tx.Exec(`INSERT INTO wx_menus (account_id) VALUES (?) ON CONFLICT (account_id) DO NOTHING`, accountID).Error; err != nil {
		return nil, fmt.Errorf("lock menu: %w", err)
	}
	var rows []menuRow
	if err := tx.Raw(`SELECT `+menuColumns+` FROM wx_menus WHERE account_id = ? FOR UPDATE`, accountID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("lock menu: %w", err)
	}
	if len(rows) == 0 {
		// The account was deleted between the two statements.
		return nil, errors.New("lock menu: the account's row vanished")
	}
	return &rows[0], nil
}

// setDraft stores the draft and who made it.
func setDraft(tx *gorm.DB, accountID int64, menuJSON string, userID *int64, at time.Time) error {
	err := tx.Exec(`UPDATE wx_menus SET draft = CAST(? AS jsonb), draft_updated_at = ?, draft_updated_by = ?,
		updated_at = now() WHERE account_id = ?`, menuJSON, at, userID, accountID).Error
	if err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	return nil
}

// setPublished stores the live menu and who published it; a nil menu clears it (after a delete).
func setPublished(tx *gorm.DB, accountID int64, menuJSON *string, userID *int64, at *time.Time) error {
	err := tx.Exec(`UPDATE wx_menus SET published = CAST(? AS jsonb), published_at = ?, published_by = ?,
		updated_at = now() WHERE account_id = ?`, menuJSON, at, userID, accountID).Error
	if err != nil {
		return fmt.Errorf("save published menu: %w", err)
	}
	return nil
}

// addHistory records a change.
func addHistory(tx *gorm.DB, accountID int64, action string, userID *int64, menuJSON *string, at time.Time) error {
	err := tx.Exec(`INSERT INTO wx_menu_history (account_id, action, user_id, menu, created_at)
		VALUES (?, ?, ?, CAST(? AS jsonb), ?)`, accountID, action, userID, menuJSON, at).Error
	if err != nil {
		return fmt.Errorf("record menu history: %w", err)
	}
	return nil
}

// history answers the account's latest changes, newest first.
func (s *store) history(ctx context.Context, accountID int64, limit int) ([]historyRow, error) {
	var rows []historyRow
	err := s.db.WithContext(ctx).Raw(`SELECT id, action, user_id, menu::text AS menu, created_at
		FROM wx_menu_history WHERE account_id = ? ORDER BY id DESC LIMIT ?`, accountID, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load menu history: %w", err)
	}
	return rows, nil
}

// encode answers m as stored.
func encode(m Menu) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode menu: %w", err)
	}
	return string(b), nil
}

// decodeStored reads a stored menu; nil for NULL.
func decodeStored(s *string) (*Menu, error) {
	if s == nil {
		return nil, nil
	}
	var m Menu
	if err := json.Unmarshal([]byte(*s), &m); err != nil {
		return nil, fmt.Errorf("decode stored menu: %w", err)
	}
	if m.Button == nil {
		m.Button = []Button{}
	}
	return &m, nil
}

// userRef answers the user id to store: nil for 0 (a caller without an operator).
func userRef(userID int64) *int64 {
	if userID == 0 {
		return nil
	}
	return &userID
}

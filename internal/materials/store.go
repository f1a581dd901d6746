package materials

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// materialRow is a row of materials. The data column is only read when a file is served.
type materialRow struct {
	ID          int64
	AccountID   int64
	Kind        string
	MediaID     sql.NullString
	WechatURL   string `gorm:"column:wechat_url"`
	Filename    string
	Title       string
	Description string
	ContentType string
	Size        int64
	Sha256      []byte `gorm:"column:sha256"`
	Data        []byte `gorm:"column:data"`
	UploadedBy  sql.NullInt64
	CreatedAt   time.Time
}

func (materialRow) TableName() string { return "materials" }

// listColumns are every column but the bytes.
var listColumns = []string{"id", "account_id", "kind", "media_id", "wechat_url", "filename", "title", "description",
	"content_type", "size", "sha256", "uploaded_by", "created_at"}

func (r *materialRow) material() Material {
	m := Material{
		ID: r.ID, Kind: Kind(r.Kind), MediaID: r.MediaID.String, WeChatURL: r.WechatURL, Title: r.Title,
		Description: r.Description, ContentType: r.ContentType, Size: r.Size, SHA256: hex.EncodeToString(r.Sha256),
		UploadedBy: r.UploadedBy.Int64, CreatedAt: r.CreatedAt, URL: FilePath(r.ID),
	}
	m.Name = r.Filename
	if f := formatOf(r.ContentType); f != nil {
		m.Name = nameFor(r.Filename, f)
	}
	return m
}

type store struct {
	db *gorm.DB
}

func (s *store) insert(ctx context.Context, r *materialRow) error {
	if err := s.db.WithContext(ctx).Omit("ID").Create(r).Error; err != nil {
		return fmt.Errorf("insert material: %w", err)
	}
	return nil
}

// putLogo replaces the account's logo with r, in one statement: two uploads at once leave one logo.
func (s *store) putLogo(ctx context.Context, r *materialRow) error {
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:     []clause.Column{{Name: "account_id"}},
		TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "kind = 'logo'"}}},
		DoUpdates: clause.Assignments(map[string]any{
			"filename": r.Filename, "content_type": r.ContentType, "size": r.Size, "sha256": r.Sha256,
			"data": r.Data, "uploaded_by": r.UploadedBy, "created_at": r.CreatedAt,
		}),
	}).Omit("ID").Create(r).Error // RETURNING id answers the replaced row's id on a conflict
	if err != nil {
		return fmt.Errorf("store logo: %w", err)
	}
	return nil
}

func (s *store) byMediaIDs(ctx context.Context, accountID int64, ids []string) (map[string]materialRow, error) {
	out := map[string]materialRow{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []materialRow
	err := s.db.WithContext(ctx).Select(listColumns).Where("account_id = ? AND media_id IN ?", accountID, ids).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find materials: %w", err)
	}
	for _, r := range rows {
		out[r.MediaID.String] = r
	}
	return out, nil
}

// deleteByMediaID removes the account's copy of a material and reports whether there was one.
func (s *store) deleteByMediaID(ctx context.Context, accountID int64, mediaID string) (bool, error) {
	res := s.db.WithContext(ctx).Where("account_id = ? AND media_id = ?", accountID, mediaID).Delete(&materialRow{})
	if res.Error != nil {
		return false, fmt.Errorf("delete material: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

func (s *store) list(ctx context.Context, accountID int64, kind Kind, offset, limit int) ([]materialRow, int64, error) {
	q := s.db.WithContext(ctx).Model(&materialRow{}).Where("account_id = ?", accountID)
	if kind != "" {
		q = q.Where("kind = ?", string(kind))
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count materials: %w", err)
	}
	var rows []materialRow
	if err := q.Select(listColumns).Order("id DESC").Offset(offset).Limit(limit).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list materials: %w", err)
	}
	return rows, total, nil
}

// file reads one material with its bytes, when it belongs to one of accountIDs.
func (s *store) file(ctx context.Context, accountIDs []int64, id int64) (*materialRow, error) {
	if len(accountIDs) == 0 {
		return nil, ErrNotFound
	}
	var r materialRow
	err := s.db.WithContext(ctx).Where("id = ? AND account_id IN ?", id, accountIDs).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read material: %w", err)
	}
	return &r, nil
}

func (s *store) logo(ctx context.Context, accountID int64) (*materialRow, error) {
	var r materialRow
	err := s.db.WithContext(ctx).Where("account_id = ? AND kind = 'logo'", accountID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNoLogo
	}
	if err != nil {
		return nil, fmt.Errorf("read logo: %w", err)
	}
	return &r, nil
}

package articles

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/socialinzen/socialinzen/internal/db"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type draftRow struct {
	ID           int64
	AccountID    int64
	MediaID      string
	Articles     []byte `gorm:"type:jsonb"`
	Origin       string
	State        string
	CreatedBy    sql.NullInt64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	WxUpdateTime int64
}

func (draftRow) TableName() string { return "article_drafts" }

type revisionRow struct {
	ID       int64
	DraftID  int64
	Articles []byte `gorm:"type:jsonb"`
	Removed  []byte `gorm:"type:jsonb"`
	Action   string
	SavedBy  sql.NullInt64
	SavedAt  time.Time
}

func (revisionRow) TableName() string { return "article_draft_revisions" }

type imageRow struct {
	ID          int64
	AccountID   int64
	URL         string `gorm:"column:url"`
	Filename    string
	ContentType string
	Size        int64
	Data        []byte
	UploadedBy  sql.NullInt64
	CreatedAt   time.Time
}

func (imageRow) TableName() string { return "article_images" }

type publishRow struct {
	ID         int64
	AccountID  int64
	AppID      string `gorm:"column:appid"`
	DraftID    sql.NullInt64
	MediaID    string
	PublishID  sql.NullString
	Status     string
	WxStatus   sql.NullInt32
	ArticleID  string
	URLs       []byte `gorm:"column:urls;type:jsonb"`
	FailIdx    []byte `gorm:"type:jsonb"`
	Title      string
	CreatedBy  sql.NullInt64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	CheckedAt  sql.NullTime
	FinishedAt sql.NullTime
	Source     string
}

func (publishRow) TableName() string { return "article_publishes" }

func (r *draftRow) draft() (*Draft, error) {
	d := &Draft{MediaID: r.MediaID, Origin: r.Origin, State: r.State, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, id: r.ID}
	if err := json.Unmarshal(r.Articles, &d.Articles); err != nil {
		return nil, fmt.Errorf("draft %d: %w", r.ID, err)
	}
	return d, nil
}

func (r *publishRow) publish() *Publish {
	p := &Publish{PublishID: r.PublishID.String, MediaID: r.MediaID, Status: r.Status, ArticleID: r.ArticleID,
		Title: r.Title, CreatedAt: r.CreatedAt, Articles: []PublishedURL{}}
	if r.WxStatus.Valid {
		v := int(r.WxStatus.Int32)
		p.WxStatus = &v
	}
	_ = json.Unmarshal(r.URLs, &p.Articles)
	_ = json.Unmarshal(r.FailIdx, &p.FailIdx)
	if r.FinishedAt.Valid {
		t := r.FinishedAt.Time
		p.FinishedAt = &t
	}
	if p.Status == StatusSubmitting {
		p.Status = StatusPublishing
	}
	return p
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain types are marshalled
	}
	return b
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id > 0} }

type store struct{ db *gorm.DB }

func (s *store) draft(ctx context.Context, accountID int64, mediaID string) (*draftRow, error) {
	var r draftRow
	err := s.db.WithContext(ctx).Where("account_id = ? AND media_id = ?", accountID, mediaID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrDraftNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read draft: %w", err)
	}
	return &r, nil
}

// saveDraft writes a draft and one revision in a transaction. prevMediaID, when set and different,
// names the row being replaced (a draft whose articles were added or removed gets a new media_id).
func (s *store) saveDraft(ctx context.Context, accountID int64, prevMediaID string, r *draftRow, rev *revisionRow) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var existing draftRow
		key := r.MediaID
		if prevMediaID != "" {
			key = prevMediaID
		}
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("account_id = ? AND media_id = ?", accountID, key).Take(&existing).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			if err := tx.Omit("ID").Create(r).Error; err != nil {
				return fmt.Errorf("insert draft: %w", err)
			}
		case err != nil:
			return fmt.Errorf("read draft: %w", err)
		default:
			r.ID, r.CreatedAt, r.CreatedBy, r.Origin = existing.ID, existing.CreatedAt, existing.CreatedBy, existing.Origin
			if err := tx.Model(&draftRow{}).Where("id = ?", existing.ID).Updates(map[string]any{
				"media_id": r.MediaID, "articles": r.Articles, "updated_at": r.UpdatedAt, "state": r.State,
				"wx_update_time": r.WxUpdateTime,
			}).Error; err != nil {
				return fmt.Errorf("update draft: %w", err)
			}
		}
		rev.DraftID = r.ID
		if err := tx.Omit("ID").Create(rev).Error; err != nil {
			return fmt.Errorf("insert revision: %w", err)
		}
		return recordDraft(ctx, tx, rev.Action, &existing, r)
	})
}

func (s *store) listDrafts(ctx context.Context, accountID int64, offset, limit int) ([]draftRow, int64, error) {
	q := s.db.WithContext(ctx).Model(&draftRow{}).Where("account_id = ?", accountID)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count drafts: %w", err)
	}
	var rows []draftRow
	if err := q.Order("updated_at DESC, id DESC").Offset(offset).Limit(limit).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list drafts: %w", err)
	}
	return rows, total, nil
}

func (s *store) deleteDraft(ctx context.Context, id int64) error {
	if err := s.db.WithContext(ctx).Delete(&draftRow{}, id).Error; err != nil {
		return fmt.Errorf("delete draft: %w", err)
	}
	return nil
}

func (s *store) revisions(ctx context.Context, draftID int64) ([]revisionRow, error) {
	var rows []revisionRow
	err := s.db.WithContext(ctx).Where("draft_id = ?", draftID).Order("id DESC").Limit(200).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list revisions: %w", err)
	}
	return rows, nil
}

func (s *store) insertImage(ctx context.Context, r *imageRow) error {
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}, {Name: "url"}},
		DoUpdates: clause.AssignmentColumns([]string{"filename"}),
	}).Omit("ID").Create(r).Error
	if err != nil {
		return fmt.Errorf("insert image: %w", err)
	}
	return nil
}

// imagesByURL answers the account's pictures among urls: url -> id.
func (s *store) imagesByURL(ctx context.Context, accountID int64, urls []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(urls) == 0 {
		return out, nil
	}
	var rows []imageRow
	err := s.db.WithContext(ctx).Select("id", "url").Where("account_id = ? AND url IN ?", accountID, urls).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find images: %w", err)
	}
	for _, r := range rows {
		out[r.URL] = r.ID
	}
	return out, nil
}

// imagesByID answers the account's pictures among ids: id -> url.
func (s *store) imagesByID(ctx context.Context, accountID int64, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []imageRow
	err := s.db.WithContext(ctx).Select("id", "url").Where("account_id = ? AND id IN ?", accountID, ids).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find images: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.URL
	}
	return out, nil
}

func (s *store) image(ctx context.Context, accountIDs []int64, id int64) (*imageRow, error) {
	if len(accountIDs) == 0 {
		return nil, ErrImageNotFound
	}
	var r imageRow
	err := s.db.WithContext(ctx).Where("id = ? AND account_id IN ?", id, accountIDs).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrImageNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read image: %w", err)
	}
	return &r, nil
}

// staleSubmit is how long a 'submitting' row blocks another submit of its draft: a process that died
// between writing it and hearing WeChat's answer leaves it behind.
const staleSubmit = 2 * time.Minute

// claimSubmit writes the 'submitting' row of a publish, unless the draft is being published already.
func (s *store) claimSubmit(ctx context.Context, r *publishRow) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("account_id = ? AND media_id = ? AND status = ? AND updated_at < ?", r.AccountID, r.MediaID,
			StatusSubmitting, time.Now().Add(-staleSubmit)).Delete(&publishRow{})
		if res.Error != nil {
			return fmt.Errorf("clear stale submit: %w", res.Error)
		}
		err := tx.Omit("ID").Create(r).Error
		if db.IsUniqueViolation(err) {
			return ErrPublishing
		}
		if err != nil {
			return fmt.Errorf("insert publish: %w", err)
		}
		return nil
	})
}

func (s *store) updatePublish(ctx context.Context, id int64, fields map[string]any) error {
	fields["updated_at"] = time.Now().UTC()
	if err := s.db.WithContext(ctx).Model(&publishRow{}).Where("id = ?", id).Updates(fields).Error; err != nil {
		return fmt.Errorf("update publish: %w", err)
	}
	return nil
}

func (s *store) dropPublish(ctx context.Context, id int64) error {
	if err := s.db.WithContext(ctx).Delete(&publishRow{}, id).Error; err != nil {
		return fmt.Errorf("delete publish: %w", err)
	}
	return nil
}

func (s *store) publishByWxID(ctx context.Context, accountID int64, publishID string) (*publishRow, error) {
	var r publishRow
	err := s.db.WithContext(ctx).Where("account_id = ? AND publish_id = ?", accountID, publishID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrPublishNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read publish: %w", err)
	}
	return &r, nil
}

func (s *store) publishByID(ctx context.Context, id int64) (*publishRow, error) {
	var r publishRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrPublishNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read publish: %w", err)
	}
	return &r, nil
}

func (s *store) lastPublishes(ctx context.Context, accountID int64, mediaIDs []string) (map[string]*publishRow, error) {
	out := map[string]*publishRow{}
	if len(mediaIDs) == 0 {
		return out, nil
	}
	var rows []publishRow
	err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT ON (media_id) * FROM article_publishes
		WHERE account_id = ? AND media_id IN ? AND publish_id IS NOT NULL ORDER BY media_id, id DESC`, accountID, mediaIDs).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("last publishes: %w", err)
	}
	for i := range rows {
		out[rows[i].MediaID] = &rows[i]
	}
	return out, nil
}

func (s *store) publishesByArticle(ctx context.Context, accountID int64, articleIDs []string) (map[string]*publishRow, error) {
	out := map[string]*publishRow{}
	if len(articleIDs) == 0 {
		return out, nil
	}
	var rows []publishRow
	err := s.db.WithContext(ctx).Where("account_id = ? AND article_id IN ?", accountID, articleIDs).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("publishes by article: %w", err)
	}
	for i := range rows {
		out[rows[i].ArticleID] = &rows[i]
	}
	return out, nil
}

func (s *store) listPublishes(ctx context.Context, accountID int64, offset, limit int) ([]publishRow, int64, error) {
	q := s.db.WithContext(ctx).Model(&publishRow{}).Where("account_id = ? AND publish_id IS NOT NULL", accountID)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count publishes: %w", err)
	}
	var rows []publishRow
	if err := q.Order("id DESC").Offset(offset).Limit(limit).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list publishes: %w", err)
	}
	return rows, total, nil
}

// settle records a job's outcome, once: a row already settled with the same status is left alone, so the
// event and the poll racing each other write it once. It answers whether this call changed the row.
func (s *store) settle(ctx context.Context, id int64, status string, wx int, articleID string, urls []PublishedURL,
	failIdx []int, source string) (bool, error) {
	if urls == nil {
		urls = []PublishedURL{}
	}
	if failIdx == nil {
		failIdx = []int{}
	}
	now := time.Now().UTC()
	fields := map[string]any{"status": status, "wx_status": wx, "updated_at": now, "checked_at": now, "source": source,
		"fail_idx": mustJSON(failIdx)}
	if articleID != "" {
		fields["article_id"] = articleID
		fields["urls"] = mustJSON(urls)
	}
	if status != StatusPublishing {
		fields["finished_at"] = gorm.Expr("COALESCE(finished_at, ?)", now)
	}
	var changed bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&publishRow{}).Where("id = ? AND (status <> ? OR wx_status IS DISTINCT FROM ?)", id, status, wx).Updates(fields)
		if res.Error != nil {
			return fmt.Errorf("settle publish: %w", res.Error)
		}
		changed = res.RowsAffected > 0
		if changed && status == StatusPublished {
			// WeChat removes a published draft from the draft box.
			if err := tx.Exec(`UPDATE article_drafts SET state = 'published', updated_at = ? WHERE id =
				(SELECT draft_id FROM article_publishes WHERE id = ?)`, now, id).Error; err != nil {
				return fmt.Errorf("mark draft published: %w", err)
			}
		}
		return nil
	})
	return changed, err
}

func (s *store) touchChecked(ctx context.Context, id int64) error {
	return s.db.WithContext(ctx).Model(&publishRow{}).Where("id = ?", id).Update("checked_at", time.Now().UTC()).Error
}

func (s *store) markDeleted(ctx context.Context, accountID int64, articleID string) error {
	err := s.db.WithContext(ctx).Model(&publishRow{}).Where("account_id = ? AND article_id = ?", accountID, articleID).
		Updates(map[string]any{"status": StatusDeleted, "wx_status": 5, "updated_at": time.Now().UTC()}).Error
	if err != nil {
		return fmt.Errorf("mark deleted: %w", err)
	}
	return nil
}

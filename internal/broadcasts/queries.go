package broadcasts

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/domain"
)

type broadcastRow struct {
	ID         int64
	Kind       string
	State      string
	Target     string
	MsgType    string
	Content    string
	Total      int
	Done       int
	Sent       int
	Failed     int
	Filtered   int
	WxStatus   string
	Error      string
	CreatedBy  int64
	ApprovedBy *int64
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

const broadcastColumns = `id, kind, state, target::text AS target, msg_type, content::text AS content, total, done, sent,
	failed, filtered, wx_status, error, created_by, approved_by, created_at, started_at, finished_at`

func (r broadcastRow) view(now time.Time) Broadcast {
	b := Broadcast{ID: r.ID, Kind: r.Kind, State: r.State, MsgType: r.MsgType, Content: json.RawMessage(r.Content),
		Total: r.Total, Done: r.Done, Counts: Counts{Sent: r.Sent, Failed: r.Failed, Filtered: r.Filtered},
		WxStatus: r.WxStatus, Error: r.Error, CreatedBy: r.CreatedBy, ApprovedBy: r.ApprovedBy,
		CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
	_ = json.Unmarshal([]byte(r.Target), &b.Target)
	if r.StartedAt != nil && r.Done > 0 {
		end := now
		if r.FinishedAt != nil {
			end = *r.FinishedAt
		}
		if secs := end.Sub(*r.StartedAt).Seconds(); secs > 0 {
			b.Rate = float64(int(float64(r.Done)/secs*10)) / 10
		}
	}
	return b
}

// Get answers one broadcast of the account.
func (s *Service) Get(ctx context.Context, accountID, id int64) (Broadcast, error) {
	var rows []broadcastRow
	if err := s.db.WithContext(ctx).Raw(`SELECT `+broadcastColumns+` FROM broadcasts WHERE id = ? AND account_id = ?`, id, accountID).Scan(&rows).Error; err != nil {
		return Broadcast{}, err
	}
	if len(rows) == 0 {
		return Broadcast{}, apperr.Wrap(apperr.NotFound, "broadcast not found", ErrNotFound).WithKey("err.broadcast.not_found")
	}
	return rows[0].view(time.Now()), nil
}

// List answers the account's broadcasts, newest first, and how many there are.
func (s *Service) List(ctx context.Context, accountID int64, offset, limit int) ([]Broadcast, int64, error) {
	var total int64
	db := s.db.WithContext(ctx)
	if err := db.Raw(`SELECT count(*) FROM broadcasts WHERE account_id = ?`, accountID).Scan(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []broadcastRow
	if err := db.Raw(`SELECT `+broadcastColumns+` FROM broadcasts WHERE account_id = ? ORDER BY id DESC OFFSET ? LIMIT ?`,
		accountID, offset, limit).Scan(&rows).Error; err != nil {
		return nil, 0, err
	}
	now := time.Now()
	out := make([]Broadcast, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.view(now))
	}
	return out, total, nil
}

// Recipients answers a page of a broadcast's recipients, by status when status is not empty, and how many
// there are.
func (s *Service) Recipients(ctx context.Context, accountID, id int64, status string, offset, limit int) ([]Recipient, int64, error) {
	if _, err := s.Get(ctx, accountID, id); err != nil {
		return nil, 0, err
	}
	switch status {
	case "", StatusPending, StatusSent, StatusDelivered, StatusFailed:
	default:
		return nil, 0, apperr.Invalidf("status", "must be pending, sent, delivered or failed").WithKey("err.broadcast.status", "status")
	}
	db := s.db.WithContext(ctx)
	where, args := `broadcast_id = ?`, []any{id}
	if status != "" {
		where += ` AND status = ?`
		args = append(args, status)
	}
	var total int64
	if err := db.Raw(`SELECT count(*) FROM broadcast_recipients WHERE `+where, args...).Scan(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []Recipient
	err := db.Raw(`SELECT openid AS open_id, status, msgid AS msg_id, reason, updated_at FROM broadcast_recipients WHERE `+where+
		` ORDER BY seq OFFSET ? LIMIT ?`, append(args, offset, limit)...).Scan(&out).Error
	if out == nil {
		out = []Recipient{}
	}
	return out, total, err
}

// SyncTemplates replaces the stored templates with WeChat's list.
func (s *Service) SyncTemplates(ctx context.Context, a *domain.Account) ([]Template, error) {
	list, err := s.wx.Templates(ctx, a.AppID)
	if err != nil {
		return nil, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := recordTemplateSync(ctx, tx, a, list); err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM broadcast_templates WHERE account_id = ?`, a.ID).Error; err != nil {
			return err
		}
		for _, t := range list {
			if err := tx.Exec(`INSERT INTO broadcast_templates (account_id, template_id, title, content, example, fields)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, a.ID, t.TemplateID, t.Title, t.Content, t.Example,
				db.StringArray(Fields(t.Content))).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Templates(ctx, a.ID)
}

type templateRow struct {
	TemplateID string
	Title      string
	Content    string
	Example    string
	Fields     db.StringArray `gorm:"type:text[]"`
}

// Templates answers the stored templates of the account.
func (s *Service) Templates(ctx context.Context, accountID int64) ([]Template, error) {
	var rows []templateRow
	if err := s.db.WithContext(ctx).Raw(`SELECT template_id, title, content, example, fields FROM broadcast_templates
		WHERE account_id = ? ORDER BY title, template_id`, accountID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Template, 0, len(rows))
	for _, r := range rows {
		out = append(out, Template{TemplateID: r.TemplateID, Title: r.Title, Content: r.Content, Example: r.Example, Fields: append([]string{}, r.Fields...)})
	}
	return out, nil
}

// template answers one template, syncing once from WeChat when it is not stored.
func (s *Service) template(ctx context.Context, a *domain.Account, id string) (Template, error) {
	for range 2 {
		list, err := s.Templates(ctx, a.ID)
		if err != nil {
			return Template{}, err
		}
		for _, t := range list {
			if t.TemplateID == id {
				return t, nil
			}
		}
		if _, err := s.SyncTemplates(ctx, a); err != nil {
			return Template{}, err
		}
	}
	return Template{}, apperr.New(apperr.NotFound, "templateId: no such template").WithKey("err.broadcast.template_not_found")
}

// AddTemplate adds a template from WeChat's library by short id (and keyword names) and syncs.
func (s *Service) AddTemplate(ctx context.Context, a *domain.Account, shortID string, names []string) (string, error) {
	shortID = strings.TrimSpace(shortID)
	if shortID == "" {
		return "", apperr.Missing("shortId")
	}
	id, err := s.wx.AddTemplate(ctx, a.AppID, shortID, names)
	if err != nil {
		return "", err
	}
	if err := audit.RecordAfter(ctx, s.db, audit.Entry{AccountID: a.ID, AppID: a.AppID, Action: "addTemplate",
		Target: audit.Target("template", id), Changes: audit.Created(map[string]any{"shortId": shortID, "templateId": id})}); err != nil {
		return "", err
	}
	_, err = s.SyncTemplates(ctx, a)
	return id, err
}

// DeleteTemplate deletes a template at WeChat and here.
func (s *Service) DeleteTemplate(ctx context.Context, a *domain.Account, id string) error {
	id = strings.TrimSpace(id)
	if id == "" {
		return apperr.Missing("templateId")
	}
	if err := s.wx.DeleteTemplate(ctx, a.AppID, id); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`DELETE FROM broadcast_templates WHERE account_id = ? AND template_id = ?`, a.ID, id).Error; err != nil {
			return err
		}
		return recordState(ctx, tx, a.ID, "deleteTemplate", audit.Target("template", id), audit.Deleted(map[string]any{"templateId": id}))
	})
}

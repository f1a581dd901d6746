package broadcasts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is what broadcasts call of WeChat; *wxclient.Client implements it.
type WeChat interface {
	MassSendAll(ctx context.Context, appid string, req wxclient.MassRequest) (wxclient.MassResult, error)
	MassSend(ctx context.Context, appid string, req wxclient.MassRequest) (wxclient.MassResult, error)
	MassPreview(ctx context.Context, appid string, req wxclient.PreviewRequest) (int64, error)
	MassDelete(ctx context.Context, appid string, msgID int64, articleIdx int) error
	Templates(ctx context.Context, appid string) ([]wxclient.Template, error)
	AddTemplate(ctx context.Context, appid, shortID string, keywordNames []string) (string, error)
	DeleteTemplate(ctx context.Context, appid, templateID string) error
	SendTemplate(ctx context.Context, appid string, m wxclient.TemplateMessage) (int64, error)
}

// Options configure the service.
type Options struct {
	WeChat WeChat
	Jobs   *jobs.Queue
	Logger *slog.Logger
	// TemplateRate is the most template messages per second one account's broadcast sends (default 50).
	TemplateRate int
	// Lease is how long a sender may stay silent before another process resumes its broadcast (default 30s).
	Lease time.Duration
	// ChunkSize is the most openids of one mass/send (default and at most 10,000; tests make it smaller).
	ChunkSize int
}

// Service is the broadcasts capability.
type Service struct {
	db    *gorm.DB
	wx    WeChat
	jobs  *jobs.Queue
	log   *slog.Logger
	opts  Options
	owner string // this process's name in leases
}

// New builds the service and registers its jobs on the queue (before the queue starts).
func New(db *gorm.DB, opts Options) (*Service, error) {
	if opts.TemplateRate <= 0 {
		opts.TemplateRate = 50
	}
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.ChunkSize <= 0 || opts.ChunkSize > wxclient.MaxMassOpenIDs {
		opts.ChunkSize = wxclient.MaxMassOpenIDs
	}
	opts.ChunkSize = max(opts.ChunkSize, 4) // every chunk then has the 2 openids mass/send needs
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	s := &Service{db: db, wx: opts.WeChat, jobs: opts.Jobs, log: opts.Logger, opts: opts,
		owner: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), randomHex(4))}
	if opts.Jobs != nil {
		if err := s.register(opts.Jobs); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// MassInput is a massSend request.
type MassInput struct {
	Target            Target
	Type              string
	Content           json.RawMessage
	SendIgnoreReprint bool
}

// TemplateInput is a sendTemplate request.
type TemplateInput struct {
	TemplateID  string
	Target      Target
	Data        map[string]string
	URL         string
	MiniProgram *MiniProgram
}

// massContent turns the API's content into WeChat's message and what the broadcast stores.
func massContent(typ string, raw json.RawMessage) (wxclient.MassContent, json.RawMessage, error) {
	c := wxclient.MassContent{MsgType: typ}
	var str string
	strErr := json.Unmarshal(raw, &str)
	str = strings.TrimSpace(str)
	switch typ {
	case "text", "mpnews", "voice", "mpvideo":
		if strErr != nil || str == "" {
			return c, nil, apperr.Invalidf("content", "must be a non-empty string for type %s", typ).WithKey("err.broadcast.content_string", "content", typ)
		}
		switch typ {
		case "text":
			if len([]rune(str)) > 2000 {
				return c, nil, apperr.Invalidf("content", "at most 2000 characters").WithKey("err.broadcast.content_chars", "content")
			}
			c.Text = &wxclient.TextContent{Content: str}
		case "mpnews":
			c.MPNews = &wxclient.MediaRef{MediaID: str}
		case "voice":
			c.Voice = &wxclient.MediaRef{MediaID: str}
		case "mpvideo":
			c.MPVideo = &wxclient.MediaRef{MediaID: str}
		}
		b, _ := json.Marshal(str)
		return c, b, nil
	case "image":
		var ids []string
		if strErr == nil && str != "" {
			ids = []string{str}
		} else if err := json.Unmarshal(raw, &ids); err != nil {
			return c, nil, apperr.Invalidf("content", "must be an array of image mediaIds").WithKey("err.broadcast.images_shape", "content")
		}
		ids = slices.DeleteFunc(ids, func(s string) bool { return strings.TrimSpace(s) == "" })
		if len(ids) == 0 || len(ids) > 20 {
			return c, nil, apperr.Invalidf("content", "must hold 1 to 20 image mediaIds").WithKey("err.broadcast.images_count", "content")
		}
		c.Images = &wxclient.ImagesContent{MediaIDs: ids}
		b, _ := json.Marshal(ids)
		return c, b, nil
	case "":
		return c, nil, apperr.Missing("type")
	}
	return c, nil, apperr.Invalidf("type", "must be mpnews, text, image, voice or mpvideo").WithKey("err.broadcast.type", "type")
}

// The answers of checkDraft: an mpnews mass message names a draft of the account's draft box (contract §17).
var (
	ErrNoDraft = apperr.New(apperr.NotFound,
		"content: no draft with this mediaId in the console (save it in the articles, or sync drafts if it was made in WeChat's admin)").
		WithKey("broadcasts.err.no_draft")
	ErrDraftPublished = apperr.Invalidf("content",
		"this draft was published: WeChat removed it from the draft box; choose another draft").
		WithKey("broadcasts.err.draft_published")
)

// checkDraft refuses an mpnews message whose mediaId is not one of the account's drafts (40400), or a
// draft already published (40000), before anything is queued: WeChat would refuse every chunk with 40007.
func (s *Service) checkDraft(ctx context.Context, accountID int64, c wxclient.MassContent) error {
	if c.MPNews == nil {
		return nil
	}
	var states []string
	if err := s.db.WithContext(ctx).Raw(`SELECT state FROM article_drafts WHERE account_id = ? AND media_id = ?`,
		accountID, c.MPNews.MediaID).Scan(&states).Error; err != nil {
		return fmt.Errorf("find draft: %w", err)
	}
	switch {
	case len(states) == 0:
		return ErrNoDraft
	case states[0] != "draft":
		return ErrDraftPublished
	}
	return nil
}

// checkTarget validates a target and answers its openids deduplicated.
func checkTarget(t *Target, allowOne bool) error {
	n := 0
	if t.All {
		n++
	}
	if t.TagID != nil {
		n++
	}
	if t.OpenIDs != nil {
		n++
	}
	if t.OpenID != "" {
		n++
	}
	switch {
	case n == 0:
		return apperr.Invalidf("target", "is empty: give all, tagId or openids").WithKey("err.broadcast.target_empty", "target")
	case n > 1:
		return apperr.Invalidf("target", "give exactly one of all, tagId, openids").WithKey("err.broadcast.target_one", "target")
	case t.OpenID != "" && !allowOne:
		return apperr.Invalidf("target", "give all, tagId or openids").WithKey("err.broadcast.target_give", "target")
	}
	if t.OpenIDs != nil {
		seen := make(map[string]bool, len(t.OpenIDs))
		ids := t.OpenIDs[:0]
		for _, id := range t.OpenIDs {
			id = strings.TrimSpace(id)
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			ids = append(ids, id)
		}
		t.OpenIDs = ids
		switch {
		case len(ids) == 0:
			return apperr.Invalidf("target.openids", "is empty").WithKey("err.field.empty", "target.openids")
		case len(ids) > MaxOpenIDs:
			return apperr.Invalidf("target.openids", "at most %d openids", MaxOpenIDs).WithKey("err.broadcast.openids_max", "target.openids", MaxOpenIDs)
		}
	}
	if t.TagID != nil && *t.TagID < 0 {
		return apperr.Invalidf("target.tagId", "must be a tag id").WithKey("err.field.tag_id", "target.tagId")
	}
	return nil
}

// TargetCount answers how many subscribed followers of the mirror a target reaches now.
func (s *Service) TargetCount(ctx context.Context, accountID int64, t Target) (int, error) {
	switch {
	case t.All:
		return s.countFollowers(ctx, accountID, nil)
	case t.TagID != nil:
		return s.countFollowers(ctx, accountID, t.TagID)
	case t.OpenID != "":
		return 1, nil
	}
	return len(t.OpenIDs), nil
}

func (s *Service) countFollowers(ctx context.Context, accountID int64, tag *int) (int, error) {
	var n int
	q := `SELECT count(*) FROM wx_followers WHERE account_id = ? AND subscribed`
	args := []any{accountID}
	if tag != nil {
		q += ` AND tagid_list @> ARRAY[?]::int[]`
		args = append(args, *tag)
	}
	err := s.db.WithContext(ctx).Raw(q, args...).Scan(&n).Error
	return n, err
}

// checkReach refuses a tag without followers (before anything is sent) and a send to all followers of an
// empty mirror for template messages, which go to the mirror's followers.
func (s *Service) checkReach(ctx context.Context, accountID int64, t Target, kind string) (int, error) {
	n, err := s.TargetCount(ctx, accountID, t)
	if err != nil {
		return 0, err
	}
	switch {
	case t.TagID != nil && n == 0:
		return 0, apperr.Invalidf("target.tagId", "no follower carries tag %d (sync followers first if this is unexpected)", *t.TagID).WithKey("err.broadcast.tag_no_followers", "target.tagId", *t.TagID)
	case t.All && n == 0 && kind == KindTemplate:
		return 0, apperr.Invalidf("target", "the account has no followers in the console; sync followers first").WithKey("err.broadcast.no_followers", "target")
	}
	return n, nil
}

// MassSend creates a mass broadcast.
func (s *Service) MassSend(ctx context.Context, a *domain.Account, userID int64, in MassInput) (int64, error) {
	if err := checkTarget(&in.Target, false); err != nil {
		return 0, err
	}
	if len(in.Target.OpenIDs) == 1 {
		return 0, apperr.Invalidf("target.openids", "WeChat's mass/send needs at least 2 openids; preview to one with massPreview").WithKey("err.broadcast.openids_min", "target.openids")
	}
	c, stored, err := massContent(in.Type, in.Content)
	if err != nil {
		return 0, err
	}
	if err := s.checkDraft(ctx, a.ID, c); err != nil {
		return 0, err
	}
	if _, err := s.checkReach(ctx, a.ID, in.Target, KindMass); err != nil {
		return 0, err
	}
	return s.create(ctx, a, userID, KindMass, in.Type, in.Target, stored, in.SendIgnoreReprint)
}

// SendTemplate sends a template message: at once to one follower (answering its msgid), as a broadcast
// to more (answering the broadcast's id).
func (s *Service) SendTemplate(ctx context.Context, a *domain.Account, userID int64, in TemplateInput) (msgID, broadcastID int64, err error) {
	in.TemplateID = strings.TrimSpace(in.TemplateID)
	if in.TemplateID == "" {
		return 0, 0, apperr.Missing("templateId")
	}
	if err := checkTarget(&in.Target, true); err != nil {
		return 0, 0, err
	}
	tpl, err := s.template(ctx, a, in.TemplateID)
	if err != nil {
		return 0, 0, err
	}
	for _, f := range tpl.Fields {
		if _, ok := in.Data[f]; !ok {
			return 0, 0, apperr.Invalidf("data."+f, "is required by template %s", tpl.TemplateID).WithKey("err.broadcast.data_required", "data."+f, tpl.TemplateID)
		}
	}
	if in.MiniProgram != nil && strings.TrimSpace(in.MiniProgram.AppID) == "" {
		return 0, 0, apperr.Missing("miniprogram.appid")
	}
	content := templateContent{TemplateID: tpl.TemplateID, Data: in.Data, URL: in.URL, MiniProgram: in.MiniProgram}
	if in.Target.OpenID != "" {
		id, err := s.wx.SendTemplate(ctx, a.AppID, templateMessage(content, in.Target.OpenID, ""))
		return id, 0, err
	}
	if _, err := s.checkReach(ctx, a.ID, in.Target, KindTemplate); err != nil {
		return 0, 0, err
	}
	stored, _ := json.Marshal(content)
	id, err := s.create(ctx, a, userID, KindTemplate, "", in.Target, stored, false)
	return 0, id, err
}

func templateMessage(c templateContent, openid, clientID string) wxclient.TemplateMessage {
	m := wxclient.TemplateMessage{ToUser: openid, TemplateID: c.TemplateID, URL: c.URL, ClientMsgID: clientID,
		Data: make(map[string]wxclient.TemplateValue, len(c.Data))}
	for k, v := range c.Data {
		m.Data[k] = wxclient.TemplateValue{Value: v}
	}
	if c.MiniProgram != nil {
		m.MiniProgram = &wxclient.MiniProgram{AppID: c.MiniProgram.AppID, PagePath: c.MiniProgram.PagePath}
	}
	return m
}

// create stores a broadcast, its openid recipients and chunks, and (unless it waits for approval) the job
// that sends it, in one transaction.
func (s *Service) create(ctx context.Context, a *domain.Account, userID int64, kind, msgType string, t Target, content json.RawMessage, ignoreReprint bool) (int64, error) {
	state := StateQueued
	if t.All {
		need, err := s.needsApproval(ctx, a.ID, userID)
		if err != nil {
			return 0, err
		}
		if need {
			state = StatePendingApproval
		}
	}
	target, _ := json.Marshal(t)
	var id int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Raw(`INSERT INTO broadcasts (account_id, nonce, kind, state, target, msg_type, content,
			send_ignore_reprint, total, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, a.ID, randomHex(6),
			kind, state, string(target), msgType, string(content), ignoreReprint, len(t.OpenIDs), userID).Scan(&id).Error; err != nil {
			return err
		}
		if len(t.OpenIDs) > 0 {
			if err := insertOpenIDs(tx, id, t.OpenIDs, kind, s.opts.ChunkSize); err != nil {
				return err
			}
		}
		if err := recordCreate(ctx, tx, a, id, kind, msgType, state, t); err != nil {
			return err
		}
		if state == StateQueued {
			return s.enqueueTx(ctx, tx, id)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("create broadcast: %w", err)
	}
	return id, nil
}

// chunkSizes splits n openids into the fewest chunks of at most size, as even as can be.
func chunkSizes(n, size int) []int {
	k := (n + size - 1) / size
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
		if i < n%k {
			out[i]++
		}
	}
	return out
}

// insertOpenIDs writes the recipients of an openid list (and a mass broadcast's chunks) and marks the
// broadcast materialized.
func insertOpenIDs(tx *gorm.DB, id int64, openids []string, kind string, chunkSize int) error {
	chunks := make([]int64, len(openids))
	if kind == KindMass {
		at := 0
		for c, n := range chunkSizes(len(openids), chunkSize) {
			for range n {
				chunks[at] = int64(c)
				at++
			}
			if err := tx.Exec(`INSERT INTO broadcast_chunks (broadcast_id, idx, size) VALUES (?, ?, ?)`, id, c, n).Error; err != nil {
				return err
			}
		}
	}
	if err := tx.Exec(`INSERT INTO broadcast_recipients (broadcast_id, seq, openid, chunk)
		SELECT ?, o.n, o.openid, c.chunk FROM unnest(?::text[]) WITH ORDINALITY AS o(openid, n)
		JOIN unnest(?::int[]) WITH ORDINALITY AS c(chunk, n) ON c.n = o.n`, id, db.StringArray(openids), db.Int64Array(chunks)).Error; err != nil {
		return err
	}
	return tx.Exec(`UPDATE broadcasts SET materialized = true WHERE id = ?`, id).Error
}

func (s *Service) enqueueTx(ctx context.Context, tx *gorm.DB, id int64) error {
	if s.jobs == nil {
		return nil
	}
	_, err := s.jobs.EnqueueTx(ctx, tx, SendArgs{BroadcastID: id}, nil)
	return err
}

// CanApprove reports whether userID may approve or reject the account's broadcasts: an admin or the owner
// (contract §14), by their membership of the account (teams' account_members).
func (s *Service) CanApprove(ctx context.Context, accountID, userID int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Raw(`SELECT count(*) FROM account_members WHERE account_id = ? AND user_id = ? AND role IN ('owner', 'admin')`,
		accountID, userID).Scan(&n).Error
	return n > 0, err
}

// needsApproval: a send to all followers waits for an admin or owner when the account's setting is on
// and its creator is neither.
func (s *Service) needsApproval(ctx context.Context, accountID, userID int64) (bool, error) {
	on, err := s.ApprovalSetting(ctx, accountID)
	if err != nil || !on {
		return false, err
	}
	can, err := s.CanApprove(ctx, accountID, userID)
	return !can, err
}

// ApprovalSetting answers the account's broadcastApproval setting (default on).
func (s *Service) ApprovalSetting(ctx context.Context, accountID int64) (bool, error) {
	var rows []bool
	if err := s.db.WithContext(ctx).Raw(`SELECT approval FROM broadcast_settings WHERE account_id = ?`, accountID).Scan(&rows).Error; err != nil {
		return false, err
	}
	return len(rows) == 0 || rows[0], nil
}

// SetApproval changes the account's broadcastApproval setting (admin or owner).
func (s *Service) SetApproval(ctx context.Context, accountID, userID int64, on bool) error {
	if err := s.mustApprove(ctx, accountID, userID); err != nil {
		return err
	}
	before, err := s.ApprovalSetting(ctx, accountID)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO broadcast_settings (account_id, approval) VALUES (?, ?)
		ON CONFLICT (account_id) DO UPDATE SET approval = EXCLUDED.approval, updated_at = now()`, accountID, on).Error; err != nil {
			return err
		}
		return recordState(ctx, tx, accountID, "updateSettings", "settings", audit.Set("broadcastApproval", before, on))
	})
}

func (s *Service) mustApprove(ctx context.Context, accountID, userID int64) error {
	can, err := s.CanApprove(ctx, accountID, userID)
	if err != nil {
		return err
	}
	if !can {
		return apperr.New(apperr.Forbidden, "approving broadcasts needs the role admin").WithKey("err.broadcast.approve_role")
	}
	return nil
}

// Approve lets a broadcast waiting for approval go.
func (s *Service) Approve(ctx context.Context, accountID, userID, id int64) error {
	if err := s.mustApprove(ctx, accountID, userID); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE broadcasts SET state = 'queued', approved_by = ? WHERE id = ? AND account_id = ? AND state = 'pending_approval'`,
			userID, id, accountID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return s.stateConflict(tx, accountID, id, "approved")
		}
		if err := recordState(ctx, tx, accountID, "approveBroadcast", audit.Target("broadcast", id), audit.Set("state", StatePendingApproval, StateQueued)); err != nil {
			return err
		}
		return s.enqueueTx(ctx, tx, id)
	})
}

// Reject refuses a broadcast waiting for approval.
func (s *Service) Reject(ctx context.Context, accountID, userID, id int64) error {
	if err := s.mustApprove(ctx, accountID, userID); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE broadcasts SET state = 'rejected', approved_by = ?, finished_at = now()
		WHERE id = ? AND account_id = ? AND state = 'pending_approval'`, userID, id, accountID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return s.stateConflict(tx, accountID, id, "rejected")
		}
		return recordState(ctx, tx, accountID, "rejectBroadcast", audit.Target("broadcast", id), audit.Set("state", StatePendingApproval, "rejected"))
	})
}

// Cancel stops a broadcast: what was not sent yet is not sent.
func (s *Service) Cancel(ctx context.Context, accountID, id int64) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var was []string
		if err := tx.Raw(`SELECT state FROM broadcasts WHERE id = ? AND account_id = ? FOR UPDATE`, id, accountID).Scan(&was).Error; err != nil {
			return err
		}
		res := tx.Exec(`UPDATE broadcasts SET state = 'cancelled', finished_at = now()
		WHERE id = ? AND account_id = ? AND state IN ('pending_approval', 'queued', 'sending')`, id, accountID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return s.stateConflict(tx, accountID, id, "cancelled")
		}
		return recordState(ctx, tx, accountID, "cancelBroadcast", audit.Target("broadcast", id), audit.Set("state", was[0], "cancelled"))
	})
}

func (s *Service) stateConflict(db *gorm.DB, accountID, id int64, verb string) error {
	var states []string
	if err := db.Raw(`SELECT state FROM broadcasts WHERE id = ? AND account_id = ?`, id, accountID).Scan(&states).Error; err != nil {
		return err
	}
	if len(states) == 0 {
		return apperr.Wrap(apperr.NotFound, "broadcast not found", ErrNotFound).WithKey("err.broadcast.not_found")
	}
	return apperr.Invalidf("broadcastId", "a %s broadcast cannot be %s", states[0], verb).WithKey("err.broadcast.state", "broadcastId", states[0], verb)
}

// Preview sends a message to one follower (openid) or WeChat ID (wxname) through mass/preview.
func (s *Service) Preview(ctx context.Context, a *domain.Account, openid, wxname, typ string, content json.RawMessage) (int64, error) {
	openid, wxname = strings.TrimSpace(openid), strings.TrimSpace(wxname)
	if openid == "" && wxname == "" {
		return 0, apperr.Invalidf("openid", "give openid or wxname").WithKey("err.broadcast.openid_or_wxname", "openid")
	}
	c, _, err := massContent(typ, content)
	if err != nil {
		return 0, err
	}
	if err := s.checkDraft(ctx, a.ID, c); err != nil {
		return 0, err
	}
	if c.Images != nil {
		c.Image = &wxclient.MediaRef{MediaID: c.Images.MediaIDs[0]}
		c.Images = nil
	}
	return s.wx.MassPreview(ctx, a.AppID, wxclient.PreviewRequest{ToUser: openid, ToWxName: wxname, MassContent: c})
}

// DeleteMassArticle deletes the article index (1-based; 0: all) of a sent mpnews or mpvideo broadcast
// from every chunk's message.
func (s *Service) DeleteMassArticle(ctx context.Context, a *domain.Account, id int64, index int) error {
	b, err := s.Get(ctx, a.ID, id)
	if err != nil {
		return err
	}
	if b.Kind != KindMass || (b.MsgType != "mpnews" && b.MsgType != "mpvideo") {
		return apperr.Invalidf("broadcastId", "only mpnews and mpvideo mass messages can be deleted").WithKey("err.broadcast.delete_type", "broadcastId")
	}
	if index < 0 {
		return apperr.Invalidf("index", "must be 0 (all) or an article's 1-based index").WithKey("err.broadcast.index", "index")
	}
	var ids []int64
	if err := s.db.WithContext(ctx).Raw(`SELECT msg_id FROM broadcast_chunks WHERE broadcast_id = ? AND msg_id IS NOT NULL ORDER BY idx`, id).Scan(&ids).Error; err != nil {
		return err
	}
	if len(ids) == 0 {
		return apperr.Invalidf("broadcastId", "nothing of this broadcast was sent").WithKey("err.broadcast.nothing_sent", "broadcastId")
	}
	for _, m := range ids {
		if err := s.wx.MassDelete(ctx, a.AppID, m, index); err != nil {
			return err
		}
	}
	status := "deleted"
	if index > 0 {
		status = fmt.Sprintf("article %d deleted", index)
	}
	// WeChat has deleted it: record that even if the caller has gone meanwhile.
	return s.db.WithContext(context.WithoutCancel(ctx)).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`UPDATE broadcasts SET wx_status = ? WHERE id = ?`, status, id).Error; err != nil {
			return err
		}
		return recordState(ctx, tx, a.ID, "deleteMassArticle", audit.Target("broadcast", id), audit.Set("wxStatus", b.WxStatus, status))
	})
}

var errStop = errors.New("broadcasts: stop")

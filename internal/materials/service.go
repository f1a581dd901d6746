package materials

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// Service uploads, lists and removes materials, and keeps every uploaded file in Postgres.
type Service struct {
	store store
	wx    WeChat
	log   *slog.Logger
}

// NewService builds the service. wx is the WeChat client.
func NewService(db *gorm.DB, wx WeChat, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.Default()
	}
	return &Service{store: store{db: db}, wx: wx, log: logger}
}

// Upload checks u (size, format from the bytes, video title), sends it to WeChat as a permanent material
// of acct, and keeps a copy. Nothing reaches WeChat when a check fails.
func (s *Service) Upload(ctx context.Context, acct *accounts.Account, userID int64, u Upload) (*Material, error) {
	if u.Kind == Logo {
		return s.SetLogo(ctx, acct, userID, u)
	}
	f, err := u.Check()
	if err != nil {
		return nil, err
	}
	var video *wxclient.VideoDescription
	if u.Kind == Video {
		video = &wxclient.VideoDescription{Title: u.Title, Introduction: u.Description}
	}
	// A bytes.Reader can seek: the client may send it again after a busy answer or a stale token.
	file := wxclient.File{Filename: nameFor(u.Filename, f), ContentType: f.contentType,
		Body: bytes.NewReader(u.Data), Size: int64(len(u.Data))}
	added, err := s.wx.AddMaterial(ctx, acct.AppID, string(u.Kind), file, video)
	if err != nil {
		return nil, fmt.Errorf("add material: %w", err)
	}
	mediaID := added.MediaID
	row := s.row(acct, userID, u, f)
	row.MediaID = sql.NullString{String: mediaID, Valid: true}
	row.WechatURL = added.URL
	// WeChat has the material now: record it even if the operator's request is cancelled meanwhile.
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.store.inTx(ictx, func(st *store, tx *gorm.DB) error {
		if err := st.insert(ictx, row); err != nil {
			return err
		}
		return recordMaterial(ctx, tx, uploadAction(u.Kind), row, nil)
	}); err != nil {
		// WeChat holds a material the console has no record of: take it back, so the operator's retry does
		// not leave a duplicate in the account's library.
		s.undoAdd(acct.AppID, mediaID, err)
		return nil, err
	}
	s.log.InfoContext(ctx, "material uploaded", "appid", acct.AppID, "type", u.Kind, "media_id", mediaID, "size", row.Size, "id", row.ID)
	m := row.material()
	return &m, nil
}

func (s *Service) undoAdd(appid, mediaID string, cause error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.wx.DeleteMaterial(ctx, appid, mediaID); err != nil {
		s.log.ErrorContext(ctx, "material added at WeChat but not kept, and could not be removed", "appid", appid,
			"media_id", mediaID, "cause", cause, "err", err)
	}
}

// SetLogo checks u as a logo (png or jpg, at most 2 MB) and keeps it as acct's only logo, replacing any
// earlier one. WeChat never sees it.
func (s *Service) SetLogo(ctx context.Context, acct *accounts.Account, userID int64, u Upload) (*Material, error) {
	u.Kind = Logo
	f, err := u.Check()
	if err != nil {
		return nil, err
	}
	row := s.row(acct, userID, u, f)
	if err := s.store.inTx(ctx, func(st *store, tx *gorm.DB) error {
		if err := st.putLogo(ctx, row); err != nil {
			return err
		}
		return recordMaterial(ctx, tx, "uploadLogo", row, nil)
	}); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "logo uploaded", "appid", acct.AppID, "size", row.Size, "id", row.ID)
	m := row.material()
	return &m, nil
}

func (s *Service) row(acct *accounts.Account, userID int64, u Upload, f *format) *materialRow {
	sum := sha256.Sum256(u.Data)
	return &materialRow{
		AccountID: acct.ID, Kind: string(u.Kind), Filename: sanitizeFilename(u.Filename), Title: u.Title,
		Description: u.Description, ContentType: f.contentType, Size: int64(len(u.Data)), Sha256: sum[:],
		Data: u.Data, UploadedBy: sql.NullInt64{Int64: userID, Valid: userID > 0}, CreatedAt: time.Now().UTC(),
	}
}

// Removed says what Remove did.
type Removed struct {
	AtWeChat bool // WeChat deleted it (false: WeChat no longer knew the media_id)
	Local    bool // a kept copy was deleted
}

// Remove deletes a material at WeChat and its kept copy. WeChat refusing (48005: an automatic reply or the
// menu uses it) keeps the copy. A media_id WeChat no longer knows (40007) still removes the copy, when
// there is one; with neither, the caller gets WeChat's error.
func (s *Service) Remove(ctx context.Context, acct *accounts.Account, mediaID string) (Removed, error) {
	if mediaID == "" {
		return Removed{}, ErrMissingMedia
	}
	var out Removed
	err := s.wx.DeleteMaterial(ctx, acct.AppID, mediaID)
	switch {
	case err == nil:
		out.AtWeChat = true
	case weChatCode(err) == codeInvalidMediaID:
		// Deleted at WeChat some other way (its admin): the copy is all that is left.
	default:
		return out, fmt.Errorf("remove material: %w", err)
	}
	var local bool
	derr := s.store.inTx(ctx, func(st *store, tx *gorm.DB) (err error) {
		if local, err = st.deleteByMediaID(ctx, acct.ID, mediaID); err != nil || (!out.AtWeChat && !local) {
			return err // nothing changed: nothing to record
		}
		return recordMaterial(ctx, tx, "removeMaterial", &materialRow{AccountID: acct.ID, MediaID: sql.NullString{String: mediaID, Valid: true}}, &out)
	})
	if derr != nil {
		return out, derr
	}
	out.Local = local
	if !out.AtWeChat && !local {
		return out, fmt.Errorf("remove material: %w", err)
	}
	s.log.InfoContext(ctx, "material removed", "appid", acct.AppID, "media_id", mediaID, "at_wechat", out.AtWeChat, "local", local)
	return out, nil
}

// Count answers WeChat's count of the account's permanent materials.
func (s *Service) Count(ctx context.Context, acct *accounts.Account) (wxclient.MaterialCount, error) {
	c, err := s.wx.MaterialCount(ctx, acct.AppID)
	if err != nil {
		return c, fmt.Errorf("material count: %w", err)
	}
	return c, nil
}

// RemoteTypes are the kinds WeChat lists (thumbs are listed with the images).
var RemoteTypes = []string{"image", "voice", "video", "news"}

// MaxListCount is WeChat's largest page of batchget_material.
const MaxListCount = 20

// ListRemote answers a page of the account's materials of one type as WeChat lists them, newest first,
// each joined with the console's copy when it has one.
func (s *Service) ListRemote(ctx context.Context, acct *accounts.Account, typ string, offset, count int) (*RemoteList, error) {
	switch typ {
	case "image", "voice", "video", "news":
	case "":
		return nil, apperr.Missing("type")
	default:
		return nil, apperr.Invalidf("type", "must be image, voice, video or news, not %q", typ).WithKey("materials.err.remote_type", "type", typ)
	}
	if offset < 0 {
		return nil, apperr.Invalidf("offset", "must be 0 or more").WithKey("err.field.not_negative", "offset")
	}
	if count < 1 || count > MaxListCount {
		return nil, apperr.Invalidf("count", "must be between 1 and %d", MaxListCount).WithKey("err.field.between", "count", 1, MaxListCount)
	}
	page, err := s.wx.BatchGetMaterial(ctx, acct.AppID, typ, offset, count)
	if err != nil {
		return nil, fmt.Errorf("list materials: %w", err)
	}
	ids := make([]string, 0, len(page.Item))
	for _, it := range page.Item {
		ids = append(ids, it.MediaID)
	}
	local, err := s.store.byMediaIDs(ctx, acct.ID, ids)
	if err != nil {
		return nil, err
	}
	list := &RemoteList{TotalCount: page.TotalCount, ItemCount: page.ItemCount, Items: make([]RemoteItem, 0, len(page.Item))}
	for _, it := range page.Item {
		item := RemoteItem{MaterialItem: it}
		if r, ok := local[it.MediaID]; ok {
			m := r.material()
			item.Local = &m
		}
		list.Items = append(list.Items, item)
	}
	return list, nil
}

// MaxLocalLimit is the largest page of ListLocal.
const MaxLocalLimit = 100

// ListLocal answers a page of the files kept for the account, newest first: every kind, or one (logo
// included).
func (s *Service) ListLocal(ctx context.Context, acct *accounts.Account, kind Kind, offset, limit int) ([]Material, int64, error) {
	switch kind {
	case "", Image, Voice, Video, Thumb, Logo:
	default:
		return nil, 0, apperr.Invalidf("type", "must be image, voice, video, thumb or logo, not %q", kind).WithKey("materials.err.local_type", "type", kind)
	}
	if offset < 0 {
		return nil, 0, apperr.Invalidf("offset", "must be 0 or more").WithKey("err.field.not_negative", "offset")
	}
	if limit < 1 || limit > MaxLocalLimit {
		return nil, 0, apperr.Invalidf("limit", "must be between 1 and %d", MaxLocalLimit).WithKey("err.field.between", "limit", 1, MaxLocalLimit)
	}
	rows, total, err := s.store.list(ctx, acct.ID, kind, offset, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Material, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].material())
	}
	return out, total, nil
}

// File answers a kept file with its bytes, when it belongs to one of accountIDs (the caller's accounts);
// anyone else's is ErrNotFound, as if it did not exist.
func (s *Service) File(ctx context.Context, accountIDs []int64, id int64) (*File, error) {
	r, err := s.store.file(ctx, accountIDs, id)
	if err != nil {
		return nil, err
	}
	return &File{Material: r.material(), Data: r.Data}, nil
}

// Logo answers the account's logo with its bytes, or ErrNoLogo.
func (s *Service) Logo(ctx context.Context, accountID int64) (*File, error) {
	r, err := s.store.logo(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return &File{Material: r.material(), Data: r.Data}, nil
}

// codeInvalidMediaID is WeChat's "invalid media_id".
const codeInvalidMediaID = 40007

func weChatCode(err error) int {
	var wx apperr.WeChatError
	if errors.As(err, &wx) {
		return wx.WeChatCode()
	}
	return 0
}

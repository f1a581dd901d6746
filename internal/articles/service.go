package articles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is what the package asks of WeChat's API; *wxclient.Client implements it. Errors that are
// WeChat's answers implement apperr.WeChatError.
type WeChat interface {
	AddDraft(ctx context.Context, appid string, articles []wxclient.DraftArticle) (string, error)
	UpdateDraft(ctx context.Context, appid, mediaID string, index int, a wxclient.DraftArticle) error
	DeleteDraft(ctx context.Context, appid, mediaID string) error
	BatchGetDrafts(ctx context.Context, appid string, offset, count int, noContent bool) (wxclient.DraftList, error)
	SubmitPublish(ctx context.Context, appid, mediaID string) (wxclient.Submitted, error)
	GetPublish(ctx context.Context, appid, publishID string) (wxclient.PublishStatus, error)
	DeletePublished(ctx context.Context, appid, articleID string, index int) error
	BatchGetPublished(ctx context.Context, appid string, offset, count int, noContent bool) (wxclient.PublishedList, error)
	UploadImage(ctx context.Context, appid string, f wxclient.File) (string, error)
}

var _ WeChat = (*wxclient.Client)(nil)

// Covers finds an article's cover among the account's permanent images; the materials service
// implements it.
type Covers interface {
	Cover(ctx context.Context, accountID int64, mediaID string) (*materials.Material, error)
}

// Poller puts a publishing job under watch: polling freepublish/get in the background until WeChat
// answers an outcome (the River job of this package implements it). EnqueuePoll runs inside the
// transaction that records the job, so the watch exists exactly when the job does.
type Poller interface {
	EnqueuePoll(ctx context.Context, tx *gorm.DB, publishRowID int64) error
}

// Options configure a Service.
type Options struct {
	DB     *gorm.DB
	WeChat WeChat
	Covers Covers
	Logger *slog.Logger
	// Poller watches publishing jobs until they end (optional: without it only the event and reads of
	// getPublish bring the outcome).
	Poller Poller
}

// Service keeps drafts, pictures and publishing jobs.
type Service struct {
	store  store
	wx     WeChat
	covers Covers
	poller Poller
	log    *slog.Logger
}

// NewService builds the service.
func NewService(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{store: store{db: opts.DB}, wx: opts.WeChat, covers: opts.Covers, poller: opts.Poller, log: opts.Logger}
}

// SetPoller sets the background watch of publishing jobs (the job queue is built after the service).
func (s *Service) SetPoller(p Poller) { s.poller = p }

// SaveInput is what saveDraft receives.
type SaveInput struct {
	MediaID  string
	Index    *int // with MediaID and one article: replace only the article at this index
	Articles []Article
}

// Saved is saveDraft's answer.
type Saved struct {
	MediaID string    `json:"mediaId"`
	Removed []Removal `json:"removed"`
}

// LocalImagePath is where the console serves its copy of an article picture.
func LocalImagePath(id int64) string { return "/apis/articles/image/" + strconv.FormatInt(id, 10) }

var localImage = regexp.MustCompile(`^(?:https?://[^/]+)?/apis/articles/image/(\d{1,18})$`)

// Save checks, sanitizes and saves a draft: a new one with draft/add, an existing one with draft/update
// for each article that changed (or draft/add then draft/delete of the old one when articles were added
// or removed, which WeChat's update cannot do). The console's copy and a revision are written once
// WeChat accepted.
func (s *Service) Save(ctx context.Context, acct *accounts.Account, userID int64, in SaveInput) (*Saved, error) {
	in.MediaID = strings.TrimSpace(in.MediaID)
	if in.Index != nil {
		if in.MediaID == "" {
			return nil, apperr.Invalidf("index", "needs the mediaId of the draft").WithKey("articles.err.index_media", "index")
		}
		if len(in.Articles) != 1 {
			return nil, apperr.Invalidf("articles", "must hold the one article to put at index %d", *in.Index).WithKey("articles.err.index_one", "articles", *in.Index)
		}
	}
	if err := Validate(in.Articles); err != nil {
		return nil, err
	}
	var prev *draftRow
	var old []Article
	if in.MediaID != "" {
		r, err := s.store.draft(ctx, acct.ID, in.MediaID)
		if err != nil {
			return nil, err
		}
		if r.State == "published" {
			return nil, ErrAlreadyOut
		}
		d, err := r.draft()
		if err != nil {
			return nil, err
		}
		prev, old = r, d.Articles
		if in.Index != nil {
			if *in.Index < 0 || *in.Index >= len(old) {
				return nil, apperr.Invalidf("index", "must be between 0 and %d", len(old)-1).WithKey("err.field.between", "index", 0, len(old)-1)
			}
			merged := append([]Article(nil), old...)
			merged[*in.Index] = in.Articles[0]
			in.Articles = merged
		}
	}
	arts, removed, err := s.prepare(ctx, acct, in.Articles, old)
	if err != nil {
		return nil, err
	}

	mediaID, err := s.pushDraft(ctx, acct, in.MediaID, old, arts)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	row := &draftRow{AccountID: acct.ID, MediaID: mediaID, Articles: mustJSON(arts), Origin: "console", State: "draft",
		CreatedBy: nullID(userID), CreatedAt: now, UpdatedAt: now}
	action := "create"
	prevKey := ""
	if prev != nil {
		action, prevKey = "update", prev.MediaID
	}
	rev := &revisionRow{Articles: row.Articles, Removed: mustJSON(removed), Action: action, SavedBy: nullID(userID), SavedAt: now}
	// WeChat has the draft now: record it even if the operator's request is cancelled meanwhile.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.store.saveDraft(sctx, acct.ID, prevKey, row, rev); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "draft saved", "appid", acct.AppID, "media_id", mediaID, "articles", len(arts), "action", action, "removed", len(removed))
	return &Saved{MediaID: mediaID, Removed: removed}, nil
}

// prepare checks the covers, maps the console's picture URLs to WeChat's and sanitizes each content.
func (s *Service) prepare(ctx context.Context, acct *accounts.Account, arts, old []Article) ([]Article, []Removal, error) {
	out := make([]Article, len(arts))
	removed := []Removal{}
	// Pictures already in the draft (an imported one shows WeChat's own) stay allowed.
	kept := map[string]bool{}
	for _, a := range old {
		for _, src := range imageSources(a.Content) {
			kept[src] = true
		}
	}
	for i, a := range arts {
		prefix := fmt.Sprintf("articles[%d].", i)
		cover, err := s.covers.Cover(ctx, acct.ID, a.ThumbMediaID)
		if errors.Is(err, materials.ErrNotFound) {
			return nil, nil, apperr.New(apperr.NotFound, prefix+"thumbMediaId: no permanent image with this mediaId among the account's materials; upload the cover in Materials first").
				WithKey("articles.err.cover", prefix+"thumbMediaId")
		}
		if err != nil {
			return nil, nil, err
		}
		a.ThumbURL = cover.URL
		content, images, err := s.mapImages(ctx, acct.ID, a.Content)
		if err != nil {
			return nil, nil, err
		}
		for u := range kept {
			images[u] = true
		}
		clean, rem := sanitize(i, content, images)
		if err := checkContentLength(prefix, clean); err != nil {
			return nil, nil, err
		}
		a.Content = clean
		removed = append(removed, rem...)
		out[i] = a
	}
	return out, removed, nil
}

// mapImages replaces the console's picture addresses in content by WeChat's, and answers the WeChat
// addresses of the account's uploaded pictures that content shows.
func (s *Service) mapImages(ctx context.Context, accountID int64, content string) (string, map[string]bool, error) {
	srcs := imageSources(content)
	var ids []int64
	for _, src := range srcs {
		if m := localImage.FindStringSubmatch(src); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			ids = append(ids, id)
		}
	}
	byID, err := s.store.imagesByID(ctx, accountID, ids)
	if err != nil {
		return "", nil, err
	}
	var remote []string
	for _, src := range srcs {
		if m := localImage.FindStringSubmatch(src); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			if u, ok := byID[id]; ok {
				for _, q := range []string{`"`, `'`} {
					content = strings.ReplaceAll(content, q+src+q, q+u+q)
				}
				remote = append(remote, u)
			}
			continue
		}
		remote = append(remote, src)
	}
	known, err := s.store.imagesByURL(ctx, accountID, remote)
	if err != nil {
		return "", nil, err
	}
	images := map[string]bool{}
	for u := range known {
		images[u] = true
	}
	return content, images, nil
}

func toWeChat(a Article) wxclient.DraftArticle {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return wxclient.DraftArticle{ArticleType: "news", Title: a.Title, Author: a.Author, Digest: a.Digest, Content: a.Content,
		ContentSourceURL: a.ContentSourceURL, ThumbMediaID: a.ThumbMediaID, NeedOpenComment: b(a.NeedOpenComment),
		OnlyFansCanComment: b(a.OnlyFansCanComment)}
}

// pushDraft sends the draft to WeChat and answers its media_id.
func (s *Service) pushDraft(ctx context.Context, acct *accounts.Account, mediaID string, old, arts []Article) (string, error) {
	wx := make([]wxclient.DraftArticle, len(arts))
	for i, a := range arts {
		wx[i] = toWeChat(a)
	}
	if mediaID != "" && len(old) == len(arts) {
		for i := range arts {
			if reflect.DeepEqual(toWeChat(old[i]), wx[i]) {
				continue
			}
			if err := s.wx.UpdateDraft(ctx, acct.AppID, mediaID, i, wx[i]); err != nil {
				return "", fmt.Errorf("update draft: %w", err)
			}
		}
		return mediaID, nil
	}
	newID, err := s.wx.AddDraft(ctx, acct.AppID, wx)
	if err != nil {
		return "", fmt.Errorf("add draft: %w", err)
	}
	if mediaID != "" {
		// The draft grew or shrank: WeChat's update changes one article at a time, so the draft was added
		// again; the old one goes.
		if err := s.wx.DeleteDraft(ctx, acct.AppID, mediaID); err != nil && wxclient.Code(err) != wxclient.CodeInvalidMediaID {
			s.log.WarnContext(ctx, "old draft not deleted at WeChat", "appid", acct.AppID, "media_id", mediaID, "err", err)
		}
	}
	return newID, nil
}

// Get answers the console's copy of a draft, with the history of its saves (newest first) and its
// latest publishing job.
func (s *Service) Get(ctx context.Context, acct *accounts.Account, mediaID string) (*Draft, []Revision, error) {
	if strings.TrimSpace(mediaID) == "" {
		return nil, nil, apperr.Missing("mediaId")
	}
	r, err := s.store.draft(ctx, acct.ID, strings.TrimSpace(mediaID))
	if err != nil {
		return nil, nil, err
	}
	d, err := r.draft()
	if err != nil {
		return nil, nil, err
	}
	last, err := s.store.lastPublishes(ctx, acct.ID, []string{d.MediaID})
	if err != nil {
		return nil, nil, err
	}
	if p := last[d.MediaID]; p != nil {
		d.LastPublish = p.publish()
	}
	rows, err := s.store.revisions(ctx, r.ID)
	if err != nil {
		return nil, nil, err
	}
	revs := make([]Revision, 0, len(rows))
	for _, rr := range rows {
		rev := Revision{ID: rr.ID, Action: rr.Action, SavedBy: rr.SavedBy.Int64, SavedAt: rr.SavedAt, Removed: []Removal{}}
		_ = jsonUnmarshal(rr.Removed, &rev.Removed)
		revs = append(revs, rev)
	}
	return d, revs, nil
}

// MaxList is the largest page of listDrafts and listPublished (WeChat's batchget count).
const MaxList = 20

// List answers a page of the console's drafts, most recently saved first, without their contents.
func (s *Service) List(ctx context.Context, acct *accounts.Account, offset, count int) ([]Draft, int64, error) {
	rows, total, err := s.store.listDrafts(ctx, acct.ID, offset, count)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Draft, 0, len(rows))
	ids := make([]string, 0, len(rows))
	for i := range rows {
		d, err := rows[i].draft()
		if err != nil {
			return nil, 0, err
		}
		for j := range d.Articles {
			d.Articles[j].Content = ""
		}
		out = append(out, *d)
		ids = append(ids, d.MediaID)
	}
	last, err := s.store.lastPublishes(ctx, acct.ID, ids)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		if p := last[out[i].MediaID]; p != nil {
			out[i].LastPublish = p.publish()
		}
	}
	return out, total, nil
}

// Delete removes a draft at WeChat and the console's copy (with its history). A draft WeChat no longer
// has (deleted in its admin, or published) still loses its copy.
func (s *Service) Delete(ctx context.Context, acct *accounts.Account, mediaID string) error {
	mediaID = strings.TrimSpace(mediaID)
	if mediaID == "" {
		return apperr.Missing("mediaId")
	}
	r, err := s.store.draft(ctx, acct.ID, mediaID)
	if err != nil {
		return err
	}
	if r.State != "published" {
		if err := s.wx.DeleteDraft(ctx, acct.AppID, mediaID); err != nil && wxclient.Code(err) != wxclient.CodeInvalidMediaID {
			return fmt.Errorf("delete draft: %w", err)
		}
	}
	if err := s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := (&store{db: tx}).deleteDraft(ctx, r.ID); err != nil {
			return err
		}
		return recordDraft(ctx, tx, "delete", r, nil)
	}); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "draft deleted", "appid", acct.AppID, "media_id", mediaID)
	return nil
}

// Synced is syncDrafts' answer.
type Synced struct {
	Total    int `json:"total"`
	Imported int `json:"imported"`
	Updated  int `json:"updated"`
}

// wechatImage matches the picture hosts of WeChat, whose pictures an imported draft keeps.
var wechatImage = regexp.MustCompile(`^https?://mmbiz\.(qpic|qlogo)\.cn/`)

// Sync imports the drafts of WeChat's draft box that the console does not have, and updates those
// changed in WeChat's admin since; each import is a revision.
func (s *Service) Sync(ctx context.Context, acct *accounts.Account, userID int64) (*Synced, error) {
	out := &Synced{}
	for offset, pages := 0, 0; pages < 50; pages++ {
		list, err := s.wx.BatchGetDrafts(ctx, acct.AppID, offset, MaxList, false)
		if err != nil {
			return nil, fmt.Errorf("list drafts: %w", err)
		}
		out.Total = list.TotalCount
		for _, it := range list.Item {
			changed, created, err := s.importDraft(ctx, acct, userID, it.MediaID, it.UpdateTime, it.Content.NewsItem)
			if err != nil {
				return nil, err
			}
			if created {
				out.Imported++
			} else if changed {
				out.Updated++
			}
		}
		offset += len(list.Item)
		if len(list.Item) == 0 || offset >= list.TotalCount {
			break
		}
	}
	s.log.InfoContext(ctx, "drafts synced", "appid", acct.AppID, "total", out.Total, "imported", out.Imported, "updated", out.Updated)
	return out, nil
}

func (s *Service) importDraft(ctx context.Context, acct *accounts.Account, userID int64, mediaID string, updated int64, items []wxclient.DraftItem) (changed, created bool, err error) {
	existing, err := s.store.draft(ctx, acct.ID, mediaID)
	if err != nil && !errors.Is(err, ErrDraftNotFound) {
		return false, false, err
	}
	if existing != nil && existing.WxUpdateTime >= updated {
		return false, false, nil
	}
	arts := make([]Article, 0, len(items))
	removed := []Removal{}
	for i, it := range items {
		images := map[string]bool{}
		for _, src := range imageSources(it.Content) {
			if wechatImage.MatchString(src) {
				images[src] = true
			}
		}
		clean, rem := sanitize(i, it.Content, images)
		removed = append(removed, rem...)
		arts = append(arts, Article{Title: it.Title, Author: it.Author, Digest: it.Digest, Content: clean,
			ContentSourceURL: it.ContentSourceURL, ThumbMediaID: it.ThumbMediaID, NeedOpenComment: it.NeedOpenComment == 1,
			OnlyFansCanComment: it.OnlyFansCanComment == 1})
	}
	if existing != nil {
		if d, derr := existing.draft(); derr == nil && reflect.DeepEqual(stripThumbs(d.Articles), arts) {
			return false, false, nil
		}
	}
	now := time.Now().UTC()
	row := &draftRow{AccountID: acct.ID, MediaID: mediaID, Articles: mustJSON(arts), Origin: "wechat", State: "draft",
		CreatedBy: nullID(userID), CreatedAt: now, UpdatedAt: now, WxUpdateTime: updated}
	rev := &revisionRow{Articles: row.Articles, Removed: mustJSON(removed), Action: "import", SavedBy: nullID(userID), SavedAt: now}
	if err := s.store.saveDraft(ctx, acct.ID, "", row, rev); err != nil {
		return false, false, err
	}
	return true, existing == nil, nil
}

func stripThumbs(arts []Article) []Article {
	out := make([]Article, len(arts))
	for i, a := range arts {
		a.ThumbURL = ""
		out[i] = a
	}
	return out
}

// Image is a picture uploaded for article content.
type Image struct {
	ID       int64  `json:"id"`
	URL      string `json:"url"`      // WeChat's address: what the content holds
	LocalURL string `json:"localUrl"` // the console's copy, for editors and previews
}

// UploadImage sends a checked picture (materials.ReadArticleImage) to WeChat's media/uploadimg and keeps
// a copy.
func (s *Service) UploadImage(ctx context.Context, acct *accounts.Account, userID int64, up *materials.ImageUpload) (*Image, error) {
	url, err := s.wx.UploadImage(ctx, acct.AppID, wxclient.File{Filename: up.Filename, ContentType: up.ContentType,
		Body: bytes.NewReader(up.Data), Size: int64(len(up.Data))})
	if err != nil {
		return nil, fmt.Errorf("upload image: %w", err)
	}
	row := &imageRow{AccountID: acct.ID, URL: url, Filename: up.Filename, ContentType: up.ContentType, Size: int64(len(up.Data)),
		Data: up.Data, UploadedBy: nullID(userID), CreatedAt: time.Now().UTC()}
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.store.insertImage(ictx, row); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "article image uploaded", "appid", acct.AppID, "size", row.Size, "id", row.ID)
	return &Image{ID: row.ID, URL: url, LocalURL: LocalImagePath(row.ID)}, nil
}

// ImageFile is a kept picture with its bytes.
type ImageFile struct {
	ContentType string
	Data        []byte
	CreatedAt   time.Time
}

// ImageData answers a kept picture of one of accountIDs (the caller's accounts).
func (s *Service) ImageData(ctx context.Context, accountIDs []int64, id int64) (*ImageFile, error) {
	r, err := s.store.image(ctx, accountIDs, id)
	if err != nil {
		return nil, err
	}
	return &ImageFile{ContentType: r.ContentType, Data: r.Data, CreatedAt: r.CreatedAt}, nil
}

// DisplayContent answers content with WeChat's picture addresses replaced by the console's copies, for
// editors and previews in the console (WeChat's picture host refuses other sites).
func (s *Service) DisplayContent(ctx context.Context, accountID int64, content string) string {
	known, err := s.store.imagesByURL(ctx, accountID, imageSources(content))
	if err != nil {
		s.log.WarnContext(ctx, "display content", "err", err)
		return content
	}
	for u, id := range known {
		for _, q := range []string{`"`, `'`} {
			content = strings.ReplaceAll(content, q+u+q, q+LocalImagePath(id)+q)
			content = strings.ReplaceAll(content, q+strings.ReplaceAll(u, "&", "&amp;")+q, q+LocalImagePath(id)+q)
		}
	}
	return content
}

// Package qrcode makes an official account's parametric QR codes (contract §8): it asks WeChat for them
// (cgi-bin/qrcode/create), keeps them in Postgres with their ticket, content and expiry, counts their
// scans and subscribes from the callback's stored events, and renders their image locally.
package qrcode

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goqrcode "github.com/skip2/go-qrcode"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is what the package asks of WeChat; *wxclient.Client implements it.
type WeChat interface {
	CreateQRCode(ctx context.Context, appid string, req wxclient.QRCodeRequest) (wxclient.QRCodeResponse, error)
	// QRCodeImageURL answers {WECHAT_MP_BASE}/cgi-bin/showqrcode?ticket=<url-encoded ticket>.
	QRCodeImageURL(ticket string) string
	// Tags answers the account's tags (cgi-bin/tags/get): a code's tags must exist.
	Tags(ctx context.Context, appid string) ([]wxclient.Tag, error)
	// BatchTagging tags followers (cgi-bin/tags/members/batchtagging), after a scan.
	BatchTagging(ctx context.Context, appid string, tagID int, openids []string) error
}

var _ WeChat = (*wxclient.Client)(nil)

// ErrNotFound answers an unknown QR code id (or another account's).
var ErrNotFound = apperr.New(apperr.NotFound, "id: no such QR code").WithKey("err.qrcode.not_found")

// Code is a QR code as the API shows it.
type Code struct {
	ID            int64      `json:"id"`
	SceneID       any        `json:"sceneId"` // a number for integer scenes, else a string
	Permanent     bool       `json:"permanent"`
	Ticket        string     `json:"ticket"`
	URL           string     `json:"url"`
	QRCodeURL     string     `json:"qrcodeUrl"`
	ExpireSeconds int        `json:"expireSeconds"`
	ExpireAt      *time.Time `json:"expireAt"` // null for permanent codes
	CreatedAt     time.Time  `json:"createdAt"`
	Scans         int64      `json:"scans"`
	Subscribes    int64      `json:"subscribes"`
	TagIDs        []int      `json:"tagIds"`
	Reply         *ReplyView `json:"reply"` // null: the rules answer (subscribe and default replies)
}

// Scans counts the events a code brought; the message store (*messages.Store) implements it.
type Scans interface {
	ScanCounts(ctx context.Context, accountID int64, codes []messages.QRCode) (map[int64]messages.ScanCount, error)
}

// Service makes and lists QR codes, and carries out their actions (answering and tagging) for the callback.
type Service struct {
	db     *gorm.DB
	wx     WeChat
	scans  Scans
	log    *slog.Logger
	jobs   jobs.Enqueuer // nil until RegisterJobs: scans then tag nobody
	mirror Mirror        // optional: the followers' mirror

	snap         atomic.Pointer[snapshot]
	loaded       atomic.Bool
	loadMu       sync.Mutex
	runMu        sync.Mutex
	cancel       context.CancelFunc
	wg           sync.WaitGroup
	wake         chan struct{}
	pollInterval time.Duration
}

// PollInterval is how often each process compares its snapshot of the codes' actions with Postgres,
// in case a notification was lost.
const PollInterval = time.Second

// NewService builds the service. Call Start to load the codes' actions and follow other processes'
// changes; RegisterJobs to tag followers after a scan.
func NewService(db *gorm.DB, wx WeChat, scans Scans) *Service {
	s := &Service{db: db, wx: wx, scans: scans, log: slog.Default(), wake: make(chan struct{}, 1), pollInterval: PollInterval}
	s.snap.Store(emptySnapshot())
	return s
}

// SetLogger sets where the service logs (default slog.Default()).
func (s *Service) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log = l
	}
}

// Create asks WeChat for a code and stores it. A permanent code asked again for the same scene is the
// same code (WeChat answers the same ticket), stored once.
func (s *Service) Create(ctx context.Context, a *accounts.Account, r Request) (Code, error) {
	if err := s.checkTags(ctx, a.AppID, r.Actions.TagIDs); err != nil {
		return Code{}, err
	}
	req := wxclient.QRCodeRequest{ExpireSeconds: r.Expire, ActionName: r.actionName(),
		ActionInfo: wxclient.QRActionInfo{Scene: wxclient.QRScene{SceneID: r.SceneID, SceneStr: r.SceneStr}}}
	resp, err := s.wx.CreateQRCode(ctx, a.AppID, req)
	if err != nil {
		return Code{}, fmt.Errorf("create QR code: %w", err)
	}
	if resp.Ticket == "" || resp.URL == "" {
		return Code{}, apperr.New(apperr.Upstream, "WeChat answered a QR code without ticket or url").WithKey("err.qrcode.no_ticket")
	}
	row := codeRow{AccountID: a.ID, Scene: r.Scene(), SceneIsInt: r.SceneStr == "", Permanent: r.Permanent(),
		ActionName: req.ActionName, Ticket: resp.Ticket, URL: resp.URL}
	if !r.Permanent() {
		secs := resp.ExpireSeconds
		if secs <= 0 {
			secs = r.Expire
		}
		row.ExpireSeconds = int(secs)
		at := time.Now().UTC().Add(time.Duration(secs) * time.Second).Truncate(time.Second)
		row.ExpireAt = &at
	}
	if err := row.setActions(r.Actions); err != nil {
		return Code{}, err
	}
	if err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := insert(ctx, tx, &row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{AccountID: a.ID, Action: "qrcode", Target: audit.Target("qrcode", row.ID),
			Changes: audit.Created(map[string]any{"scene": row.Scene, "permanent": row.Permanent,
				"actionName": row.ActionName, "expireSeconds": row.ExpireSeconds, "tagIds": r.Actions.TagIDs,
				"reply": r.Actions.Reply != nil})})
	}); err != nil {
		return Code{}, err
	}
	if row.ActionsVersion > 0 {
		// This process answers the code's scans at once; the others on their notification.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if err := s.refresh(rctx); err != nil {
			s.log.WarnContext(ctx, "QR code actions: reload after create failed; the poller retries", "err", err)
		}
		cancel()
	}
	return s.view(row, 0, 0), nil
}

// checkTags answers 40400 for a tag id the account does not have, asking WeChat (tags/get) outside any
// transaction.
func (s *Service) checkTags(ctx context.Context, appid string, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	tags, err := s.wx.Tags(ctx, appid)
	if err != nil {
		return fmt.Errorf("list tags: %w", err)
	}
	have := make(map[int]bool, len(tags))
	for _, t := range tags {
		have[t.ID] = true
	}
	for _, id := range ids {
		if !have[id] {
			return errTagNotFound(id)
		}
	}
	return nil
}

// List answers the account's codes, newest first, with their scans and subscribes, and their number.
func (s *Service) List(ctx context.Context, a *accounts.Account, offset, limit int) ([]Code, int64, error) {
	rows, total, err := list(ctx, s.db, a.ID, offset, limit)
	if err != nil {
		return nil, 0, err
	}
	codes := make([]messages.QRCode, len(rows))
	for i, r := range rows {
		codes[i] = messages.QRCode{ID: r.ID, Ticket: r.Ticket, Scene: r.Scene, CreatedAt: r.CreatedAt, ExpireAt: r.ExpireAt}
	}
	counts, err := s.scans.ScanCounts(ctx, a.ID, codes)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Code, len(rows))
	for i, r := range rows {
		n := counts[r.ID]
		out[i] = s.view(r, n.Scans, n.Subscribes)
	}
	return out, total, nil
}

// Image sizes of qrcodeImage, in pixels.
const (
	DefaultImageSize = 430
	MinImageSize     = 128
	MaxImageSize     = 1280
)

// Image renders the code's content (its url) as a PNG of size×size pixels, locally: no call to WeChat.
func (s *Service) Image(ctx context.Context, a *accounts.Account, id int64, size int) ([]byte, error) {
	row, err := byID(ctx, s.db, a.ID, id)
	if err != nil {
		return nil, err
	}
	png, err := goqrcode.Encode(row.URL, goqrcode.Medium, size)
	if err != nil {
		return nil, fmt.Errorf("render QR code %d: %w", id, err)
	}
	return png, nil
}

func (s *Service) view(r codeRow, scans, subscribes int64) Code {
	c := Code{ID: r.ID, Permanent: r.Permanent, Ticket: r.Ticket, URL: r.URL,
		QRCodeURL: s.wx.QRCodeImageURL(r.Ticket), ExpireSeconds: r.ExpireSeconds, CreatedAt: r.CreatedAt.UTC(),
		Scans: scans, Subscribes: subscribes, SceneID: r.Scene, TagIDs: []int{}}
	if acts, err := r.actions(); err == nil {
		if acts.TagIDs != nil {
			c.TagIDs = acts.TagIDs
		}
		c.Reply = acts.Reply.view()
	} else {
		s.log.Warn("QR code actions unreadable", "id", r.ID, "err", err)
	}
	if r.SceneIsInt {
		if n, err := strconv.ParseInt(r.Scene, 10, 64); err == nil {
			c.SceneID = n
		}
	}
	if r.ExpireAt != nil {
		t := r.ExpireAt.UTC()
		c.ExpireAt = &t
	}
	return c
}

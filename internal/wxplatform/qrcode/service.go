// Package qrcode makes an official account's parametric QR codes (contract §8): it asks WeChat for them
// (cgi-bin/qrcode/create), keeps them in Postgres with their ticket, content and expiry, counts their
// scans and subscribes from the callback's stored events, and renders their image locally.
package qrcode

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goqrcode "github.com/skip2/go-qrcode"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is what the package asks of WeChat; *wxclient.Client implements it.
type WeChat interface {
	CreateQRCode(ctx context.Context, appid string, req wxclient.QRCodeRequest) (wxclient.QRCodeResponse, error)
	// QRCodeImageURL answers {WECHAT_MP_BASE}/cgi-bin/showqrcode?ticket=<url-encoded ticket>.
	QRCodeImageURL(ticket string) string
}

var _ WeChat = (*wxclient.Client)(nil)

// ErrNotFound answers an unknown QR code id (or another account's).
var ErrNotFound = apperr.New(apperr.NotFound, "id: no such QR code")

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
}

// Scans counts the events a code brought; the message store (*messages.Store) implements it.
type Scans interface {
	ScanCounts(ctx context.Context, accountID int64, codes []messages.QRCode) (map[int64]messages.ScanCount, error)
}

// Service makes and lists QR codes.
type Service struct {
	db    *gorm.DB
	wx    WeChat
	scans Scans
}

// NewService builds the service.
func NewService(db *gorm.DB, wx WeChat, scans Scans) *Service {
	return &Service{db: db, wx: wx, scans: scans}
}

// Create asks WeChat for a code and stores it. A permanent code asked again for the same scene is the
// same code (WeChat answers the same ticket), stored once.
func (s *Service) Create(ctx context.Context, a *accounts.Account, r Request) (Code, error) {
	req := wxclient.QRCodeRequest{ExpireSeconds: r.Expire, ActionName: r.actionName(),
		ActionInfo: wxclient.QRActionInfo{Scene: wxclient.QRScene{SceneID: r.SceneID, SceneStr: r.SceneStr}}}
	resp, err := s.wx.CreateQRCode(ctx, a.AppID, req)
	if err != nil {
		return Code{}, fmt.Errorf("create QR code: %w", err)
	}
	if resp.Ticket == "" || resp.URL == "" {
		return Code{}, apperr.New(apperr.Upstream, "WeChat answered a QR code without ticket or url")
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
	if err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := insert(ctx, tx, &row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{AccountID: a.ID, Action: "qrcode", Target: audit.Target("qrcode", row.ID),
			Changes: audit.Created(map[string]any{"scene": row.Scene, "permanent": row.Permanent,
				"actionName": row.ActionName, "expireSeconds": row.ExpireSeconds})})
	}); err != nil {
		return Code{}, err
	}
	return s.view(row, 0, 0), nil
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
		Scans: scans, Subscribes: subscribes, SceneID: r.Scene}
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

package qrcode

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// Handler serves qrcode, listQrcodes and qrcodeImage.
type Handler struct {
	Service *Service
}

// NewHandler builds the handler.
func NewHandler(s *Service) *Handler { return &Handler{Service: s} }

// Routes mounts the endpoints on the /apis/wxplatform group, which must run httpapi.RequireAuth and
// accounts.Scope (and the 1 MB body limit) before them.
func (h *Handler) Routes(g httpapi.Group) {
	g.Write("/qrcode", h.create)
	g.Read("/listQrcodes", h.list)
	g.Read("/qrcodeImage", h.image)
}

// Page bounds of listQrcodes.
const (
	defaultList = 50
	maxList     = 200
)

func (h *Handler) create(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	f := b.Fields()
	req, err := ParseRequest(f["sceneId"], f["expire"])
	var code Code
	if err == nil {
		code, err = h.Service.Create(c.Request.Context(), a, req)
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"qrcodeUrl": code.QRCodeURL, "ticket": code.Ticket, "url": code.URL,
		"expireSeconds": code.ExpireSeconds, "id": code.ID, "sceneId": code.SceneID, "permanent": code.Permanent,
		"expireAt": code.ExpireAt})
}

func (h *Handler) list(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	offset, err := bounded(b, "offset", 0, 0, 1_000_000)
	var limit int64
	if err == nil {
		limit, err = bounded(b, "limit", defaultList, 1, maxList)
	}
	var codes []Code
	var total int64
	if err == nil {
		codes, total, err = h.Service.List(c.Request.Context(), a, int(offset), int(limit))
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"total": total, "qrcodes": codes})
}

// image answers the PNG itself (Content-Type image/png); its errors are the usual JSON envelope.
func (h *Handler) image(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	id, present, err := b.Int("id")
	if err == nil && !present {
		err = apperr.Missing("id")
	}
	if err == nil && id < 1 {
		err = apperr.Invalidf("id", "must be a QR code id")
	}
	var size int64
	if err == nil {
		size, err = bounded(b, "size", DefaultImageSize, MinImageSize, MaxImageSize)
	}
	var png []byte
	if err == nil {
		png, err = h.Service.Image(c.Request.Context(), a, id, int(size))
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	// The image of an id never changes; it is still private to the account.
	c.Header("Cache-Control", "private, max-age=86400")
	c.Header("Content-Disposition", `inline; filename="qrcode-`+strconv.FormatInt(id, 10)+`.png"`)
	c.Data(http.StatusOK, "image/png", png)
}

func bounded(b *httpapi.Body, key string, def, lo, hi int64) (int64, error) {
	n, ok, err := b.Int(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return def, nil
	}
	if n < lo || n > hi {
		return 0, apperr.Invalidf(key, "must be between %d and %d", lo, hi)
	}
	return n, nil
}

package qrcode

import (
	"strconv"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
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
	g.WriteJSON("/qrcode", h.create)
	g.ReadJSON("/listQrcodes", h.list)
	g.ReadJSON("/qrcodeImage", h.image)
}

// Page bounds of listQrcodes.
const (
	defaultList = 50
	maxList     = 200
)

func (h *Handler) create(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	f := b.Fields()
	in, err := ParseRequest(f["sceneId"], f["expire"])
	if err != nil {
		return nil, err
	}
	if in.Actions.TagIDs, err = ParseTagIDs(f["tagIds"]); err != nil {
		return nil, err
	}
	raw, err := b.JSON("reply")
	if err != nil {
		return nil, err
	}
	if in.Actions.Reply, err = ParseReply(raw); err != nil {
		return nil, err
	}
	code, err := h.Service.Create(req.Ctx, a, in)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"qrcodeUrl": code.QRCodeURL, "ticket": code.Ticket, "url": code.URL,
		"expireSeconds": code.ExpireSeconds, "id": code.ID, "sceneId": code.SceneID, "permanent": code.Permanent,
		"expireAt": code.ExpireAt, "tagIds": code.TagIDs, "reply": code.Reply}, nil
}

func (h *Handler) list(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	offset, err := b.IntBetween("offset", 0, 0, 1_000_000)
	if err != nil {
		return nil, err
	}
	limit, err := b.IntBetween("limit", defaultList, 1, maxList)
	if err != nil {
		return nil, err
	}
	codes, total, err := h.Service.List(req.Ctx, a, int(offset), int(limit))
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"total": total, "qrcodes": codes}, nil
}

// image answers the PNG itself (Content-Type image/png); its errors are the usual JSON envelope.
func (h *Handler) image(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	id, present, err := b.Int("id")
	switch {
	case err != nil:
		return nil, err
	case !present:
		return nil, apperr.Missing("id")
	case id < 1:
		return nil, apperr.Invalidf("id", "must be a QR code id").WithKey("err.qrcode.id", "id")
	}
	size, err := b.IntBetween("size", DefaultImageSize, MinImageSize, MaxImageSize)
	if err != nil {
		return nil, err
	}
	png, err := h.Service.Image(req.Ctx, a, id, int(size))
	if err != nil {
		return nil, err
	}
	// The image of an id never changes; it is still private to the account.
	return httpapi.Blob{ContentType: "image/png", Data: png, Header: map[string]string{
		"Cache-Control":       "private, max-age=86400",
		"Content-Disposition": `inline; filename="qrcode-` + strconv.FormatInt(id, 10) + `.png"`,
	}}, nil
}

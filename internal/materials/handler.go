package materials

import (
	"context"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// Accounts chooses the official account a call acts on (the accounts service implements it).
type Accounts interface {
	// Resolve answers the operator's account with appid, or their first one when appid is empty.
	Resolve(ctx context.Context, userID int64, appid string) (*accounts.Account, error)
	// List answers the operator's accounts.
	List(ctx context.Context, userID int64) ([]*accounts.Account, error)
	// ByAppID answers an account whoever bound it (for the public logo).
	ByAppID(ctx context.Context, appid string) (*accounts.Account, error)
}

// DefaultMaxConcurrentUploads is how many uploads are held in memory at once by default (10 MB each at
// most).
const DefaultMaxConcurrentUploads = 16

// uploadWait is how long an upload waits for a free slot before it is answered 42900.
const uploadWait = 30 * time.Second

// Handler serves /apis/materials/... and the public logo URL.
type Handler struct {
	Service  *Service
	Accounts Accounts
	// MaxConcurrentUploads bounds the uploads held in memory at once (default 16).
	MaxConcurrentUploads int

	slots chan struct{}
}

// Routes mounts the endpoints on an authenticated /apis/materials group (httpapi.RequireAuth), which must
// not carry httpapi.LimitBody: the upload endpoints bound their own bodies (the largest file plus 1 MB)
// while streaming, and the other endpoints get the 1 MB LimitBody here.
func (h *Handler) Routes(g httpapi.Group) {
	n := h.MaxConcurrentUploads
	if n <= 0 {
		n = DefaultMaxConcurrentUploads
	}
	h.slots = make(chan struct{}, n)
	small := httpapi.LimitBody(httpapi.MaxBodyBytes)

	g.WriteJSON("/uploadMaterial", h.uploadMaterial, httpapi.RawBody())
	g.WriteJSON("/uploadVideoMaterial", h.uploadVideoMaterial, httpapi.RawBody())
	g.WriteJSON("/uploadLogo", h.uploadLogo, httpapi.RawBody())
	g.WriteJSON("/removeMaterial", h.removeMaterial, httpapi.Before(small))
	g.ReadJSON("/getMaterialCount", h.getMaterialCount, httpapi.Before(small))
	g.ReadJSON("/getMaterialByType", h.getMaterialByType, httpapi.Before(small))
	g.ReadJSON("/listLocalMaterials", h.listLocalMaterials, httpapi.Before(small))
	g.GET("/file/:id", h.file)
	g.HEAD("/file/:id", h.file)
	g.GET("/logo", h.ownLogo)
	g.HEAD("/logo", h.ownLogo)
}

// PublicRoutes mounts the stable logo URL, /materials/logo/{appid}, without authentication: a logo is
// meant to be shown on pages anyone opens.
func (h *Handler) PublicRoutes(r gin.IRouter) {
	r.GET("/materials/logo/:appid", h.publicLogo)
	r.HEAD("/materials/logo/:appid", h.publicLogo)
}

// acquire takes an upload slot, waiting at most uploadWait.
func (h *Handler) acquire(c *gin.Context) (release func(), err error) {
	if h.slots == nil {
		return func() {}, nil
	}
	t := time.NewTimer(uploadWait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return func() { <-h.slots }, nil
	case <-t.C:
		return nil, &apperr.Error{Kind: apperr.TooManyRequests, Msg: "too many uploads at once; try again in a moment", Key: "materials.err.busy", RetryAfter: 5 * time.Second}
	case <-c.Request.Context().Done():
		return nil, c.Request.Context().Err()
	}
}

// refuse marks the answer to err, for a request whose body may not have been read to its end, to close
// the connection instead of reading the rest; it answers err.
func refuse(c *gin.Context, err error) error {
	c.Header("Connection", "close")
	return err
}

func typeField(fields map[string]any) (Kind, error) {
	s, _ := fields["type"].(string)
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	return ParseKind(s)
}

func fixed(k Kind) func(map[string]any) (Kind, error) {
	return func(map[string]any) (Kind, error) { return k, nil }
}

// upload reads an upload request, resolves its account and hands the file to the service.
func (h *Handler) upload(req *httpapi.Request, spec uploadSpec, kind func(*httpapi.Body) (Kind, error)) (httpapi.Answer, error) {
	c := req.Gin
	release, err := h.acquire(c)
	if err != nil {
		return nil, refuse(c, err)
	}
	defer release()
	form, err := readUpload(c.Writer, c.Request, spec)
	if err != nil {
		return nil, refuse(c, err)
	}
	acct, err := h.Accounts.Resolve(req.Ctx, req.UserID(), strings.TrimSpace(form.body.Str("appid")))
	if err != nil {
		return nil, err
	}
	k, err := kind(form.body)
	if err != nil {
		return nil, err
	}
	if form.data == nil {
		return nil, apperr.Missing(spec.fileFields[0])
	}
	up := Upload{Kind: k, Filename: form.filename, Data: form.data, Title: form.body.Str("title"),
		Description: firstOf(form.body, "desc", "description", "introduction")}
	m, err := h.Service.Upload(req.Ctx, acct, req.UserID(), up)
	if err != nil {
		return nil, err
	}
	out := httpapi.Fields{"id": m.ID, "type": m.Kind, "name": m.Name, "contentType": m.ContentType, "size": m.Size,
		"sha256": m.SHA256, "localUrl": m.URL}
	if m.Kind == Logo {
		out["url"] = LogoPath(acct.AppID)
	} else {
		out["mediaId"] = m.MediaID
		if m.WeChatURL != "" {
			out["url"] = m.WeChatURL
		}
	}
	return out, nil
}

func firstOf(b *httpapi.Body, keys ...string) string {
	for _, k := range keys {
		if v := b.Str(k); v != "" {
			return v
		}
	}
	return ""
}

// uploadMaterial serves uploadMaterial {type, file}: image, voice, thumb (and video, with a title).
func (h *Handler) uploadMaterial(req *httpapi.Request) (httpapi.Answer, error) {
	return h.upload(req, uploadSpec{fileFields: []string{"file", "media"}, maxFile: MaxFileBytes, kindOf: typeField},
		func(b *httpapi.Body) (Kind, error) { return ParseKind(b.Str("type")) })
}

// uploadVideoMaterial serves uploadVideoMaterial {file, title (alias tile), desc}.
func (h *Handler) uploadVideoMaterial(req *httpapi.Request) (httpapi.Answer, error) {
	return h.upload(req, uploadSpec{fileFields: []string{"file", "media"}, maxFile: Video.Limit(), kindOf: fixed(Video)},
		func(*httpapi.Body) (Kind, error) { return Video, nil })
}

// uploadLogo serves uploadLogo {logoFile (alias logolFile)}.
func (h *Handler) uploadLogo(req *httpapi.Request) (httpapi.Answer, error) {
	return h.upload(req, uploadSpec{fileFields: []string{"logoFile", "file"}, maxFile: Logo.Limit(), kindOf: fixed(Logo)},
		func(*httpapi.Body) (Kind, error) { return Logo, nil })
}

// account resolves the account of a small request (appid optional): the materials group is not scoped,
// because an upload's appid may come in its multipart body, read only after its limits apply.
func (h *Handler) account(req *httpapi.Request) (*accounts.Account, error) {
	return h.Accounts.Resolve(req.Ctx, req.UserID(), strings.TrimSpace(req.Body.Str("appid")))
}

// removeMaterial serves removeMaterial {mediaId (alias mediald)}.
func (h *Handler) removeMaterial(req *httpapi.Request) (httpapi.Answer, error) {
	b := req.Body
	acct, err := h.account(req)
	if err != nil {
		return nil, err
	}
	mediaID := strings.TrimSpace(firstOf(b, "mediaId", "media_id"))
	r, err := h.Service.Remove(req.Ctx, acct, mediaID)
	if err != nil {
		return nil, err
	}
	out := gin.H{"mediaId": mediaID, "removedAtWeChat": r.AtWeChat, "removedLocal": r.Local}
	if !r.AtWeChat {
		out["msg"] = "WeChat no longer had this material; the console's copy was removed"
	}
	return httpapi.Fields(out), nil
}

// getMaterialCount serves getMaterialCount → {voice_count, video_count, image_count, news_count}.
func (h *Handler) getMaterialCount(req *httpapi.Request) (httpapi.Answer, error) {
	acct, err := h.account(req)
	if err != nil {
		return nil, err
	}
	n, err := h.Service.Count(req.Ctx, acct)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"voice_count": n.VoiceCount, "video_count": n.VideoCount, "image_count": n.ImageCount, "news_count": n.NewsCount}, nil
}

// remoteItem is an item of getMaterialByType: WeChat's fields, and the console's copy when it keeps one.
type remoteItem struct {
	MediaID     string `json:"media_id"`
	Name        string `json:"name"`
	UpdateTime  int64  `json:"update_time"`
	URL         string `json:"url"`
	Content     any    `json:"content,omitempty"`
	LocalID     int64  `json:"localId,omitempty"`
	LocalURL    string `json:"localUrl,omitempty"`
	LocalName   string `json:"localName,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Size        int64  `json:"size,omitempty"`
	Title       string `json:"title,omitempty"`
}

// getMaterialByType serves getMaterialByType {type, offset?, count? (1–20, default 20)}.
func (h *Handler) getMaterialByType(req *httpapi.Request) (httpapi.Answer, error) {
	b := req.Body
	acct, err := h.account(req)
	if err != nil {
		return nil, err
	}
	offset, count, err := page(b, "count", MaxListCount)
	if err != nil {
		return nil, err
	}
	typ := strings.ToLower(strings.TrimSpace(b.Str("type")))
	list, err := h.Service.ListRemote(req.Ctx, acct, typ, offset, count)
	if err != nil {
		return nil, err
	}
	items := make([]remoteItem, 0, len(list.Items))
	for _, it := range list.Items {
		v := remoteItem{MediaID: it.MediaID, Name: it.Name, UpdateTime: it.UpdateTime, URL: it.URL}
		if it.Content != nil {
			v.Content = it.Content
		}
		if m := it.Local; m != nil {
			v.LocalID, v.LocalURL, v.LocalName, v.ContentType, v.Size, v.Title = m.ID, m.URL, m.Name, m.ContentType, m.Size, m.Title
		}
		items = append(items, v)
	}
	return httpapi.Fields{"total_count": list.TotalCount, "item_count": list.ItemCount, "item": items}, nil
}

// listLocalMaterials serves listLocalMaterials {type?, offset?, limit? (1–100, default 20)}: the files the
// console keeps for the account, newest first, without asking WeChat.
func (h *Handler) listLocalMaterials(req *httpapi.Request) (httpapi.Answer, error) {
	b := req.Body
	acct, err := h.account(req)
	if err != nil {
		return nil, err
	}
	offset, limit, err := page(b, "limit", MaxLocalLimit)
	if err != nil {
		return nil, err
	}
	kind := Kind(strings.ToLower(strings.TrimSpace(b.Str("type"))))
	if kind == "vedio" {
		kind = Video
	}
	list, total, err := h.Service.ListLocal(req.Ctx, acct, kind, offset, limit)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"total": total, "offset": offset, "limit": limit, "materials": list}, nil
}

// page reads offset (default 0) and the page size field (default 20, at most max).
func page(b *httpapi.Body, sizeField string, max int) (offset, size int, err error) {
	o, ok, err := b.Int("offset")
	if err != nil {
		return 0, 0, err
	}
	if ok && o < 0 {
		return 0, 0, apperr.Invalidf("offset", "must be 0 or more").WithKey("err.field.not_negative", "offset")
	}
	n, ok, err := b.Int(sizeField)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		n = 20
	}
	if n < 1 || n > int64(max) {
		return 0, 0, apperr.Invalidf(sizeField, "must be between 1 and %d", max).WithKey("err.field.between", sizeField, 1, max)
	}
	if o > 1<<31 {
		return 0, 0, apperr.Invalidf("offset", "is too large").WithKey("err.field.too_large", "offset")
	}
	return int(o), int(n), nil
}

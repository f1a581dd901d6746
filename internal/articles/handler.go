package articles

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// AccountResolver chooses the official account a call acts on (the accounts service implements it).
type AccountResolver interface {
	Resolve(ctx context.Context, userID int64, appid string) (*accounts.Account, error)
	List(ctx context.Context, userID int64) ([]*accounts.Account, error)
}

// Handler serves /apis/articles/... (contract §17).
type Handler struct {
	Service  *Service
	Accounts AccountResolver
}

// editor is the least role that changes drafts and publishes (contract §14); reads need none beyond the
// account. The group's Authorize hook enforces it once roles exist.
const editor httpapi.Role = "editor"

// Routes mounts the JSON endpoints on an authenticated, scoped /apis/articles group (accounts.Scope, the
// 1 MB body limit).
func (h *Handler) Routes(g httpapi.Group) {
	w := httpapi.MinRole(editor)
	g.WriteJSON("/saveDraft", h.saveDraft, w)
	g.ReadJSON("/listDrafts", h.listDrafts)
	g.ReadJSON("/getDraft", h.getDraft)
	g.WriteJSON("/deleteDraft", h.deleteDraft, w)
	g.WriteJSON("/syncDrafts", h.syncDrafts, w)
	g.WriteJSON("/publishDraft", h.publishDraft, w)
	g.ReadJSON("/getPublish", h.getPublish)
	g.ReadJSON("/listPublished", h.listPublished)
	g.ReadJSON("/listPublishJobs", h.listPublishJobs)
	g.WriteJSON("/deletePublished", h.deletePublished, w)
}

// UploadRoutes mounts uploadArticleImage and the pictures on an authenticated /apis/articles group that
// neither scopes nor limits the body: the upload streams its own bounded body and resolves its account
// from the query or the form.
func (h *Handler) UploadRoutes(g httpapi.Group) {
	g.WriteJSON("/uploadArticleImage", h.uploadArticleImage, httpapi.MinRole(editor), httpapi.RawBody())
	g.GET("/image/:id", h.image)
	g.HEAD("/image/:id", h.image)
}

// articleIn is an article as the API takes it: camelCase names, WeChat's snake_case accepted too.
type articleIn struct {
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"contentSourceUrl"`
	ContentSourceURL2  string `json:"content_source_url"`
	ThumbMediaID       string `json:"thumbMediaId"`
	ThumbMediaID2      string `json:"thumb_media_id"`
	NeedOpenComment    any    `json:"needOpenComment"`
	NeedOpenComment2   any    `json:"need_open_comment"`
	OnlyFansCanComment any    `json:"onlyFansCanComment"`
	OnlyFansCanComm2   any    `json:"only_fans_can_comment"`
}

func flag(field string, vs ...any) (bool, error) {
	for _, v := range vs {
		switch t := v.(type) {
		case nil:
			continue
		case bool:
			return t, nil
		case float64:
			return t != 0, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(t)) {
			case "true", "1", "on", "yes":
				return true, nil
			case "false", "0", "off", "no", "":
				return false, nil
			}
		}
		return false, apperr.Invalidf(field, "must be true or false").WithKey("err.field.bool", field)
	}
	return false, nil
}

// ParseArticles reads the articles field: an array of articles, or one article object (for index), as
// JSON or as a JSON string in a form field.
func ParseArticles(b *httpapi.Body) ([]Article, error) {
	raw, err := b.JSON("articles")
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, apperr.Missing("articles")
	}
	var ins []articleIn
	if t := strings.TrimSpace(string(raw)); strings.HasPrefix(t, "{") {
		var one articleIn
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, apperr.Invalidf("articles", "must be a list of articles: %s", jsonProblem(err)).WithKey("articles.err.list", "articles", jsonProblem(err))
		}
		ins = []articleIn{one}
	} else if err := json.Unmarshal(raw, &ins); err != nil {
		return nil, apperr.Invalidf("articles", "must be a list of articles: %s", jsonProblem(err)).WithKey("articles.err.list", "articles", jsonProblem(err))
	}
	out := make([]Article, 0, len(ins))
	for i, in := range ins {
		prefix := "articles[" + strconv.Itoa(i) + "]."
		a := Article{Title: in.Title, Author: in.Author, Digest: in.Digest, Content: in.Content,
			ContentSourceURL: firstNonEmpty(in.ContentSourceURL, in.ContentSourceURL2),
			ThumbMediaID:     firstNonEmpty(in.ThumbMediaID, in.ThumbMediaID2)}
		if a.NeedOpenComment, err = flag(prefix+"needOpenComment", in.NeedOpenComment, in.NeedOpenComment2); err != nil {
			return nil, err
		}
		if a.OnlyFansCanComment, err = flag(prefix+"onlyFansCanComment", in.OnlyFansCanComment, in.OnlyFansCanComm2); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if ok := asType(err, &te); ok && te.Field != "" {
		return te.Field + " has the wrong type"
	}
	return "not valid"
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// saveDraft serves saveDraft {mediaId?, index?, articles} → {mediaId, removed}.
func (h *Handler) saveDraft(r *httpapi.Request) (httpapi.Answer, error) {
	arts, err := ParseArticles(r.Body)
	if err != nil {
		return nil, err
	}
	in := SaveInput{MediaID: firstOf(r.Body, "mediaId", "media_id"), Articles: arts}
	if n, has, err := r.Body.Int("index"); err != nil {
		return nil, err
	} else if has {
		i := int(n)
		in.Index = &i
	}
	saved, err := h.Service.Save(r.Ctx, r.Account, r.UserID(), in)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"mediaId": saved.MediaID, "removed": saved.Removed}, nil
}

func firstOf(b *httpapi.Body, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(b.Str(k)); v != "" {
			return v
		}
	}
	return ""
}

// uploadArticleImage serves uploadArticleImage multipart {file} (jpg/png, at most 1 MB) → {url, localUrl}.
func (h *Handler) uploadArticleImage(r *httpapi.Request) (httpapi.Answer, error) {
	up, err := materials.ReadArticleImage(r.Gin.Writer, r.Gin.Request)
	if err != nil {
		// The body may be unread: close the connection after the answer instead of reading on.
		r.Gin.Header("Connection", "close")
		return nil, err
	}
	acct, err := h.Accounts.Resolve(r.Ctx, r.UserID(), strings.TrimSpace(up.Body.Str("appid")))
	if err != nil {
		return nil, err
	}
	img, err := h.Service.UploadImage(r.Ctx, acct, r.UserID(), up)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"url": img.URL, "localUrl": img.LocalURL, "id": img.ID}, nil
}

// page reads offset (default 0) and count (default 20, at most 20).
func page(b *httpapi.Body) (offset, count int, err error) {
	o, _, err := b.Int("offset")
	if err != nil {
		return 0, 0, err
	}
	if o < 0 || o > 1<<31 {
		return 0, 0, apperr.Invalidf("offset", "must be 0 or more").WithKey("err.field.not_negative", "offset")
	}
	n, ok, err := b.Int("count")
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		n = MaxList
	}
	if n < 1 || n > MaxList {
		return 0, 0, apperr.Invalidf("count", "must be between 1 and %d", MaxList).WithKey("err.field.between", "count", 1, MaxList)
	}
	return int(o), int(n), nil
}

// listDrafts serves listDrafts {offset?, count? (≤ 20)} → {total, drafts}.
func (h *Handler) listDrafts(r *httpapi.Request) (httpapi.Answer, error) {
	offset, count, err := page(r.Body)
	if err != nil {
		return nil, err
	}
	list, total, err := h.Service.List(r.Ctx, r.Account, offset, count)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"total": total, "offset": offset, "count": count, "drafts": list}, nil
}

// getDraft serves getDraft {mediaId} → the draft's fields and its history.
func (h *Handler) getDraft(r *httpapi.Request) (httpapi.Answer, error) {
	d, revs, err := h.Service.Get(r.Ctx, r.Account, firstOf(r.Body, "mediaId", "media_id"))
	if err != nil {
		return nil, err
	}
	out := httpapi.Fields{"mediaId": d.MediaID, "articles": d.Articles, "origin": d.Origin, "state": d.State,
		"createdAt": d.CreatedAt, "updatedAt": d.UpdatedAt, "history": revs}
	if d.LastPublish != nil {
		out["lastPublish"] = d.LastPublish
	}
	return out, nil
}

// deleteDraft serves deleteDraft {mediaId}.
func (h *Handler) deleteDraft(r *httpapi.Request) (httpapi.Answer, error) {
	mediaID := firstOf(r.Body, "mediaId", "media_id")
	if err := h.Service.Delete(r.Ctx, r.Account, mediaID); err != nil {
		return nil, err
	}
	return httpapi.Fields{"mediaId": mediaID}, nil
}

// syncDrafts serves syncDrafts → {total, imported, updated}.
func (h *Handler) syncDrafts(r *httpapi.Request) (httpapi.Answer, error) {
	res, err := h.Service.Sync(r.Ctx, r.Account, r.UserID())
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"total": res.Total, "imported": res.Imported, "updated": res.Updated}, nil
}

// publishDraft serves publishDraft {mediaId} → {publishId, status}.
func (h *Handler) publishDraft(r *httpapi.Request) (httpapi.Answer, error) {
	p, err := h.Service.Publish(r.Ctx, r.Account, r.UserID(), firstOf(r.Body, "mediaId", "media_id"))
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"publishId": p.PublishID, "status": p.Status}, nil
}

// getPublish serves getPublish {publishId} → {status, articleId?, articles, failIdx?}.
func (h *Handler) getPublish(r *httpapi.Request) (httpapi.Answer, error) {
	p, err := h.Service.GetPublish(r.Ctx, r.Account, firstOf(r.Body, "publishId", "publish_id"))
	if err != nil {
		return nil, err
	}
	return publishView(p), nil
}

func publishView(p *Publish) httpapi.Fields {
	out := httpapi.Fields{"publishId": p.PublishID, "mediaId": p.MediaID, "status": p.Status, "articles": p.Articles,
		"title": p.Title, "createdAt": p.CreatedAt}
	if p.ArticleID != "" {
		out["articleId"] = p.ArticleID
	}
	if len(p.FailIdx) > 0 {
		out["failIdx"] = p.FailIdx
	}
	if p.WxStatus != nil {
		out["wxStatus"] = *p.WxStatus
	}
	if p.FinishedAt != nil {
		out["finishedAt"] = p.FinishedAt
	}
	return out
}

// listPublished serves listPublished {offset?, count? (≤ 20)} → {total, published}.
func (h *Handler) listPublished(r *httpapi.Request) (httpapi.Answer, error) {
	offset, count, err := page(r.Body)
	if err != nil {
		return nil, err
	}
	list, total, err := h.Service.ListPublished(r.Ctx, r.Account, offset, count)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"total": total, "offset": offset, "count": count, "published": list}, nil
}

// listPublishJobs serves listPublishJobs {offset?, count?} → {total, jobs}: the console's publishing jobs.
func (h *Handler) listPublishJobs(r *httpapi.Request) (httpapi.Answer, error) {
	offset, count, err := page(r.Body)
	if err != nil {
		return nil, err
	}
	list, total, err := h.Service.ListJobs(r.Ctx, r.Account, offset, count)
	if err != nil {
		return nil, err
	}
	jobs := make([]httpapi.Fields, 0, len(list))
	for i := range list {
		jobs = append(jobs, publishView(&list[i]))
	}
	return httpapi.Fields{"total": total, "offset": offset, "count": count, "jobs": jobs}, nil
}

// deletePublished serves deletePublished {articleId, index?}.
func (h *Handler) deletePublished(r *httpapi.Request) (httpapi.Answer, error) {
	idx, _, err := r.Body.Int("index")
	if err != nil {
		return nil, err
	}
	articleID := firstOf(r.Body, "articleId", "article_id")
	if err := h.Service.DeletePublished(r.Ctx, r.Account, articleID, int(idx)); err != nil {
		return nil, err
	}
	return httpapi.Fields{"articleId": articleID, "index": idx}, nil
}

// imageCSP is the policy a kept picture is served under: it runs nothing, whatever a browser takes it for.
const imageCSP = "sandbox; default-src 'none'; img-src 'self'"

// image serves GET /apis/articles/image/{id}: the console's copy of a picture of the caller's accounts.
func (h *Handler) image(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		httpapi.Fail(c, ErrImageNotFound)
		return
	}
	ctx := c.Request.Context()
	list, err := h.Accounts.List(ctx, httpapi.UserID(c))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	ids := make([]int64, 0, len(list))
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	f, err := h.Service.ImageData(ctx, ids, id)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	c.Header("Content-Security-Policy", imageCSP)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cross-Origin-Resource-Policy", "same-origin")
	c.Header("Cache-Control", "private, max-age=86400")
	c.Data(http.StatusOK, f.ContentType, f.Data)
}

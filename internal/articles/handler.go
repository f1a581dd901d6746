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

// Routes mounts the endpoints on an authenticated /apis/articles group without a body limit:
// uploadArticleImage bounds its own body while streaming, the others get the 1 MB limit here.
func (h *Handler) Routes(g httpapi.Group) {
	small := httpapi.LimitBody(httpapi.MaxBodyBytes)
	g.Write("/saveDraft", small, h.saveDraft)
	g.Write("/uploadArticleImage", h.uploadArticleImage)
	g.Read("/listDrafts", small, h.listDrafts)
	g.Read("/getDraft", small, h.getDraft)
	g.Write("/deleteDraft", small, h.deleteDraft)
	g.Write("/syncDrafts", small, h.syncDrafts)
	g.Write("/publishDraft", small, h.publishDraft)
	g.Read("/getPublish", small, h.getPublish)
	g.Read("/listPublished", small, h.listPublished)
	g.Read("/listPublishJobs", small, h.listPublishJobs)
	g.Write("/deletePublished", small, h.deletePublished)
	g.GET("/image/:id", h.image)
	g.HEAD("/image/:id", h.image)
}

// scope decodes the body and resolves its account.
func (h *Handler) scope(c *gin.Context) (*httpapi.Body, *accounts.Account, bool) {
	b, err := httpapi.Bind(c)
	if err != nil {
		httpapi.Fail(c, err)
		return nil, nil, false
	}
	acct, err := h.Accounts.Resolve(c.Request.Context(), httpapi.UserID(c), strings.TrimSpace(b.Str("appid")))
	if err != nil {
		httpapi.Fail(c, err)
		return nil, nil, false
	}
	return b, acct, true
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
		return false, apperr.Invalidf(field, "must be true or false")
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
			return nil, apperr.Invalidf("articles", "must be a list of articles: %s", jsonProblem(err))
		}
		ins = []articleIn{one}
	} else if err := json.Unmarshal(raw, &ins); err != nil {
		return nil, apperr.Invalidf("articles", "must be a list of articles: %s", jsonProblem(err))
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
func (h *Handler) saveDraft(c *gin.Context) {
	b, acct, ok := h.scope(c)
	if !ok {
		return
	}
	arts, err := ParseArticles(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	in := SaveInput{MediaID: firstOf(b, "mediaId", "media_id"), Articles: arts}
	if n, has, err := b.Int("index"); err != nil {
		httpapi.Fail(c, err)
		return
	} else if has {
		i := int(n)
		in.Index = &i
	}
	saved, err := h.Service.Save(c.Request.Context(), acct, httpapi.UserID(c), in)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"mediaId": saved.MediaID, "removed": saved.Removed})
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
func (h *Handler) uploadArticleImage(c *gin.Context) {
	up, err := materials.ReadArticleImage(c.Writer, c.Request)
	if err != nil {
		c.Header("Connection", "close")
		httpapi.Fail(c, err)
		return
	}
	acct, err := h.Accounts.Resolve(c.Request.Context(), httpapi.UserID(c), strings.TrimSpace(up.Body.Str("appid")))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	img, err := h.Service.UploadImage(c.Request.Context(), acct, httpapi.UserID(c), up)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"url": img.URL, "localUrl": img.LocalURL, "id": img.ID})
}

// page reads offset (default 0) and count (default 20, at most 20).
func page(b *httpapi.Body) (offset, count int, err error) {
	o, _, err := b.Int("offset")
	if err != nil {
		return 0, 0, err
	}
	if o < 0 || o > 1<<31 {
		return 0, 0, apperr.Invalidf("offset", "must be 0 or more")
	}
	n, ok, err := b.Int("count")
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		n = MaxList
	}
	if n < 1 || n > MaxList {
		return 0, 0, apperr.Invalidf("count", "must be between 1 and %d", MaxList)
	}
	return int(o), int(n), nil
}

// listDrafts serves listDrafts {offset?, count? (≤ 20)} → {total, drafts}.
func (h *Handler) listDrafts(c *gin.Context) {
	b, acct, ok := h.scope(c)
	if !ok {
		return
	}
	offset, count, err := page(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	list, total, err := h.Service.List(c.Request.Context(), acct, offset, count)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"total": total, "offset": offset, "count": count, "drafts": list})
}

// getDraft serves getDraft {mediaId} → the draft's fields and its history.
func (h *Handler) getDraft(c *gin.Context) {
	b, acct, ok := h.scope(c)
	if !ok {
		return
	}
	d, revs, err := h.Service.Get(c.Request.Context(), acct, firstOf(b, "mediaId", "media_id"))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	out := gin.H{"mediaId": d.MediaID, "articles": d.Articles, "origin": d.Origin, "state": d.State,
		"createdAt": d.CreatedAt, "updatedAt": d.UpdatedAt, "history": revs}
	if d.LastPublish != nil {
		out["lastPublish"] = d.LastPublish
	}
	httpapi.OK(c, out)
}

// deleteDraft serves deleteDraft {mediaId}.
func (h *Handler) deleteDraft(c *gin.Context) {
	b, acct, ok := h.scope(c)
	if !ok {
		return
	}
	mediaID := firstOf(b, "mediaId", "media_id")
	if err := h.Service.Delete(c.Request.Context(), acct, mediaID); err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"mediaId": mediaID})
}

// syncDrafts serves syncDrafts → {total, imported, updated}.
func (h *Handler) syncDrafts(c *gin.Context) {
	_, acct, ok := h.scope(c)
	if !ok {
		return
	}
	r, err := h.Service.Sync(c.Request.Context(), acct, httpapi.UserID(c))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"total": r.Total, "imported": r.Imported, "updated": r.Updated})
}

// publishDraft serves publishDraft {mediaId} → {publishId, status}.
func (h *Handler) publishDraft(c *gin.Context) {
	b, acct, ok := h.scope(c)
	if !ok {
		return
	}
	p, err := h.Service.Publish(c.Request.Context(), acct, httpapi.UserID(c), firstOf(b, "mediaId", "media_id"))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"publishId": p.PublishID, "status": p.Status})
}

// getPublish serves getPublish {publishId} → {status, articleId?, articles, failIdx?}.
func (h *Handler) getPublish(c *gin.Context) {
	b, acct, ok := h.scope(c)
	if !ok {
		return
	}
	p, err := h.Service.GetPublish(c.Request.Context(), acct, firstOf(b, "publishId", "publish_id"))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, publishView(p))
}

func publishView(p *Publish) gin.H {
	out := gin.H{"publishId": p.PublishID, "mediaId": p.MediaID, "status": p.Status, "articles": p.Articles,
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
func (h *Handler) listPublished(c *gin.Context) {
	b, acct, ok := h.scope(c)
	if !ok {
		return
	}
	offset, count, err := page(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	list, total, err := h.Service.ListPublished(c.Request.Context(), acct, offset, count)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"total": total, "offset": offset, "count": count, "published": list})
}

// listPublishJobs serves listPublishJobs {offset?, count?} → {total, jobs}: the console's publishing jobs.
func (h *Handler) listPublishJobs(c *gin.Context) {
	b, acct, ok := h.scope(c)
	if !ok {
		return
	}
	offset, count, err := page(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	list, total, err := h.Service.ListJobs(c.Request.Context(), acct, offset, count)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	jobs := make([]gin.H, 0, len(list))
	for i := range list {
		jobs = append(jobs, publishView(&list[i]))
	}
	httpapi.OK(c, gin.H{"total": total, "offset": offset, "count": count, "jobs": jobs})
}

// deletePublished serves deletePublished {articleId, index?}.
func (h *Handler) deletePublished(c *gin.Context) {
	b, acct, ok := h.scope(c)
	if !ok {
		return
	}
	idx, _, err := b.Int("index")
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	articleID := firstOf(b, "articleId", "article_id")
	if err := h.Service.DeletePublished(c.Request.Context(), acct, articleID, int(idx)); err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"articleId": articleID, "index": idx})
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

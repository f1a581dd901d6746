package pages

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/articles"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// The articles pages (contract §17): the drafts and publishing jobs at /console/articles, and the editor
// at /console/articles/edit. The editor is a form that works without JavaScript (a textarea of HTML per
// article, a cover chosen from the materials, one more blank article each save); articles.js turns each
// textarea into a small contenteditable editor with a toolbar, image upload with progress, a live preview
// at phone width, an unsaved-changes warning, more articles on demand and live publishing status.

// publishStatuses are the statuses a publishing job shows.
var publishStatuses = []string{articles.StatusPublishing, articles.StatusPublished, articles.StatusFailed,
	articles.StatusRejected, articles.StatusDeleted, articles.StatusBanned}

// articlesPerPage is the length of a page of the drafts list.
const articlesPerPage = 20

// coversShown bounds the cover picker's list of images.
const coversShown = 100

type articlesData struct {
	Drafts []articles.Draft
	Pager  Pager
	Jobs   []articles.Publish
}

func (p *Pages) articlesPage(c *gin.Context) {
	v := p.view(c, "articles", "articles.title")
	a := v.Account
	ctx := c.Request.Context()
	offset := queryInt(c, "offset", 0, 1_000_000)
	drafts, total, err := p.deps.Articles.List(ctx, a, offset, articlesPerPage)
	if err != nil {
		p.fail(c, err)
		return
	}
	jobs, _, err := p.deps.Articles.ListJobs(ctx, a, 0, 10)
	if err != nil {
		p.fail(c, err)
		return
	}
	v.Data = &articlesData{Drafts: drafts, Jobs: jobs, Pager: pagerFor(offset, articlesPerPage, total, url.Values{})}
	p.html(c, http.StatusOK, "articles", v)
}

// editArticle is one article of the editor form.
type editArticle struct {
	Index              int
	Title              string
	Author             string
	Digest             string
	Content            string        // the HTML, with the console's picture addresses
	Preview            template.HTML // the same, sanitized on save: shown as is
	ContentSourceURL   string
	ThumbMediaID       string
	ThumbURL           string
	NeedOpenComment    bool
	OnlyFansCanComment bool
	Blank              bool // the extra article a save may add
}

type editorData struct {
	MediaID     string
	Articles    []editArticle
	Covers      []materials.Material
	State       string
	LastPublish *articles.Publish
	History     []articles.Revision
	Max         int
	AppID       string
}

func (p *Pages) articleEdit(c *gin.Context) {
	v := p.view(c, "articles_edit", "articles.editor")
	a := v.Account
	ctx := c.Request.Context()
	d := &editorData{MediaID: strings.TrimSpace(c.Query("mediaId")), Max: articles.MaxArticles, AppID: a.AppID, State: "draft"}
	if d.MediaID != "" {
		draft, revs, err := p.deps.Articles.Get(ctx, a, d.MediaID)
		if err != nil {
			p.fail(c, err)
			return
		}
		d.State, d.LastPublish, d.History = draft.State, draft.LastPublish, revs
		for i, art := range draft.Articles {
			shown := p.deps.Articles.DisplayContent(ctx, a.ID, art.Content)
			d.Articles = append(d.Articles, editArticle{Index: i, Title: art.Title, Author: art.Author, Digest: art.Digest,
				Content: shown, Preview: template.HTML(shown), ContentSourceURL: art.ContentSourceURL, // sanitized on save
				ThumbMediaID: art.ThumbMediaID, ThumbURL: art.ThumbURL, NeedOpenComment: art.NeedOpenComment,
				OnlyFansCanComment: art.OnlyFansCanComment})
		}
	}
	if err := p.fillCovers(c, a, d); err != nil {
		p.fail(c, err)
		return
	}
	if len(d.Articles) < articles.MaxArticles && d.State != "published" {
		d.Articles = append(d.Articles, editArticle{Index: len(d.Articles), Blank: true})
	}
	v.Data = d
	p.html(c, http.StatusOK, "articles_edit", v)
}

func (p *Pages) fillCovers(c *gin.Context, a *accounts.Account, d *editorData) error {
	covers, _, err := p.deps.Materials.ListLocal(c.Request.Context(), a, materials.Image, 0, coversShown)
	if err != nil {
		return err
	}
	d.Covers = covers
	for i := range d.Articles {
		for _, m := range covers {
			if m.MediaID == d.Articles[i].ThumbMediaID {
				d.Articles[i].ThumbURL = m.URL
			}
		}
	}
	return nil
}

// formArticles reads the editor form: the API's field names, repeated once per article, in order;
// needOpenComment and onlyFansCanComment carry the indexes of the articles whose box is ticked. An
// article with neither title nor content is the blank one, left out.
func formArticles(c *gin.Context) ([]articles.Article, []editArticle) {
	titles := c.PostFormArray("title")
	get := func(name string, i int) string {
		vs := c.PostFormArray(name)
		if i < len(vs) {
			return vs[i]
		}
		return ""
	}
	comment, fans := c.PostFormArray("needOpenComment"), c.PostFormArray("onlyFansCanComment")
	var out []articles.Article
	var shown []editArticle
	for i := range min(len(titles), articles.MaxArticles+1) {
		key := strconv.Itoa(i)
		a := articles.Article{Title: get("title", i), Author: get("author", i), Digest: get("digest", i),
			Content: get("content", i), ContentSourceURL: get("contentSourceUrl", i), ThumbMediaID: get("thumbMediaId", i),
			NeedOpenComment: slices.Contains(comment, key), OnlyFansCanComment: slices.Contains(fans, key)}
		if strings.TrimSpace(a.Title) == "" && strings.TrimSpace(stripTags(a.Content)) == "" && !strings.Contains(a.Content, "<img") {
			continue
		}
		out = append(out, a)
		shown = append(shown, editArticle{Index: len(shown), Title: a.Title, Author: a.Author, Digest: a.Digest,
			Content: a.Content, ContentSourceURL: a.ContentSourceURL, ThumbMediaID: a.ThumbMediaID,
			NeedOpenComment: a.NeedOpenComment, OnlyFansCanComment: a.OnlyFansCanComment})
	}
	return out, shown
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// articleSave takes the editor form. Success goes back to the editor with what the sanitizer removed;
// a refusal shows the form again as it was sent, with the error.
func (p *Pages) articleSave(c *gin.Context) {
	a := accounts.Current(c)
	mediaID := strings.TrimSpace(c.PostForm("mediaId"))
	arts, shown := formArticles(c)
	saved, err := p.deps.Articles.Save(c.Request.Context(), a, httpapi.UserID(c), articles.SaveInput{MediaID: mediaID, Articles: arts})
	if err == nil {
		p.flash(c, "ok", t(c, "articles.saved"))
		for _, r := range saved.Removed {
			p.flash(c, "info", removalText(c, r))
		}
		redirect(c, withAppID("/console/articles/edit?mediaId="+url.QueryEscape(saved.MediaID), a))
		return
	}
	v := p.view(c, "articles_edit", "articles.editor")
	d := &editorData{MediaID: mediaID, Articles: shown, Max: articles.MaxArticles, AppID: a.AppID, State: "draft"}
	for i := range d.Articles {
		d.Articles[i].Preview = "" // not sanitized: the preview waits for a successful save
	}
	if len(d.Articles) < articles.MaxArticles {
		d.Articles = append(d.Articles, editArticle{Index: len(d.Articles), Blank: true})
	}
	if cerr := p.fillCovers(c, a, d); cerr != nil {
		p.fail(c, cerr)
		return
	}
	v.Error = errText(c, err)
	v.Data = d
	p.html(c, statusOf(err), "articles_edit", v)
}

// removalText says in the operator's language what the sanitizer took out of an article.
func removalText(c *gin.Context, r articles.Removal) string {
	return t(c, "articles.removed."+r.Kind, r.Index+1, r.Detail, r.Count)
}

// publishErrText explains a refusal to publish in the operator's language: WeChat's 48001 and
// 53503–53505 by their explanations (wx.err.publish_unverified, wx.err.draft_*).
func publishErrText(c *gin.Context, err error) string {
	if errors.Is(err, articles.ErrPublishing) {
		return t(c, "articles.publishing.already")
	}
	return errText(c, err)
}

func (p *Pages) articlePublish(c *gin.Context) {
	a := accounts.Current(c)
	mediaID := strings.TrimSpace(c.PostForm("mediaId"))
	back := withAppID("/console/articles/edit?mediaId="+url.QueryEscape(mediaID), a)
	pub, err := p.deps.Articles.Publish(c.Request.Context(), a, httpapi.UserID(c), mediaID)
	if err != nil {
		p.flash(c, "error", publishErrText(c, err))
		redirect(c, back)
		return
	}
	p.done(c, back, "articles.publish.submitted", pub.PublishID)
}

func (p *Pages) articleDelete(c *gin.Context) {
	a := accounts.Current(c)
	back := withAppID("/console/articles", a)
	if err := p.deps.Articles.Delete(c.Request.Context(), a, c.PostForm("mediaId")); err != nil {
		p.failed(c, back, err)
		return
	}
	p.done(c, back, "articles.deleted")
}

func (p *Pages) articleSync(c *gin.Context) {
	a := accounts.Current(c)
	back := withAppID("/console/articles", a)
	r, err := p.deps.Articles.Sync(c.Request.Context(), a, httpapi.UserID(c))
	if err != nil {
		p.failed(c, back, err)
		return
	}
	p.done(c, back, "articles.synced", r.Imported, r.Updated)
}

// articleStatus answers a publishing job's status for the editor's script, with its label and
// explanation in the operator's language.
func (p *Pages) articleStatus(c *gin.Context) {
	a := accounts.Current(c)
	pub, err := p.deps.Articles.GetPublish(c.Request.Context(), a, c.Query("publishId"))
	if err != nil {
		status, body, _ := httpapi.Describe(err)
		c.JSON(status, body)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": pub.Status, "label": t(c, "articles.status."+pub.Status),
		"explain": t(c, "articles.status.explain."+pub.Status), "articles": pub.Articles, "failIdx": pub.FailIdx,
		"articleId": pub.ArticleID})
}

// Package articles is the console's side of WeChat's draft box and free publishing (contract §17): drafts
// of 1 to 8 articles checked against WeChat's limits and sanitized to the HTML WeChat keeps, the console's
// own copy of every draft with the history of its saves, pictures uploaded for article content
// (media/uploadimg), and publishing, whose outcome arrives by the PUBLISHJOBFINISH event or, until it
// does, by polling freepublish/get from a background job.
package articles

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// WeChat's limits of an article (draft/add): title 32 characters, author 16, digest 128, content under
// 20,000 characters and under 1 MB; 1 to 8 articles per draft.
const (
	MaxTitle        = 32
	MaxAuthor       = 16
	MaxDigest       = 128
	MaxContentRunes = 20000
	MaxContentBytes = 1 << 20
	MaxArticles     = 8
	MaxSourceURL    = 1024
)

// Article is one article of a draft, in the API's field names.
type Article struct {
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"contentSourceUrl"`
	ThumbMediaID       string `json:"thumbMediaId"`
	ThumbURL           string `json:"thumbUrl,omitempty"` // the console's copy of the cover, when it keeps one
	NeedOpenComment    bool   `json:"needOpenComment"`
	OnlyFansCanComment bool   `json:"onlyFansCanComment"`
}

// Removal is something the sanitizer took out of an article's content.
type Removal struct {
	Index  int    `json:"index"`  // the article (0-based)
	Kind   string `json:"kind"`   // element | attribute | url | image
	Detail string `json:"detail"` // the element or attribute name, or the URL
	Count  int    `json:"count"`
}

// Removal kinds.
const (
	RemovedElement   = "element"
	RemovedAttribute = "attribute"
	RemovedURL       = "url"
	RemovedImage     = "image"
)

// Draft is the console's copy of a draft.
type Draft struct {
	MediaID   string    `json:"mediaId"`
	Articles  []Article `json:"articles"`
	Origin    string    `json:"origin"` // console | wechat (imported by syncDrafts)
	State     string    `json:"state"`  // draft | published
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// LastPublish is the draft's latest publishing job, if any.
	LastPublish *Publish `json:"lastPublish,omitempty"`

	id int64
}

// Revision is one save of a draft.
type Revision struct {
	ID       int64     `json:"id"`
	Action   string    `json:"action"` // create | update | import
	SavedBy  int64     `json:"savedBy,omitempty"`
	SavedAt  time.Time `json:"savedAt"`
	Removed  []Removal `json:"removed"`
	Articles []Article `json:"articles,omitempty"`
}

// Publish statuses (contract §17).
const (
	StatusSubmitting = "submitting" // internal: freepublish/submit not answered yet
	StatusPublishing = "publishing"
	StatusPublished  = "published"
	StatusFailed     = "failed"
	StatusRejected   = "rejected"
	StatusDeleted    = "deleted"
	StatusBanned     = "banned"
)

// statusOf maps WeChat's publish_status: 0 published, 1 publishing, 2 original-content check failed and
// 3 failed, 4 rejected by review, 5 deleted, 6 banned.
func statusOf(wx int) string {
	switch wx {
	case 0:
		return StatusPublished
	case 1:
		return StatusPublishing
	case 4:
		return StatusRejected
	case 5:
		return StatusDeleted
	case 6:
		return StatusBanned
	}
	return StatusFailed
}

// PublishedURL is one article's permanent link.
type PublishedURL struct {
	Idx int    `json:"idx"`
	URL string `json:"url"`
}

// Publish is a publishing job.
type Publish struct {
	PublishID  string         `json:"publishId"`
	MediaID    string         `json:"mediaId"`
	Status     string         `json:"status"`
	WxStatus   *int           `json:"wxStatus,omitempty"`
	ArticleID  string         `json:"articleId,omitempty"`
	Articles   []PublishedURL `json:"articles"`
	FailIdx    []int          `json:"failIdx,omitempty"`
	Title      string         `json:"title"`
	CreatedAt  time.Time      `json:"createdAt"`
	FinishedAt *time.Time     `json:"finishedAt,omitempty"`
}

// Errors of the package.
var (
	ErrDraftNotFound   = apperr.New(apperr.NotFound, "draft not found: no draft with this mediaId").WithKey("articles.err.draft_not_found")
	ErrPublishNotFound = apperr.New(apperr.NotFound, "publishing job not found: no job with this publishId").WithKey("articles.err.publish_not_found")
	ErrImageNotFound   = apperr.New(apperr.NotFound, "image not found").WithKey("articles.err.image_not_found")
	ErrPublishing      = apperr.New(apperr.Conflict, "this draft is being published already").WithKey("articles.publishing.already")
	ErrAlreadyOut      = apperr.New(apperr.Conflict, "this draft was published: WeChat removed it from the draft box").WithKey("articles.err.published")
)

// Validate checks a draft's articles against WeChat's limits before anything else happens; the content's
// character count is checked again after sanitizing. Errors name the field: articles[1].title.
func Validate(arts []Article) error {
	if len(arts) == 0 {
		return apperr.Invalidf("articles", "must hold 1 to %d articles, not 0", MaxArticles).WithKey("articles.err.count", MaxArticles, 0)
	}
	if len(arts) > MaxArticles {
		return apperr.Invalidf("articles", "must hold 1 to %d articles, not %d", MaxArticles, len(arts)).WithKey("articles.err.count", MaxArticles, len(arts))
	}
	for i := range arts {
		if err := arts[i].validate(fmt.Sprintf("articles[%d].", i)); err != nil {
			return err
		}
	}
	return nil
}

func (a *Article) validate(prefix string) error {
	a.Title = strings.TrimSpace(a.Title)
	a.Author = strings.TrimSpace(a.Author)
	a.Digest = strings.TrimSpace(a.Digest)
	a.ContentSourceURL = strings.TrimSpace(a.ContentSourceURL)
	a.ThumbMediaID = strings.TrimSpace(a.ThumbMediaID)
	for _, f := range []struct {
		name, v string
		max     int
	}{{"title", a.Title, MaxTitle}, {"author", a.Author, MaxAuthor}, {"digest", a.Digest, MaxDigest}} {
		if !utf8.ValidString(f.v) {
			return apperr.Invalidf(prefix+f.name, "is not valid UTF-8").WithKey("err.field.utf8", prefix+f.name)
		}
		if n := utf8.RuneCountInString(f.v); n > f.max {
			return apperr.Invalidf(prefix+f.name, "must be at most %d characters, not %d", f.max, n).WithKey("articles.err.too_long", prefix+f.name, f.max, n)
		}
	}
	switch {
	case a.Title == "":
		return apperr.Missing(prefix + "title")
	case len(a.Content) >= MaxContentBytes:
		return apperr.New(apperr.TooLarge, fmt.Sprintf("%scontent: must be under 1 MB, not %d bytes", prefix, len(a.Content))).WithKey("articles.err.content_bytes", prefix+"content", len(a.Content))
	case !utf8.ValidString(a.Content):
		return apperr.Invalidf(prefix+"content", "is not valid UTF-8").WithKey("err.field.utf8", prefix+"content")
	case strings.TrimSpace(a.Content) == "":
		return apperr.Missing(prefix + "content")
	case a.ThumbMediaID == "":
		return apperr.Invalidf(prefix+"thumbMediaId", "is required: the cover, a permanent image from the materials").WithKey("articles.err.cover_required", prefix+"thumbMediaId")
	case len(a.ContentSourceURL) > MaxSourceURL:
		return apperr.Invalidf(prefix+"contentSourceUrl", "must be at most %d bytes", MaxSourceURL).WithKey("err.field.max_bytes", prefix+"contentSourceUrl", MaxSourceURL)
	case a.ContentSourceURL != "" && !strings.HasPrefix(a.ContentSourceURL, "http://") && !strings.HasPrefix(a.ContentSourceURL, "https://"):
		return apperr.Invalidf(prefix+"contentSourceUrl", "must be an http(s) URL").WithKey("err.url.http", prefix+"contentSourceUrl")
	}
	return nil
}

// checkContentLength applies the character limit to sanitized content.
func checkContentLength(prefix, content string) error {
	if n := utf8.RuneCountInString(content); n >= MaxContentRunes {
		return apperr.Invalidf(prefix+"content", "must be under %d characters, not %d", MaxContentRunes, n).WithKey("articles.err.content_chars", prefix+"content", MaxContentRunes, n)
	}
	if strings.TrimSpace(content) == "" {
		return apperr.Invalidf(prefix+"content", "is empty once sanitized").WithKey("articles.err.sanitized_empty", prefix+"content")
	}
	return nil
}

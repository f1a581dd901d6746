package wxclient

import (
	"context"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Codes of the draft box and free publishing that callers act on.
const (
	CodeEmptyNews        = 44003
	CodeInvalidContent   = 45166
	CodeDraftNotChecked  = 53503
	CodeDraftNeedsWeb    = 53504
	CodeDraftNeedsSaving = 53505
	CodeInvalidArticleID = 53600
)

// MaxDraftBatch is the largest count of draft/batchget and freepublish/batchget.
const MaxDraftBatch = 20

// DraftArticle is one article of a draft, as draft/add and draft/update take it.
type DraftArticle struct {
	ArticleType        string `json:"article_type,omitempty"`
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
}

// DraftItem is one article as draft/get, draft/batchget and the freepublish reads answer it.
type DraftItem struct {
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url"`
	ThumbMediaID       string `json:"thumb_media_id"`
	ShowCoverPic       int    `json:"show_cover_pic"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
	URL                string `json:"url"`
	ThumbURL           string `json:"thumb_url"`
	IsDeleted          bool   `json:"is_deleted"`
}

// DraftContent is the articles of one draft or published group.
type DraftContent struct {
	NewsItem   []DraftItem `json:"news_item"`
	CreateTime int64       `json:"create_time"`
	UpdateTime int64       `json:"update_time"`
}

// DraftList is the answer of draft/batchget.
type DraftList struct {
	TotalCount int `json:"total_count"`
	ItemCount  int `json:"item_count"`
	Item       []struct {
		MediaID    string       `json:"media_id"`
		Content    DraftContent `json:"content"`
		UpdateTime int64        `json:"update_time"`
	} `json:"item"`
}

// PublishedList is the answer of freepublish/batchget.
type PublishedList struct {
	TotalCount int `json:"total_count"`
	ItemCount  int `json:"item_count"`
	Item       []struct {
		ArticleID  string       `json:"article_id"`
		Content    DraftContent `json:"content"`
		UpdateTime int64        `json:"update_time"`
	} `json:"item"`
}

// PublishStatus is the answer of freepublish/get.
type PublishStatus struct {
	PublishID     string `json:"publish_id"`
	PublishStatus int    `json:"publish_status"`
	ArticleID     string `json:"article_id"`
	ArticleDetail struct {
		Count int `json:"count"`
		Item  []struct {
			Idx        int    `json:"idx"`
			ArticleURL string `json:"article_url"`
		} `json:"item"`
	} `json:"article_detail"`
	FailIdx []int `json:"fail_idx"`
}

// Submitted is the answer of freepublish/submit.
type Submitted struct {
	PublishID string `json:"publish_id"`
	MsgDataID int64  `json:"msg_data_id"`
}

type batchBody struct {
	Offset    int `json:"offset"`
	Count     int `json:"count"`
	NoContent int `json:"no_content"`
}

func checkBatch(offset, count int) error {
	if offset < 0 {
		return apperr.Invalidf("offset", "must not be negative").WithKey("err.field.negative", "offset")
	}
	if count < 1 || count > MaxDraftBatch {
		return apperr.Invalidf("count", "must be between 1 and %d", MaxDraftBatch).WithKey("err.field.between", "count", 1, MaxDraftBatch)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// AddDraft calls POST cgi-bin/draft/add with 1 to 8 articles and answers the draft's media_id.
func (c *Client) AddDraft(ctx context.Context, appid string, articles []DraftArticle) (string, error) {
	var out struct {
		MediaID string `json:"media_id"`
	}
	body := struct {
		Articles []DraftArticle `json:"articles"`
	}{articles}
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/draft/add", body: body, auth: true}, &out)
	return out.MediaID, err
}

// UpdateDraft calls POST cgi-bin/draft/update: replaces the article at index (0-based) of a draft.
func (c *Client) UpdateDraft(ctx context.Context, appid, mediaID string, index int, a DraftArticle) error {
	if mediaID == "" {
		return apperr.Missing("media_id")
	}
	body := struct {
		MediaID  string       `json:"media_id"`
		Index    int          `json:"index"`
		Articles DraftArticle `json:"articles"`
	}{mediaID, index, a}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/draft/update", body: body, auth: true}, nil)
}

// GetDraft calls POST cgi-bin/draft/get.
func (c *Client) GetDraft(ctx context.Context, appid, mediaID string) ([]DraftItem, error) {
	if mediaID == "" {
		return nil, apperr.Missing("media_id")
	}
	var out struct {
		NewsItem []DraftItem `json:"news_item"`
	}
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/draft/get", body: MediaIDRequest{mediaID}, auth: true}, &out)
	return out.NewsItem, err
}

// DeleteDraft calls POST cgi-bin/draft/delete.
func (c *Client) DeleteDraft(ctx context.Context, appid, mediaID string) error {
	if mediaID == "" {
		return apperr.Missing("media_id")
	}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/draft/delete", body: MediaIDRequest{mediaID}, auth: true}, nil)
}

// DraftCount calls GET cgi-bin/draft/count.
func (c *Client) DraftCount(ctx context.Context, appid string) (int, error) {
	var out struct {
		TotalCount int `json:"total_count"`
	}
	err := c.do(ctx, appid, request{method: "GET", path: "/cgi-bin/draft/count", auth: true}, &out)
	return out.TotalCount, err
}

// BatchGetDrafts calls POST cgi-bin/draft/batchget: count (1 to 20) drafts from offset, newest first.
func (c *Client) BatchGetDrafts(ctx context.Context, appid string, offset, count int, noContent bool) (DraftList, error) {
	var out DraftList
	if err := checkBatch(offset, count); err != nil {
		return out, err
	}
	body := batchBody{Offset: offset, Count: count, NoContent: boolInt(noContent)}
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/draft/batchget", body: body, auth: true}, &out)
	return out, err
}

// SubmitPublish calls POST cgi-bin/freepublish/submit: publishes a draft; the outcome comes later
// (PUBLISHJOBFINISH, or freepublish/get).
func (c *Client) SubmitPublish(ctx context.Context, appid, mediaID string) (Submitted, error) {
	var out Submitted
	if mediaID == "" {
		return out, apperr.Missing("media_id")
	}
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/freepublish/submit", body: MediaIDRequest{mediaID}, auth: true}, &out)
	return out, err
}

// GetPublish calls POST cgi-bin/freepublish/get.
func (c *Client) GetPublish(ctx context.Context, appid, publishID string) (PublishStatus, error) {
	var out PublishStatus
	if publishID == "" {
		return out, apperr.Missing("publish_id")
	}
	body := struct {
		PublishID string `json:"publish_id"`
	}{publishID}
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/freepublish/get", body: body, auth: true}, &out)
	return out, err
}

// DeletePublished calls POST cgi-bin/freepublish/delete: index 0 deletes every article of the group,
// 1..n one of them.
func (c *Client) DeletePublished(ctx context.Context, appid, articleID string, index int) error {
	if articleID == "" {
		return apperr.Missing("article_id")
	}
	body := struct {
		ArticleID string `json:"article_id"`
		Index     int    `json:"index,omitempty"`
	}{articleID, index}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/freepublish/delete", body: body, auth: true}, nil)
}

// GetPublishedArticle calls POST cgi-bin/freepublish/getarticle.
func (c *Client) GetPublishedArticle(ctx context.Context, appid, articleID string) ([]DraftItem, error) {
	if articleID == "" {
		return nil, apperr.Missing("article_id")
	}
	var out struct {
		NewsItem []DraftItem `json:"news_item"`
	}
	body := struct {
		ArticleID string `json:"article_id"`
	}{articleID}
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/freepublish/getarticle", body: body, auth: true}, &out)
	return out.NewsItem, err
}

// BatchGetPublished calls POST cgi-bin/freepublish/batchget: count (1 to 20) published groups from
// offset, newest first.
func (c *Client) BatchGetPublished(ctx context.Context, appid string, offset, count int, noContent bool) (PublishedList, error) {
	var out PublishedList
	if err := checkBatch(offset, count); err != nil {
		return out, err
	}
	body := batchBody{Offset: offset, Count: count, NoContent: boolInt(noContent)}
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/freepublish/batchget", body: body, auth: true}, &out)
	return out, err
}

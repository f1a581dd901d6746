package wxemu

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WeChat's draft box (cgi-bin/draft/*) and free publishing (cgi-bin/freepublish/*), which replaced the
// news materials: an account's drafts of 1 to 8 articles, publishing jobs that end after a delay with a
// PUBLISHJOBFINISH push to the account's callback, and the published articles.

// Codes of the draft and publishing endpoints.
const (
	codeContentSize      = 45002 // content size out of limit
	codeTitleSize        = 45003 // title size out of limit
	codeDigestSize       = 45004 // description size out of limit
	codeArticleCount     = 45008 // article size out of limit
	codeAuthorSize       = 45110 // author size out of limit
	codeEmptyNews        = 44003 // empty news data
	codeInvalidContent   = 45166 // invalid content
	codeDraftNotChecked  = 53503 // the draft did not pass the publish check
	codeDraftNeedsWeb    = 53504 // the draft must be used in WeChat's admin
	codeDraftNeedsSaving = 53505 // the draft must be saved by hand first
)

func init() {
	// The texts WeChat answers with, beside the package's other codes.
	for code, msg := range map[int]string{
		codeContentSize:      "content size out of limit",
		codeTitleSize:        "title size out of limit",
		codeDigestSize:       "description size out of limit",
		codeArticleCount:     "article size out of limit",
		codeAuthorSize:       "author size out of limit",
		codeEmptyNews:        "empty news data",
		codeInvalidContent:   "invalid content",
		codeDraftNotChecked:  "该草稿未通过发布检查",
		codeDraftNeedsWeb:    "需前往公众平台官网使用草稿",
		codeDraftNeedsSaving: "请手动保存成功后再发表",
	} {
		errmsgs[code] = msg
	}
}

// Limits of one article, as WeChat states them: title 32 characters, author 16, digest 128, content under
// 20,000 characters and under 1 MB; 1 to 8 articles per draft.
const (
	maxTitleRunes    = 32
	maxAuthorRunes   = 16
	maxDigestRunes   = 128
	maxContentRunes  = 20000
	maxContentBytes  = 1 << 20
	maxDraftArticles = 8
)

// DraftArticle is one article of a draft, in WeChat's field names.
type DraftArticle struct {
	ArticleType        string `json:"article_type,omitempty"`
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url"`
	ThumbMediaID       string `json:"thumb_media_id"`
	ShowCoverPic       int    `json:"show_cover_pic"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
	PicCrop2351        string `json:"pic_crop_235_1,omitempty"`
	PicCrop11          string `json:"pic_crop_1_1,omitempty"`
}

// newsItem is an article as draft/get, batchget and getarticle answer it.
type newsItem struct {
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
	IsDeleted          *bool  `json:"is_deleted,omitempty"` // published articles only
}

// Draft is a draft of the draft box.
type Draft struct {
	MediaID    string
	Articles   []DraftArticle
	UpdateTime int64
}

// Publish outcomes (publish_status of freepublish/get and PUBLISHJOBFINISH).
const (
	PublishOK           = 0
	PublishRunning      = 1
	PublishOriginalFail = 2
	PublishFailed       = 3
	PublishRejected     = 4
	PublishDeleted      = 5
	PublishBanned       = 6
)

// PublishOutcome decides how the account's next publishing jobs end: Status PublishOK (the default),
// PublishOriginalFail, PublishFailed or PublishRejected, with FailIdx the failed articles (1-based; all
// of them when empty).
type PublishOutcome struct {
	Status  int   `json:"status"`
	FailIdx []int `json:"failIdx,omitempty"`
}

// publishJob is one freepublish/submit.
type publishJob struct {
	ID        string
	MediaID   string
	Articles  []DraftArticle
	Status    int
	ArticleID string
	FailIdx   []int
	URLs      []string
}

// published is one published article group (article_id).
type published struct {
	ArticleID  string
	Items      []newsItem
	Deleted    []bool
	UpdateTime int64
	Job        *publishJob
}

// newsState is an account's draft box and publishing. Guarded by Emulator.mu.
type newsState struct {
	drafts    []*Draft // oldest first
	jobs      map[string]*publishJob
	articles  []*published // oldest first
	outcome   PublishOutcome
	publisher string // the openid WeChat names as the sender of PUBLISHJOBFINISH
	nextJob   int64
}

// news answers the draft state of acc, creating it. The caller holds e.mu.
func (acc *account) newsState() *newsState {
	if acc.news == nil {
		acc.news = &newsState{jobs: map[string]*publishJob{}, nextJob: 2247483000 + int64(len(acc.AppID))*1000,
			publisher: acc.openidPrefix + randString(openidChars, 22)}
	}
	return acc.news
}

var (
	jsURL     = regexp.MustCompile(`(?i)(href|src)\s*=\s*["']?\s*javascript:`)
	eventAttr = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	scriptTag = regexp.MustCompile(`(?is)<script\b.*?(</script\s*>|$)`)
)

// checkArticle applies WeChat's checks to one article: the limits, a cover that is a permanent image
// (40007 otherwise), and content WeChat refuses (45166: javascript: links, event attributes, iframes);
// it removes <script> elements as WeChat does ("此处会去除JS").
func (acc *account) checkArticle(a *DraftArticle) *apiError {
	if a.ArticleType == "" {
		a.ArticleType = "news"
	}
	switch {
	case strings.TrimSpace(a.Title) == "" && strings.TrimSpace(a.Content) == "":
		return wxErr(codeEmptyNews)
	case utf8.RuneCountInString(a.Title) > maxTitleRunes:
		return wxErr(codeTitleSize)
	case utf8.RuneCountInString(a.Author) > maxAuthorRunes:
		return wxErr(codeAuthorSize)
	case utf8.RuneCountInString(a.Digest) > maxDigestRunes:
		return wxErr(codeDigestSize)
	case len(a.Content) >= maxContentBytes || utf8.RuneCountInString(a.Content) >= maxContentRunes:
		return wxErr(codeContentSize)
	case jsURL.MatchString(a.Content) || eventAttr.MatchString(a.Content) || strings.Contains(strings.ToLower(a.Content), "<iframe"):
		return wxErr(codeInvalidContent)
	}
	if a.ArticleType == "news" {
		m, _ := acc.findMaterial(a.ThumbMediaID)
		if a.ThumbMediaID == "" || m == nil || (m.Type != "image" && m.Type != "thumb") {
			return wxErr(codeInvalidMediaID)
		}
	}
	a.Content = scriptTag.ReplaceAllString(a.Content, "")
	if a.ShowCoverPic == 0 {
		a.ShowCoverPic = 1
	}
	return nil
}

func (acc *account) findDraft(mediaID string) (*Draft, int) {
	for i, d := range acc.newsState().drafts {
		if d.MediaID == mediaID {
			return d, i
		}
	}
	return nil, -1
}

// thumbURL answers the cover's address, as draft/get answers it.
func (acc *account) thumbURL(mediaID string) string {
	if m, _ := acc.findMaterial(mediaID); m != nil && m.URL != "" {
		return m.URL
	}
	return "http://mmbiz.qpic.cn/sz_mmbiz_jpg/" + mediaID + "/0?wx_fmt=jpeg"
}

// draftURL is the temporary preview link draft/get answers per article.
func draftURL(mediaID string, idx int) string {
	return "http://mp.weixin.qq.com/s?__biz=MzA5NjA2NDI0MA==&tempkey=" + mediaID + "&idx=" + strconv.Itoa(idx) + "#rd"
}

func (acc *account) items(mediaID string, arts []DraftArticle, noContent bool, urls []string) []newsItem {
	out := make([]newsItem, 0, len(arts))
	for i, a := range arts {
		it := newsItem{Title: a.Title, Author: a.Author, Digest: a.Digest, Content: a.Content,
			ContentSourceURL: a.ContentSourceURL, ThumbMediaID: a.ThumbMediaID, ShowCoverPic: a.ShowCoverPic,
			NeedOpenComment: a.NeedOpenComment, OnlyFansCanComment: a.OnlyFansCanComment,
			URL: draftURL(mediaID, i+1), ThumbURL: acc.thumbURL(a.ThumbMediaID)}
		if urls != nil {
			it.URL = urls[i]
		}
		if noContent {
			it.Content = ""
		}
		out = append(out, it)
	}
	return out
}

// handleDraftAdd serves POST /cgi-bin/draft/add {"articles":[...]} → {"media_id"}. No article 44003, more
// than 8 45008, and each article's checks (checkArticle).
func (e *Emulator) handleDraftAdd(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		Articles []DraftArticle `json:"articles"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	if len(req.Articles) == 0 {
		writeJSON(w, wxErr(codeEmptyNews))
		return
	}
	if len(req.Articles) > maxDraftArticles {
		writeJSON(w, wxErr(codeArticleCount))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	for i := range req.Articles {
		if ae := acc.checkArticle(&req.Articles[i]); ae != nil {
			writeJSON(w, ae)
			return
		}
	}
	d := &Draft{MediaID: randString(openidChars, 43), Articles: req.Articles, UpdateTime: e.now().Unix()}
	ns := acc.newsState()
	ns.drafts = append(ns.drafts, d)
	writeJSON(w, struct {
		MediaID string `json:"media_id"`
	}{d.MediaID})
}

// handleDraftUpdate serves POST /cgi-bin/draft/update {"media_id","index","articles":{...}}: replaces the
// article at index (0-based). Unknown media_id 40007; index outside the draft 40035.
func (e *Emulator) handleDraftUpdate(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		MediaID  string        `json:"media_id"`
		Index    int           `json:"index"`
		Articles *DraftArticle `json:"articles"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	if req.Articles == nil {
		writeJSON(w, wxErr(codeEmptyNews))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	d, _ := acc.findDraft(req.MediaID)
	if d == nil {
		writeJSON(w, wxErr(codeInvalidMediaID))
		return
	}
	if req.Index < 0 || req.Index >= len(d.Articles) {
		writeJSON(w, wxErr(codeInvalidArgs, "index"))
		return
	}
	if ae := acc.checkArticle(req.Articles); ae != nil {
		writeJSON(w, ae)
		return
	}
	d.Articles[req.Index] = *req.Articles
	d.UpdateTime = e.now().Unix()
	writeJSON(w, okResp)
}

// handleDraftGet serves POST /cgi-bin/draft/get {"media_id"} → {"news_item":[...]}; unknown 40007.
func (e *Emulator) handleDraftGet(w http.ResponseWriter, r *http.Request, appid string) {
	var req mediaIDBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	d, _ := acc.findDraft(req.MediaID)
	if d == nil {
		writeJSON(w, wxErr(codeInvalidMediaID))
		return
	}
	writeJSON(w, struct {
		NewsItem []newsItem `json:"news_item"`
	}{acc.items(d.MediaID, d.Articles, false, nil)})
}

// handleDraftDelete serves POST /cgi-bin/draft/delete {"media_id"}; unknown 40007.
func (e *Emulator) handleDraftDelete(w http.ResponseWriter, r *http.Request, appid string) {
	var req mediaIDBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	_, i := acc.findDraft(req.MediaID)
	if i < 0 {
		writeJSON(w, wxErr(codeInvalidMediaID))
		return
	}
	ns := acc.newsState()
	ns.drafts = slices.Delete(ns.drafts, i, i+1)
	writeJSON(w, okResp)
}

// handleDraftCount serves GET /cgi-bin/draft/count → {"total_count"}.
func (e *Emulator) handleDraftCount(w http.ResponseWriter, r *http.Request, appid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	writeJSON(w, struct {
		TotalCount int `json:"total_count"`
	}{len(e.account(appid).newsState().drafts)})
}

type batchRequest struct {
	Offset    int `json:"offset"`
	Count     int `json:"count"`
	NoContent int `json:"no_content"`
}

func decodeBatch(r *http.Request) (batchRequest, *apiError) {
	var req batchRequest
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		return req, ae
	}
	if req.Count < 1 || req.Count > 20 || req.Offset < 0 {
		return req, wxErr(codeInvalidArgs, "count")
	}
	return req, nil
}

type newsContent struct {
	NewsItem   []newsItem `json:"news_item"`
	CreateTime int64      `json:"create_time,omitempty"`
	UpdateTime int64      `json:"update_time,omitempty"`
}

// handleDraftBatchGet serves POST /cgi-bin/draft/batchget {"offset","count" (1–20),"no_content"} →
// {"total_count","item_count","item":[{"media_id","content":{"news_item"},"update_time"}]}, newest first.
func (e *Emulator) handleDraftBatchGet(w http.ResponseWriter, r *http.Request, appid string) {
	req, ae := decodeBatch(r)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	type item struct {
		MediaID    string      `json:"media_id"`
		Content    newsContent `json:"content"`
		UpdateTime int64       `json:"update_time"`
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	ds := acc.newsState().drafts
	items := []item{}
	for i := len(ds) - 1 - req.Offset; i >= 0 && len(items) < req.Count; i-- {
		d := ds[i]
		items = append(items, item{MediaID: d.MediaID, UpdateTime: d.UpdateTime,
			Content: newsContent{NewsItem: acc.items(d.MediaID, d.Articles, req.NoContent == 1, nil),
				CreateTime: d.UpdateTime, UpdateTime: d.UpdateTime}})
	}
	writeJSON(w, struct {
		TotalCount int    `json:"total_count"`
		ItemCount  int    `json:"item_count"`
		Item       []item `json:"item"`
	}{len(ds), len(items), items})
}

// Drafts returns copies of the drafts of appid, oldest first.
func (e *Emulator) Drafts(appid string) []Draft {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc == nil {
		return nil
	}
	out := []Draft{}
	for _, d := range acc.newsState().drafts {
		c := *d
		c.Articles = slices.Clone(d.Articles)
		out = append(out, c)
	}
	return out
}

// AddDraft puts a draft in appid's draft box as WeChat's own admin would (no checks), answering its
// media_id: what syncDrafts imports.
func (e *Emulator) AddDraft(appid string, articles []DraftArticle) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc == nil {
		return ""
	}
	d := &Draft{MediaID: randString(openidChars, 43), Articles: slices.Clone(articles), UpdateTime: e.now().Unix()}
	ns := acc.newsState()
	ns.drafts = append(ns.drafts, d)
	return d.MediaID
}

package wxemu

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// defaultPublishDelay is how long a publishing job runs before it ends, when Options.PublishDelay is 0.
// WeChat's take seconds to minutes.
const defaultPublishDelay = 2 * time.Second

// SetPublishOutcome decides how appid's next publishing jobs end (see PublishOutcome); the zero value
// publishes.
func (e *Emulator) SetPublishOutcome(appid string, o PublishOutcome) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		acc.newsState().outcome = o
	}
}

func (e *Emulator) publishDelay() time.Duration {
	if e.opts.PublishDelay == 0 {
		return defaultPublishDelay
	}
	return e.opts.PublishDelay
}

// handleFreePublishSubmit serves POST /cgi-bin/freepublish/submit {"media_id"} →
// {"errcode":0,"errmsg":"ok","publish_id","msg_data_id"}. The job ends after Options.PublishDelay with a
// PUBLISHJOBFINISH push. Unknown media_id 40007. The refusals WeChat makes for accounts and drafts
// (48001 unverified account, 53503 draft not checked, 53504, 53505) are set with SetFault.
func (e *Emulator) handleFreePublishSubmit(w http.ResponseWriter, r *http.Request, appid string) {
	var req mediaIDBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	acc := e.account(appid)
	d, _ := acc.findDraft(req.MediaID)
	if d == nil {
		e.mu.Unlock()
		writeJSON(w, wxErr(codeInvalidMediaID))
		return
	}
	ns := acc.newsState()
	ns.nextJob++
	job := &publishJob{ID: strconv.FormatInt(ns.nextJob, 10), MediaID: d.MediaID, Articles: slices.Clone(d.Articles),
		Status: PublishRunning}
	ns.jobs[job.ID] = job
	msgDataID := ns.nextJob
	e.mu.Unlock()

	if delay := e.publishDelay(); delay > 0 {
		time.AfterFunc(delay, func() { e.CompletePublishing(appid, job.ID) })
	}
	writeJSON(w, struct {
		Errcode   int    `json:"errcode"`
		Errmsg    string `json:"errmsg"`
		PublishID string `json:"publish_id"`
		MsgDataID int64  `json:"msg_data_id"`
	}{0, "ok", job.ID, msgDataID})
}

// CompletePublishing ends a running publishing job now, with the account's PublishOutcome, and pushes
// PUBLISHJOBFINISH to the account's callback (when one is set). A published draft leaves the draft box.
// It answers false when the job is unknown or already ended.
func (e *Emulator) CompletePublishing(appid, publishID string) bool {
	e.mu.Lock()
	acc := e.account(appid)
	if acc == nil {
		e.mu.Unlock()
		return false
	}
	ns := acc.newsState()
	job := ns.jobs[publishID]
	if job == nil || job.Status != PublishRunning {
		e.mu.Unlock()
		return false
	}
	o := ns.outcome
	info := &wxcrypto.PublishEventInfo{PublishID: job.ID}
	switch o.Status {
	case PublishOriginalFail, PublishFailed, PublishRejected:
		job.Status = o.Status
		job.FailIdx = slices.Clone(o.FailIdx)
		if len(job.FailIdx) == 0 {
			for i := range job.Articles {
				job.FailIdx = append(job.FailIdx, i+1)
			}
		}
		info.PublishStatus, info.FailIdx = job.Status, job.FailIdx
	default:
		job.Status = PublishOK
		job.ArticleID = randString(openidChars, 43)
		mid := strconv.FormatInt(ns.nextJob, 10)
		p := &published{ArticleID: job.ArticleID, UpdateTime: e.now().Unix(), Job: job,
			Deleted: make([]bool, len(job.Articles))}
		for i := range job.Articles {
			u := "http://mp.weixin.qq.com/s?__biz=MzA5NjA2NDI0MA==&mid=" + mid + "&idx=" + strconv.Itoa(i+1) +
				"&sn=" + randHex(32) + "#rd"
			job.URLs = append(job.URLs, u)
		}
		p.Items = acc.items(job.MediaID, job.Articles, false, job.URLs)
		ns.articles = append(ns.articles, p)
		if _, i := acc.findDraft(job.MediaID); i >= 0 {
			ns.drafts = slices.Delete(ns.drafts, i, i+1)
		}
		info.ArticleID, info.Count = job.ArticleID, len(job.URLs)
		for i, u := range job.URLs {
			info.Items = append(info.Items, wxcrypto.PublishedArticle{Idx: i + 1, ArticleURL: u})
		}
	}
	publisher, cbURL := ns.publisher, acc.callbackURL
	e.mu.Unlock()

	if cbURL != "" {
		ctx, cancel := context.WithTimeout(context.Background(), e.opts.DeliveryTimeout)
		defer cancel()
		msg := &wxcrypto.Message{FromUserName: publisher, MsgType: "event", Event: "PUBLISHJOBFINISH", PublishEventInfo: info}
		if _, err := e.Deliver(ctx, appid, msg); err != nil {
			e.log.Warn("wxemu: PUBLISHJOBFINISH not delivered", "appid", appid, "publish_id", publishID, "err", err)
		}
	}
	return true
}

type publishIDBody struct {
	PublishID string `json:"publish_id"`
}

type articleDetail struct {
	Count int                 `json:"count"`
	Item  []articleDetailItem `json:"item"`
}

type articleDetailItem struct {
	Idx        int    `json:"idx"`
	ArticleURL string `json:"article_url"`
}

// handleFreePublishGet serves POST /cgi-bin/freepublish/get {"publish_id"} → {"publish_id",
// "publish_status","article_id"?,"article_detail"?,"fail_idx"}. An unknown publish_id is 40035 (WeChat
// documents no code for it).
func (e *Emulator) handleFreePublishGet(w http.ResponseWriter, r *http.Request, appid string) {
	var req publishIDBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	ns := acc.newsState()
	job := ns.jobs[req.PublishID]
	if job == nil {
		writeJSON(w, wxErr(codeInvalidArgs, "publish_id"))
		return
	}
	out := struct {
		PublishID     string         `json:"publish_id"`
		PublishStatus int            `json:"publish_status"`
		ArticleID     string         `json:"article_id,omitempty"`
		ArticleDetail *articleDetail `json:"article_detail,omitempty"`
		FailIdx       []int          `json:"fail_idx"`
	}{PublishID: job.ID, PublishStatus: job.Status, FailIdx: job.FailIdx}
	if out.FailIdx == nil {
		out.FailIdx = []int{}
	}
	if job.ArticleID != "" {
		out.ArticleID = job.ArticleID
		d := &articleDetail{Count: len(job.URLs)}
		for i, u := range job.URLs {
			d.Item = append(d.Item, articleDetailItem{Idx: i + 1, ArticleURL: u})
		}
		out.ArticleDetail = d
	}
	writeJSON(w, out)
}

func (ns *newsState) findPublished(articleID string) *published {
	for _, p := range ns.articles {
		if p.ArticleID == articleID {
			return p
		}
	}
	return nil
}

// handleFreePublishDelete serves POST /cgi-bin/freepublish/delete {"article_id","index"?}: index 0 or
// absent deletes every article of the group (the job's status becomes 5), 1..n one of them. Unknown
// article_id, or an index outside the group, 53600.
func (e *Emulator) handleFreePublishDelete(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		ArticleID string `json:"article_id"`
		Index     int    `json:"index"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ns := e.account(appid).newsState()
	p := ns.findPublished(req.ArticleID)
	if p == nil || req.Index < 0 || req.Index > len(p.Items) {
		writeJSON(w, wxErr(codeInvalidArticleID))
		return
	}
	if req.Index == 0 {
		for i := range p.Deleted {
			p.Deleted[i] = true
		}
	} else {
		p.Deleted[req.Index-1] = true
	}
	if !slices.Contains(p.Deleted, false) {
		p.Job.Status = PublishDeleted
	}
	p.UpdateTime = e.now().Unix()
	writeJSON(w, okResp)
}

func (p *published) newsItems(noContent bool) []newsItem {
	out := make([]newsItem, len(p.Items))
	for i, it := range p.Items {
		d := p.Deleted[i]
		it.IsDeleted = &d
		if noContent {
			it.Content = ""
		}
		out[i] = it
	}
	return out
}

// handleFreePublishGetArticle serves POST /cgi-bin/freepublish/getarticle {"article_id"} →
// {"news_item":[{...,"url","is_deleted"}]}; unknown 53600.
func (e *Emulator) handleFreePublishGetArticle(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		ArticleID string `json:"article_id"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.account(appid).newsState().findPublished(req.ArticleID)
	if p == nil {
		writeJSON(w, wxErr(codeInvalidArticleID))
		return
	}
	writeJSON(w, struct {
		NewsItem []newsItem `json:"news_item"`
	}{p.newsItems(false)})
}

// handleFreePublishBatchGet serves POST /cgi-bin/freepublish/batchget {"offset","count" (1–20),
// "no_content"} → {"total_count","item_count","item":[{"article_id","content":{"news_item",
// "create_time","update_time"},"update_time"}]}, newest first; wholly deleted groups are not listed.
func (e *Emulator) handleFreePublishBatchGet(w http.ResponseWriter, r *http.Request, appid string) {
	req, ae := decodeBatch(r)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	type item struct {
		ArticleID  string      `json:"article_id"`
		Content    newsContent `json:"content"`
		UpdateTime int64       `json:"update_time"`
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var live []*published
	for _, p := range e.account(appid).newsState().articles {
		if slices.Contains(p.Deleted, false) {
			live = append(live, p)
		}
	}
	items := []item{}
	for i := len(live) - 1 - req.Offset; i >= 0 && len(items) < req.Count; i-- {
		p := live[i]
		items = append(items, item{ArticleID: p.ArticleID, UpdateTime: p.UpdateTime,
			Content: newsContent{NewsItem: p.newsItems(req.NoContent == 1), CreateTime: p.UpdateTime, UpdateTime: p.UpdateTime}})
	}
	writeJSON(w, struct {
		TotalCount int    `json:"total_count"`
		ItemCount  int    `json:"item_count"`
		Item       []item `json:"item"`
	}{len(live), len(items), items})
}

// handleSimulatorPublishOutcome serves POST /simulator/publishOutcome {"appid","status","failIdx"?}: the
// sandbox's switch to make the account's next publishing jobs fail (2, 3) or be rejected (4); 0 publishes.
func (e *Emulator) handleSimulatorPublishOutcome(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID string `json:"appid"`
		PublishOutcome
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	switch req.Status {
	case PublishOK, PublishOriginalFail, PublishFailed, PublishRejected:
	default:
		writeJSON(w, wxErr(codeInvalidArgs, "status must be 0, 2, 3 or 4"))
		return
	}
	if !e.known(req.AppID) {
		writeJSON(w, wxErr(codeInvalidAppID))
		return
	}
	e.SetPublishOutcome(req.AppID, req.PublishOutcome)
	writeJSON(w, okResp)
}

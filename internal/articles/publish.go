package articles

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// EventPublishFinished is the event WeChat pushes when a publishing job ends.
const EventPublishFinished = "PUBLISHJOBFINISH"

// PollWindow is how long a publishing job is polled for before the console stops asking (the event may
// still come).
const PollWindow = 30 * time.Minute

// Publish submits a draft for publishing (freepublish/submit) and records the job. A draft is submitted
// once at a time, across processes: a second publish while the first runs is ErrPublishing. WeChat's
// refusals (48001 for unverified accounts, 53503–53505 for drafts) come back as its errors, explained.
func (s *Service) Publish(ctx context.Context, acct *accounts.Account, userID int64, mediaID string) (*Publish, error) {
	mediaID = strings.TrimSpace(mediaID)
	if mediaID == "" {
		return nil, apperr.Missing("mediaId")
	}
	d, err := s.store.draft(ctx, acct.ID, mediaID)
	if err != nil {
		return nil, err
	}
	if d.State == "published" {
		return nil, ErrAlreadyOut
	}
	draft, err := d.draft()
	if err != nil {
		return nil, err
	}
	title := ""
	if len(draft.Articles) > 0 {
		title = draft.Articles[0].Title
	}
	now := time.Now().UTC()
	row := &publishRow{AccountID: acct.ID, AppID: acct.AppID, DraftID: nullID(d.ID), MediaID: mediaID, Status: StatusSubmitting, Title: title,
		CreatedBy: nullID(userID), CreatedAt: now, UpdatedAt: now, URLs: []byte("[]"), FailIdx: []byte("[]")}
	if err := s.store.claimSubmit(ctx, row); err != nil {
		return nil, err
	}
	sub, err := s.wx.SubmitPublish(ctx, acct.AppID, mediaID)
	// From here on the outcome is recorded whatever happens to the operator's request.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err != nil {
		if wxclient.Code(err) == 0 && !isCheckFailure(err) {
			// No answer from WeChat (a timeout, a cut connection, the operator gone): it may have accepted
			// the draft. The claim stays, so that nobody submits it again before it goes stale (2 minutes),
			// rather than publishing the articles twice.
			s.log.WarnContext(ctx, "publish outcome unknown: WeChat did not answer freepublish/submit", "appid", acct.AppID,
				"media_id", mediaID, "err", err)
			return nil, fmt.Errorf("publish draft: %w", err)
		}
		if derr := s.store.dropPublish(sctx, row.ID); derr != nil {
			s.log.ErrorContext(ctx, "publish refused by WeChat, and its claim not released", "appid", acct.AppID, "err", derr)
		}
		return nil, fmt.Errorf("publish draft: %w", err)
	}
	err = s.store.db.WithContext(sctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&publishRow{}).Where("id = ?", row.ID).Updates(map[string]any{
			"publish_id": sub.PublishID, "status": StatusPublishing, "updated_at": time.Now().UTC()}).Error; err != nil {
			return fmt.Errorf("record publish: %w", err)
		}
		if err := recordPublish(ctx, tx, acct.ID, mediaID, sub.PublishID, title); err != nil {
			return err
		}
		if s.poller != nil {
			return s.poller.EnqueuePoll(sctx, tx, row.ID)
		}
		return nil
	})
	if err != nil {
		s.log.ErrorContext(ctx, "draft submitted at WeChat but not recorded", "appid", acct.AppID, "media_id", mediaID,
			"publish_id", sub.PublishID, "err", err)
		return nil, err
	}
	s.log.InfoContext(ctx, "draft submitted for publishing", "appid", acct.AppID, "media_id", mediaID, "publish_id", sub.PublishID)
	row.PublishID.String, row.PublishID.Valid, row.Status = sub.PublishID, true, StatusPublishing
	return row.publish(), nil
}

// refreshAfter is how old the last look at WeChat may be before a read of a running job asks again.
const refreshAfter = 3 * time.Second

// GetPublish answers a publishing job. A job still running whose last look at WeChat is older than a
// few seconds is looked up at WeChat first (best effort: the stored state is answered if WeChat fails).
func (s *Service) GetPublish(ctx context.Context, acct *accounts.Account, publishID string) (*Publish, error) {
	publishID = strings.TrimSpace(publishID)
	if publishID == "" {
		return nil, apperr.Missing("publishId")
	}
	r, err := s.store.publishByWxID(ctx, acct.ID, publishID)
	if errors.Is(err, ErrPublishNotFound) {
		return s.remotePublish(ctx, acct, publishID)
	}
	if err != nil {
		return nil, err
	}
	if r.Status == StatusPublishing && (!r.CheckedAt.Valid || time.Since(r.CheckedAt.Time) > refreshAfter) &&
		time.Since(r.CreatedAt) < PollWindow {
		if _, err := s.poll(ctx, r); err != nil {
			s.log.WarnContext(ctx, "publish status not refreshed", "appid", acct.AppID, "publish_id", publishID, "err", err)
		} else if r, err = s.store.publishByID(ctx, r.ID); err != nil {
			return nil, err
		}
	}
	return r.publish(), nil
}

// remotePublish answers a job the console did not submit (made in WeChat's admin, or by another system)
// as WeChat reports it, without keeping it; a publish_id WeChat does not know either is ErrPublishNotFound.
func (s *Service) remotePublish(ctx context.Context, acct *accounts.Account, publishID string) (*Publish, error) {
	st, err := s.wx.GetPublish(ctx, acct.AppID, publishID)
	if err != nil {
		if wxclient.Code(err) != 0 {
			return nil, ErrPublishNotFound
		}
		return nil, fmt.Errorf("publish status: %w", err)
	}
	p := &Publish{PublishID: publishID, Status: statusOf(st.PublishStatus), ArticleID: st.ArticleID,
		Articles: []PublishedURL{}, FailIdx: st.FailIdx}
	wx := st.PublishStatus
	p.WxStatus = &wx
	for _, it := range st.ArticleDetail.Item {
		p.Articles = append(p.Articles, PublishedURL{Idx: it.Idx, URL: it.ArticleURL})
	}
	return p, nil
}

// isCheckFailure reports an error of the console's own checks (a field, a missing id): nothing reached WeChat.
func isCheckFailure(err error) bool {
	k := apperr.KindOf(err)
	return k == apperr.Invalid || k == apperr.NotFound
}

// poll asks WeChat for a running job's outcome and records it; done reports that the job has ended.
func (s *Service) poll(ctx context.Context, r *publishRow) (done bool, err error) {
	st, err := s.wx.GetPublish(ctx, r.AppID, r.PublishID.String)
	if err != nil {
		return false, fmt.Errorf("publish status: %w", err)
	}
	if st.PublishStatus == 1 {
		return false, s.store.touchChecked(ctx, r.ID)
	}
	urls := make([]PublishedURL, 0, len(st.ArticleDetail.Item))
	for _, it := range st.ArticleDetail.Item {
		urls = append(urls, PublishedURL{Idx: it.Idx, URL: it.ArticleURL})
	}
	changed, err := s.store.settle(ctx, r.ID, statusOf(st.PublishStatus), st.PublishStatus, st.ArticleID, urls, st.FailIdx, "poll")
	if err != nil {
		return false, err
	}
	if changed {
		s.log.InfoContext(ctx, "publishing ended", "appid", r.AppID, "publish_id", r.PublishID.String, "status", statusOf(st.PublishStatus), "by", "poll")
	}
	return true, nil
}

// PollOnce looks up one recorded job at WeChat, for the background watch: done when the job has ended
// or left the poll window (or is gone), with the time it has been running.
func (s *Service) PollOnce(ctx context.Context, publishRowID int64) (done bool, age time.Duration, err error) {
	r, err := s.store.publishByID(ctx, publishRowID)
	if errors.Is(err, ErrPublishNotFound) {
		return true, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	age = time.Since(r.CreatedAt)
	if r.Status != StatusPublishing {
		return true, age, nil
	}
	if age > PollWindow {
		s.log.WarnContext(ctx, "publishing job still running after the poll window; waiting for WeChat's event only",
			"account_id", r.AccountID, "publish_id", r.PublishID.String)
		return true, age, nil
	}
	done, err = s.poll(ctx, r)
	return done, age, err
}

// OnEvent takes WeChat's PUBLISHJOBFINISH for an account (the callback calls it once per stored event)
// and records the job's outcome. Other events, and jobs the console did not submit, are ignored.
func (s *Service) OnEvent(ctx context.Context, accountID int64, msg *wxcrypto.Message) {
	if msg == nil || !strings.EqualFold(msg.Event, EventPublishFinished) || msg.PublishEventInfo == nil {
		return
	}
	info := msg.PublishEventInfo
	r, err := s.store.publishByWxID(ctx, accountID, info.PublishID)
	if err != nil {
		if !errors.Is(err, ErrPublishNotFound) {
			s.log.WarnContext(ctx, "PUBLISHJOBFINISH not recorded", "account_id", accountID, "publish_id", info.PublishID, "err", err)
		}
		return
	}
	urls := make([]PublishedURL, 0, len(info.Items))
	for _, it := range info.Items {
		urls = append(urls, PublishedURL{Idx: it.Idx, URL: it.ArticleURL})
	}
	status := statusOf(info.PublishStatus)
	changed, err := s.store.settle(ctx, r.ID, status, info.PublishStatus, info.ArticleID, urls, info.FailIdx, "event")
	if err != nil {
		s.log.WarnContext(ctx, "PUBLISHJOBFINISH not recorded", "account_id", accountID, "publish_id", info.PublishID, "err", err)
		return
	}
	if changed {
		s.log.InfoContext(ctx, "publishing ended", "account_id", accountID, "publish_id", info.PublishID, "status", status, "by", "event")
	}
}

// PublishedArticle is one article of a published group, as WeChat lists it.
type PublishedArticle struct {
	Idx          int    `json:"idx"`
	Title        string `json:"title"`
	Author       string `json:"author"`
	Digest       string `json:"digest"`
	URL          string `json:"url"`
	ThumbMediaID string `json:"thumbMediaId"`
	ThumbURL     string `json:"thumbUrl"`
	IsDeleted    bool   `json:"isDeleted"`
}

// PublishedGroup is one published group (article_id), joined with the console's job when it made it.
type PublishedGroup struct {
	ArticleID  string             `json:"articleId"`
	UpdateTime int64              `json:"updateTime"`
	Articles   []PublishedArticle `json:"articles"`
	PublishID  string             `json:"publishId,omitempty"`
	Status     string             `json:"status,omitempty"`
}

// ListPublished answers a page of the account's published articles as WeChat lists them
// (freepublish/batchget), newest first.
func (s *Service) ListPublished(ctx context.Context, acct *accounts.Account, offset, count int) ([]PublishedGroup, int, error) {
	list, err := s.wx.BatchGetPublished(ctx, acct.AppID, offset, count, true)
	if err != nil {
		return nil, 0, fmt.Errorf("list published: %w", err)
	}
	ids := make([]string, 0, len(list.Item))
	for _, it := range list.Item {
		ids = append(ids, it.ArticleID)
	}
	local, err := s.store.publishesByArticle(ctx, acct.ID, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]PublishedGroup, 0, len(list.Item))
	for _, it := range list.Item {
		g := PublishedGroup{ArticleID: it.ArticleID, UpdateTime: it.UpdateTime, Articles: []PublishedArticle{}}
		for i, n := range it.Content.NewsItem {
			g.Articles = append(g.Articles, PublishedArticle{Idx: i + 1, Title: n.Title, Author: n.Author, Digest: n.Digest,
				URL: n.URL, ThumbMediaID: n.ThumbMediaID, ThumbURL: n.ThumbURL, IsDeleted: n.IsDeleted})
		}
		if p := local[it.ArticleID]; p != nil {
			g.PublishID, g.Status = p.PublishID.String, p.Status
		}
		out = append(out, g)
	}
	return out, list.TotalCount, nil
}

// ListJobs answers a page of the console's publishing jobs, newest first.
func (s *Service) ListJobs(ctx context.Context, acct *accounts.Account, offset, count int) ([]Publish, int64, error) {
	rows, total, err := s.store.listPublishes(ctx, acct.ID, offset, count)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Publish, 0, len(rows))
	for i := range rows {
		out = append(out, *rows[i].publish())
	}
	return out, total, nil
}

// DeletePublished deletes published articles (freepublish/delete): index 0 the whole group, 1..n one
// article. WeChat's 53600 (unknown article_id) comes back as its error.
func (s *Service) DeletePublished(ctx context.Context, acct *accounts.Account, articleID string, index int) error {
	articleID = strings.TrimSpace(articleID)
	if articleID == "" {
		return apperr.Missing("articleId")
	}
	if index < 0 || index > MaxArticles {
		return apperr.Invalidf("index", "must be 0 (every article) or 1 to %d", MaxArticles).WithKey("articles.err.delete_index", "index", MaxArticles)
	}
	if err := s.wx.DeletePublished(ctx, acct.AppID, articleID, index); err != nil {
		if wxclient.Code(err) == wxclient.CodeInvalidArticleID {
			// Not wrapped: the edge would answer WeChat's error (50200) rather than 40400.
			return apperr.New(apperr.NotFound, "published article not found: WeChat does not know this articleId (or index)").WithKey("articles.err.published_not_found")
		}
		return fmt.Errorf("delete published: %w", err)
	}
	if err := s.store.db.WithContext(context.WithoutCancel(ctx)).Transaction(func(tx *gorm.DB) error {
		if index == 0 {
			if err := (&store{db: tx}).markDeleted(ctx, acct.ID, articleID); err != nil {
				return err
			}
		}
		return recordDeletePublished(ctx, tx, acct.ID, articleID, index)
	}); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "published article deleted", "appid", acct.AppID, "article_id", articleID, "index", index)
	return nil
}

package qrcode

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// TagArgs is the River job that puts one of a code's tags on the follower who scanned it (or followed
// through it): tags/members/batchtagging for that follower. One job per tag and stored scan: its
// arguments name the scan (the event's sender, CreateTime and Event, WeChat's own identity of an event),
// so the job is unique however often WeChat retries the callback and whichever process stores it. It is
// retried with River's backoff until WeChat accepts it, except for answers that no retry can change.
type TagArgs struct {
	AccountID  int64  `json:"account_id" river:"unique"`
	AppID      string `json:"appid"`
	OpenID     string `json:"openid" river:"unique"`
	CreateTime int64  `json:"create_time" river:"unique"`
	Event      string `json:"event" river:"unique"`
	TagID      int    `json:"tag_id" river:"unique"`
	CodeID     int64  `json:"code_id"`
}

// Kind names the job; stable, as queued jobs carry it.
func (TagArgs) Kind() string { return "qrcode_tag_follower" }

// InsertOpts: unique per scan and tag (also once completed, for as long as River keeps completed jobs, a
// day by default: far beyond WeChat's retries); up to 25 attempts with River's backoff (days in all).
func (TagArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type tagWorker struct {
	river.WorkerDefaults[TagArgs]
	s *Service
}

// permanentTagErrors are WeChat's answers to batchtagging that no retry changes: the tag is gone (45159),
// the openid is not the account's (40003), the follower already carries 20 tags (45059), the account may
// not tag (48001).
var permanentTagErrors = map[int]bool{40003: true, 45059: true, 45159: true, 48001: true}

// Work tags the follower.
func (w *tagWorker) Work(ctx context.Context, job *river.Job[TagArgs]) error {
	a := job.Args
	err := w.s.wx.BatchTagging(ctx, a.AppID, a.TagID, []string{a.OpenID})
	if err == nil {
		w.s.log.InfoContext(ctx, "QR code tagged a follower", "appid", a.AppID, "code_id", a.CodeID, "tag_id", a.TagID)
		if w.s.mirror != nil {
			if merr := w.s.mirror.Tagged(ctx, a.AccountID, a.OpenID, a.TagID); merr != nil {
				w.s.log.WarnContext(ctx, "QR code tagging: follower mirror not updated", "code_id", a.CodeID, "err", merr)
			}
		}
		return nil
	}
	var wx apperr.WeChatError
	if errors.As(err, &wx) && permanentTagErrors[wx.WeChatCode()] {
		w.s.log.WarnContext(ctx, "QR code tagging refused by WeChat; not retried", "appid", a.AppID,
			"code_id", a.CodeID, "tag_id", a.TagID, "wx_errcode", wx.WeChatCode())
		return river.JobCancel(err)
	}
	return fmt.Errorf("tag follower for QR code %d: %w", a.CodeID, err)
}

// Timeout bounds one attempt: one WeChat call.
func (w *tagWorker) Timeout(*river.Job[TagArgs]) time.Duration { return 30 * time.Second }

// Mirror is told of each tag a code put on a follower; *followers.Service implements it, so the
// followers' mirror shows the tag before the next sync.
type Mirror interface {
	Tagged(ctx context.Context, accountID int64, openid string, tagID int) error
}

// SetMirror sets the followers' mirror told of taggings (optional).
func (s *Service) SetMirror(m Mirror) { s.mirror = m }

// RegisterJobs registers the tagging job on q (before q starts); from then on scans of codes with tags
// enqueue it.
func (s *Service) RegisterJobs(q *jobs.Queue) error {
	if err := jobs.Register(q, &tagWorker{s: s}); err != nil {
		return err
	}
	s.jobs = q
	return nil
}

// OnEvent implements the callback's EventObserver: the callback calls it once for each stored subscribe,
// unsubscribe and SCAN event, by the process that stored it, after the answer. A scan of a code with tags,
// or a follow through it, enqueues one tagging job per tag.
func (s *Service) OnEvent(ctx context.Context, accountID int64, msg *wxcrypto.Message) {
	act := s.lookup(accountID, msg)
	if act == nil || len(act.tagIDs) == 0 || msg.FromUserName == "" {
		return
	}
	if s.jobs == nil {
		s.log.WarnContext(ctx, "QR code scanned but no job queue: follower not tagged", "code_id", act.id)
		return
	}
	for _, tag := range act.tagIDs {
		args := TagArgs{AccountID: accountID, AppID: act.appid, OpenID: msg.FromUserName, CreateTime: msg.CreateTime,
			Event: msg.Event, TagID: tag, CodeID: act.id}
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			if _, err = s.jobs.Enqueue(ctx, args, nil); err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
		}
		if err != nil {
			s.log.ErrorContext(ctx, "QR code tagging not queued", "code_id", act.id, "tag_id", tag, "err", err)
		}
	}
}

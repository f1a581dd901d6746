// Package autoreply sends the replies a keyword rule in "all" mode answers after its passive reply
// (contract §20): the callback hands them over once the follower's message is stored for the first time,
// and a River job sends them in order as customer-service messages through the conversations capability
// (so the follower's window is counted and each message is stored as `out`).
//
// Exactly once: the callback is told only when it stores the message (a WeChat retry is not stored again);
// the job is unique by account and message; and each reply is sent with a client id made from the message
// and its position, which conversations.Send never sends twice — so a job run again after a crash sends
// only what it had not sent.
package autoreply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/conversations"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// Args is one stored message's follow-up replies. Unique by account and message.
type Args struct {
	AccountID int64         `json:"accountId" river:"unique"`
	MsgKey    string        `json:"msgKey" river:"unique"`
	OpenID    string        `json:"openid"`
	RuleID    int64         `json:"ruleId"`
	Replies   []ReplyToSend `json:"replies"`
}

// ReplyToSend is one reply in sendMessage's words: its type and reply object.
type ReplyToSend struct {
	Type  string          `json:"type"`
	Reply json.RawMessage `json:"reply"`
}

// Kind names the job.
func (Args) Kind() string { return "rule_follow_ups" }

// InsertOpts: unique by account and message (River keeps finished jobs a day, far longer than WeChat
// retries); a failure to reach Postgres or WeChat is retried a few times, the client ids keeping the
// replies already sent from being sent again.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Sender sends one customer-service message; *conversations.Service implements it.
type Sender interface {
	Send(ctx context.Context, acct *accounts.Account, op conversations.Operator, in conversations.SendInput) (*conversations.Item, error)
}

// Accounts finds an account by AppID; *accounts.Service implements it.
type Accounts interface {
	ByAppID(ctx context.Context, appid string) (*accounts.Account, error)
}

// Service enqueues and sends rule follow-ups. It implements callback.FollowUpHook.
type Service struct {
	jobs     jobs.Enqueuer
	accounts Accounts
	db       *gorm.DB
	sender   Sender
	log      *slog.Logger
}

// Options wire the service; all are required but Logger.
type Options struct {
	Jobs     jobs.Enqueuer
	Accounts Accounts
	DB       *gorm.DB
	Sender   Sender
	Logger   *slog.Logger
}

// New builds the service.
func New(opts Options) (*Service, error) {
	if opts.Jobs == nil || opts.Accounts == nil || opts.DB == nil || opts.Sender == nil {
		return nil, errors.New("autoreply: Jobs, Accounts, DB and Sender are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{jobs: opts.Jobs, accounts: opts.Accounts, db: opts.DB, sender: opts.Sender,
		log: opts.Logger.With("component", "autoreply")}, nil
}

// RegisterJobs registers the worker.
func (s *Service) RegisterJobs(q *jobs.Queue) error {
	return jobs.Register(q, &worker{svc: s})
}

// MsgKey identifies a message as WeChat deduplicates it: its MsgId, else sender, time and event.
func MsgKey(m *wxcrypto.Message) string {
	if m.MsgType != "event" && m.MsgID != 0 {
		return "m" + strconv.FormatInt(m.MsgID, 10)
	}
	return "e" + m.FromUserName + "/" + strconv.FormatInt(m.CreateTime, 10) + "/" + m.Event
}

// FollowUp enqueues the job of one stored message (callback.FollowUpHook).
func (s *Service) FollowUp(ctx context.Context, accountID int64, msg *wxcrypto.Message, ruleID int64, replies []reply.Reply) error {
	if len(replies) == 0 || msg == nil || msg.FromUserName == "" {
		return nil
	}
	args := Args{AccountID: accountID, MsgKey: MsgKey(msg), OpenID: msg.FromUserName, RuleID: ruleID}
	for _, rp := range replies {
		body, err := json.Marshal(reply.APIReply(rp.Type, rp.Content))
		if err != nil {
			return fmt.Errorf("autoreply: encode reply: %w", err)
		}
		args.Replies = append(args.Replies, ReplyToSend{Type: string(rp.Type), Reply: body})
	}
	if _, err := s.jobs.Enqueue(ctx, args, nil); err != nil {
		return fmt.Errorf("autoreply: enqueue: %w", err)
	}
	return nil
}

// clientID is the idempotency key of the i-th follow-up of a message (at most 64 characters).
func clientID(accountID int64, msgKey string, i int) string {
	sum := sha256.Sum256([]byte(strconv.FormatInt(accountID, 10) + "/" + msgKey))
	return "rule-" + hex.EncodeToString(sum[:16]) + "-" + strconv.Itoa(i)
}

type worker struct {
	river.WorkerDefaults[Args]
	svc *Service
}

// Work sends the replies in order. A closed window (40301), a follower unknown or a reply WeChat refused
// ends the job: sending again would not help, and each refusal is stored on the message.
func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	a := job.Args
	var appids []string
	if err := w.svc.db.WithContext(ctx).Raw(`SELECT appid FROM wx_accounts WHERE id = ?`, a.AccountID).
		Scan(&appids).Error; err != nil {
		return fmt.Errorf("autoreply: account: %w", err)
	}
	if len(appids) == 0 {
		return river.JobCancel(fmt.Errorf("autoreply: account %d is gone", a.AccountID))
	}
	acct, err := w.svc.accounts.ByAppID(ctx, appids[0])
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return river.JobCancel(err)
		}
		return err
	}
	for i, rp := range a.Replies {
		_, err := w.svc.sender.Send(ctx, acct, conversations.Operator{}, conversations.SendInput{
			OpenID: a.OpenID, Type: rp.Type, Reply: rp.Reply, ClientID: clientID(a.AccountID, a.MsgKey, i)})
		if err == nil {
			continue
		}
		switch apperr.KindOf(err) {
		case apperr.WindowClosed, apperr.NotFound, apperr.Invalid, apperr.Upstream, apperr.Forbidden:
			w.svc.log.Warn("rule follow-up not sent", "account_id", a.AccountID, "rule_id", a.RuleID,
				"position", i+1, "err", err)
			return river.JobCancel(err)
		}
		return err
	}
	return nil
}

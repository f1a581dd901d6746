package component

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// The work a push starts runs as River jobs in Postgres: it survives a restart, and when WeChat does not
// answer (api_query_auth during an outage) the job is retried until it does. The codes in the jobs' rows
// are sealed with SECRET_KEY.

// AuthorizedArgs completes an authorization pushed by WeChat (authorized / updateauthorized).
type AuthorizedArgs struct {
	AppID       string `json:"appid"`
	CodeSealed  string `json:"code_sealed"`
	PreAuthHash string `json:"pre_auth_hash,omitempty"`
}

// Kind names the job.
func (AuthorizedArgs) Kind() string { return "component_authorized" }

// InsertOpts: a few attempts over about an hour, the auth_code's lifetime.
func (AuthorizedArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 8} }

// ReleaseTestArgs answers QUERY_AUTH_CODE of WeChat's full-network release test.
type ReleaseTestArgs struct {
	CodeSealed string `json:"code_sealed"`
	OpenID     string `json:"openid"`
}

// Kind names the job.
func (ReleaseTestArgs) Kind() string { return "component_release_test" }

// InsertOpts: the test waits seconds, not hours.
func (ReleaseTestArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type authorizedWorker struct {
	river.WorkerDefaults[AuthorizedArgs]
	s *Service
}

func (w *authorizedWorker) Timeout(*river.Job[AuthorizedArgs]) time.Duration {
	return w.s.opts.WorkTimeout
}

func (w *authorizedWorker) Work(ctx context.Context, job *river.Job[AuthorizedArgs]) error {
	code, err := w.s.opts.Box.Open(job.Args.CodeSealed)
	if err != nil {
		return river.JobCancel(fmt.Errorf("open the auth_code: %w", err))
	}
	return w.s.completePush(ctx, job.Args.AppID, code, job.Args.PreAuthHash)
}

type releaseWorker struct {
	river.WorkerDefaults[ReleaseTestArgs]
	s *Service
}

func (w *releaseWorker) Timeout(*river.Job[ReleaseTestArgs]) time.Duration {
	return w.s.opts.WorkTimeout
}

func (w *releaseWorker) Work(ctx context.Context, job *river.Job[ReleaseTestArgs]) error {
	code, err := w.s.opts.Box.Open(job.Args.CodeSealed)
	if err != nil {
		return river.JobCancel(fmt.Errorf("open the auth_code: %w", err))
	}
	return w.s.answerRelease(ctx, code, job.Args.OpenID)
}

// registerJobs adds the workers to the queue (before it starts).
func (s *Service) registerJobs(q *jobs.Queue) error {
	if err := jobs.Register(q, &authorizedWorker{s: s}); err != nil {
		return err
	}
	return jobs.Register(q, &releaseWorker{s: s})
}

// completePush binds the account a push authorized, for the operator its pre_auth_code was handed to
// (or updates an account already bound). Failures that retrying cannot fix end the job.
func (s *Service) completePush(ctx context.Context, appid, code, preAuthHash string) error {
	uid, err := s.preAuthOwnerByHash(ctx, preAuthHash)
	if err != nil {
		return err
	}
	_, err = s.complete(ctx, uid, code)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		s.log.InfoContext(ctx, "authorized push for an account no operator asked for; it binds when an operator authorizes it from the console", "appid", appid)
		return nil
	case errors.Is(err, accounts.ErrAlreadyBound):
		s.log.WarnContext(ctx, "authorized push for an account another operator owns; nothing changed", "appid", appid)
		return nil
	case err != nil && !isWeChatDown(err):
		s.log.WarnContext(ctx, "authorized push could not be completed", "appid", appid, "err", err)
		return river.JobCancel(err)
	}
	return err
}

package component

import (
	"context"
	"fmt"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// AnswerQueryAuthCode plays the console's part of WeChat's full-network release test after the message
// URL answered QUERY_AUTH_CODE:$code with an empty body: api_query_auth with the code, then the
// customer-service text "$code_from_api" to the test user with the authorizer token it gave. It runs in
// the background (callback.ReleaseTester); nothing is bound.
func (s *Service) AnswerQueryAuthCode(ctx context.Context, authCode, openid string) {
	if s.opts.Jobs != nil {
		sealed, err := s.opts.Box.Seal(authCode)
		if err == nil {
			_, err = s.opts.Jobs.Enqueue(ctx, ReleaseTestArgs{CodeSealed: sealed, OpenID: openid}, nil)
		}
		if err == nil {
			return
		}
		s.log.WarnContext(ctx, "release test: enqueue the answer; answering in this process", "err", err)
	}
	s.goWork("release-test", func(ctx context.Context) {
		if err := s.answerRelease(ctx, authCode, openid); err != nil {
			s.log.WarnContext(ctx, "release test answer failed", "err", err)
		}
	})
}

// answerRelease exchanges the code and sends the customer-service text with the authorizer token.
func (s *Service) answerRelease(ctx context.Context, authCode, openid string) error {
	var info wxclient.AuthorizationInfo
	err := s.withToken(ctx, func(tok string) error {
		var err error
		info, err = s.opts.WeChat.QueryAuth(ctx, tok, s.AppID(), authCode)
		return err
	})
	if err != nil {
		return fmt.Errorf("release test: api_query_auth: %w", err)
	}
	if err := s.opts.WeChat.CustomTextWithToken(ctx, info.AuthorizerAccessToken, openid, authCode+"_from_api"); err != nil {
		return fmt.Errorf("release test: customer-service message to %s: %w", info.AuthorizerAppID, err)
	}
	return nil
}

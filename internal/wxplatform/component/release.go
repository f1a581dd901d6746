package component

import (
	"context"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// AnswerQueryAuthCode plays the console's part of WeChat's full-network release test after the message
// URL answered QUERY_AUTH_CODE:$code with an empty body: api_query_auth with the code, then the
// customer-service text "$code_from_api" to the test user with the authorizer token it gave. It runs in
// the background (callback.ReleaseTester); nothing is bound.
func (s *Service) AnswerQueryAuthCode(_ context.Context, authCode, openid string) {
	s.goWork("release-test", func(ctx context.Context) {
		var info wxclient.AuthorizationInfo
		err := s.withToken(ctx, func(tok string) error {
			var err error
			info, err = s.opts.WeChat.QueryAuth(ctx, tok, s.AppID(), authCode)
			return err
		})
		if err != nil {
			s.log.Warn("release test: api_query_auth failed", "err", err)
			return
		}
		if err := s.opts.WeChat.CustomTextWithToken(ctx, info.AuthorizerAccessToken, openid, authCode+"_from_api"); err != nil {
			s.log.Warn("release test: customer-service message failed", "appid", info.AuthorizerAppID, "err", err)
		}
	})
}

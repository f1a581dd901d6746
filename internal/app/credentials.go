package app

import (
	"context"
	"errors"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// accountSecrets is the WeChat client's CredentialSource: the AppSecrets of bound accounts. The accounts
// service takes the client as its CredentialChecker, so the two are wired in two steps (see build):
// the source is made first and told the accounts service once both exist. It lives here, where every
// concrete type is known, so that wxclient does not import accounts.
type accountSecrets struct {
	accounts *accounts.Service
}

// Credentials answers the AppSecret of a bound account.
func (s *accountSecrets) Credentials(ctx context.Context, appid string) (string, error) {
	if s.accounts == nil {
		return "", apperr.Wrap(apperr.Internal, wxclient.ErrNotConfigured.Msg, errors.New("app: accountSecrets used before the accounts service was built"))
	}
	a, err := s.accounts.ByAppID(ctx, appid)
	if err != nil {
		return "", err
	}
	return a.Secret, nil
}

// Compile-time checks: the client is what the accounts service needs, and the secrets what the client
// needs.
var (
	_ accounts.CredentialChecker = (*wxclient.Client)(nil)
	_ accounts.HealthReader      = (*wxclient.Client)(nil)
	_ accounts.Forgetter         = (*wxclient.Client)(nil)
	_ wxclient.CredentialSource  = (*accountSecrets)(nil)
)

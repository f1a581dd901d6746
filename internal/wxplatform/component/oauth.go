package component

import (
	"context"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WebAuth is WeChat's web OAuth for every account whichever way it was bound: accounts bound by
// AppSecret go through wx as before; accounts bound through the component use WeChat's component
// variants (component_appid on the authorize link, sns/oauth2/component/access_token and
// refresh_token with the component_access_token). It implements webauth.WeChat.
type WebAuth struct {
	*wxclient.Client // sns/auth and sns/userinfo take the follower's own token, whatever the mode
	wx               *wxclient.Client
	s                *Service
}

// WebAuth answers the web-OAuth client for webauth.
func (s *Service) WebAuth() *WebAuth { return &WebAuth{Client: s.opts.WeChat, wx: s.opts.WeChat, s: s} }

func (w *WebAuth) isComponent(ctx context.Context, appid string) bool {
	ok, err := w.s.opts.Accounts.IsComponent(ctx, appid)
	return err == nil && ok
}

// AuthorizeURL answers the authorize link; a component account's carries component_appid.
func (w *WebAuth) AuthorizeURL(appid, redirectURI, scope, state string) (string, error) {
	if w.isComponent(context.Background(), appid) {
		return w.wx.ComponentAuthorizeURL(appid, redirectURI, scope, state, w.s.AppID())
	}
	return w.wx.AuthorizeURL(appid, redirectURI, scope, state)
}

// OAuthAccessToken exchanges the code.
func (w *WebAuth) OAuthAccessToken(ctx context.Context, appid, code string) (wxclient.OAuthToken, error) {
	if w.isComponent(ctx, appid) {
		return w.s.OAuthAccessToken(ctx, appid, code)
	}
	return w.wx.OAuthAccessToken(ctx, appid, code)
}

// OAuthRefreshToken refreshes a follower's OAuth token.
func (w *WebAuth) OAuthRefreshToken(ctx context.Context, appid, refreshToken string) (wxclient.OAuthToken, error) {
	if !w.isComponent(ctx, appid) {
		return w.wx.OAuthRefreshToken(ctx, appid, refreshToken)
	}
	var out wxclient.OAuthToken
	err := w.s.withToken(ctx, func(tok string) error {
		var err error
		out, err = w.wx.ComponentOAuthRefreshToken(ctx, appid, refreshToken, w.s.AppID(), tok)
		return err
	})
	return out, err
}

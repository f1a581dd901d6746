package wxclient

import (
	"context"
	"fmt"
	"net/url"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

const (
	pathOAuthToken   = "/sns/oauth2/access_token"
	pathOAuthRefresh = "/sns/oauth2/refresh_token"
	pathOAuthCheck   = "/sns/auth"
	pathOAuthUser    = "/sns/userinfo"
)

// OAuthToken is the answer of sns/oauth2/access_token and sns/oauth2/refresh_token: a user's web
// authorization, not the account's base access_token.
type OAuthToken struct {
	AccessToken    string `json:"access_token"`
	ExpiresIn      int    `json:"expires_in"`
	RefreshToken   string `json:"refresh_token"` // valid 30 days
	OpenID         string `json:"openid"`
	Scope          string `json:"scope"`
	IsSnapshotUser int    `json:"is_snapshotuser,omitempty"` // 1: a "snapshot page" visit with a virtual identity
	UnionID        string `json:"unionid,omitempty"`
}

// SNSUserInfo is the answer of sns/userinfo (scope snsapi_userinfo).
type SNSUserInfo struct {
	OpenID     string   `json:"openid"`
	Nickname   string   `json:"nickname"`
	Sex        int      `json:"sex"`
	Province   string   `json:"province"`
	City       string   `json:"city"`
	Country    string   `json:"country"`
	HeadImgURL string   `json:"headimgurl"`
	Privilege  []string `json:"privilege"`
	UnionID    string   `json:"unionid,omitempty"`
}

// OAuthAccessToken calls GET sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code,
// exchanging the code WeChat's redirect carried. The AppSecret comes from the CredentialSource.
func (c *Client) OAuthAccessToken(ctx context.Context, appid, code string) (OAuthToken, error) {
	if err := checkAppID(appid); err != nil {
		return OAuthToken{}, err
	}
	if code == "" {
		return OAuthToken{}, apperr.Missing("code")
	}
	secret, err := c.opts.Credentials.Credentials(ctx, appid)
	if err != nil {
		return OAuthToken{}, fmt.Errorf("credentials of %s: %w", appid, err)
	}
	q := url.Values{"appid": {appid}, "secret": {secret}, "code": {code}, "grant_type": {"authorization_code"}}
	var out OAuthToken
	if err := c.do(ctx, appid, request{method: "GET", path: pathOAuthToken, query: q}, &out); err != nil {
		return OAuthToken{}, err
	}
	return out, checkOAuthToken(pathOAuthToken, &out)
}

// OAuthRefreshToken calls GET sns/oauth2/refresh_token?appid=&grant_type=refresh_token&refresh_token=.
func (c *Client) OAuthRefreshToken(ctx context.Context, appid, refreshToken string) (OAuthToken, error) {
	if err := checkAppID(appid); err != nil {
		return OAuthToken{}, err
	}
	if refreshToken == "" {
		return OAuthToken{}, apperr.Missing("refresh_token")
	}
	q := url.Values{"appid": {appid}, "grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	var out OAuthToken
	if err := c.do(ctx, appid, request{method: "GET", path: pathOAuthRefresh, query: q}, &out); err != nil {
		return OAuthToken{}, err
	}
	return out, checkOAuthToken(pathOAuthRefresh, &out)
}

// OAuthCheck calls GET sns/auth?access_token=&openid=: nil while the user's OAuth access_token is valid.
func (c *Client) OAuthCheck(ctx context.Context, appid, accessToken, openid string) error {
	if accessToken == "" {
		return apperr.Missing("access_token")
	}
	if openid == "" {
		return apperr.Missing("openid")
	}
	q := url.Values{"access_token": {accessToken}, "openid": {openid}}
	return c.do(ctx, appid, request{method: "GET", path: pathOAuthCheck, query: q}, nil)
}

// SNSUserInfo calls GET sns/userinfo?access_token=&openid=&lang= with a user's OAuth access_token
// (scope snsapi_userinfo; 48001 otherwise).
func (c *Client) SNSUserInfo(ctx context.Context, appid, accessToken, openid, lang string) (SNSUserInfo, error) {
	if accessToken == "" {
		return SNSUserInfo{}, apperr.Missing("access_token")
	}
	if openid == "" {
		return SNSUserInfo{}, apperr.Missing("openid")
	}
	lang, err := checkLang(lang)
	if err != nil {
		return SNSUserInfo{}, err
	}
	q := url.Values{"access_token": {accessToken}, "openid": {openid}, "lang": {lang}}
	var out SNSUserInfo
	err = c.do(ctx, appid, request{method: "GET", path: pathOAuthUser, query: q}, &out)
	return out, err
}

func checkOAuthToken(path string, t *OAuthToken) error {
	if t.AccessToken == "" || t.OpenID == "" {
		return apperr.Wrap(apperr.Upstream, ErrBadAnswer.Msg, fmt.Errorf("wechat %s: no access_token or openid in the answer", path)).WithKey("err.wechat.bad_answer")
	}
	if t.ExpiresIn <= 0 {
		t.ExpiresIn = defaultExpiresIn
	}
	return nil
}

package wxclient

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Paths of the Open Platform's third-party platform ("component") API, relative to APIBase
// (contract §15). Every call but api_component_token and api_start_push_ticket takes the
// component_access_token as a query parameter.
const (
	PathComponentToken    = "/cgi-bin/component/api_component_token"
	PathCreatePreAuthCode = "/cgi-bin/component/api_create_preauthcode"
	PathQueryAuth         = "/cgi-bin/component/api_query_auth"
	PathAuthorizerToken   = "/cgi-bin/component/api_authorizer_token"
	PathGetAuthorizerInfo = "/cgi-bin/component/api_get_authorizer_info"
	PathStartPushTicket   = "/cgi-bin/component/api_start_push_ticket"
	PathComponentOAuth    = "/sns/oauth2/component/access_token"
)

// WeChat's component error codes.
const (
	CodeComponentNotAuthorized = 61003 // the account did not authorize this component (or withdrew it)
	CodeComponentIP            = 61004 // the caller's IP is not in the component's whitelist
	CodeTicketExpired          = 61005 // component_verify_ticket expired
	CodeTicketInvalid          = 61006 // component_verify_ticket invalid
	CodeRefreshTokenInvalid    = 61023 // authorizer_refresh_token invalid
)

// ComponentTokenResponse is the answer of api_component_token.
type ComponentTokenResponse struct {
	ComponentAccessToken string `json:"component_access_token"`
	ExpiresIn            int    `json:"expires_in"`
}

// ComponentToken calls POST api_component_token {component_appid, component_appsecret,
// component_verify_ticket}. The raw call: it stores nothing.
func (c *Client) ComponentToken(ctx context.Context, componentAppID, secret, ticket string) (ComponentTokenResponse, error) {
	var out ComponentTokenResponse
	body := map[string]string{"component_appid": componentAppID, "component_appsecret": secret, "component_verify_ticket": ticket}
	if err := c.do(ctx, componentAppID, request{method: "POST", path: PathComponentToken, body: body}, &out); err != nil {
		return out, err
	}
	if out.ComponentAccessToken == "" {
		return out, apperr.Wrap(apperr.Upstream, ErrBadAnswer.Msg, fmt.Errorf("wechat %s: no component_access_token", PathComponentToken)).WithKey("err.wechat.bad_answer")
	}
	return out, nil
}

// PreAuthCode is the answer of api_create_preauthcode.
type PreAuthCode struct {
	PreAuthCode string `json:"pre_auth_code"`
	ExpiresIn   int    `json:"expires_in"`
}

// CreatePreAuthCode calls POST api_create_preauthcode?component_access_token= {component_appid}.
func (c *Client) CreatePreAuthCode(ctx context.Context, componentToken, componentAppID string) (PreAuthCode, error) {
	var out PreAuthCode
	err := c.componentCall(ctx, PathCreatePreAuthCode, componentToken, map[string]string{"component_appid": componentAppID}, &out)
	if err == nil && out.PreAuthCode == "" {
		err = apperr.Wrap(apperr.Upstream, ErrBadAnswer.Msg, fmt.Errorf("wechat %s: no pre_auth_code", PathCreatePreAuthCode)).WithKey("err.wechat.bad_answer")
	}
	return out, err
}

// FuncInfo is one permission set granted: {"funcscope_category": {"id": N}}.
type FuncInfo struct {
	FuncscopeCategory struct {
		ID int `json:"id"`
	} `json:"funcscope_category"`
}

// AuthorizationInfo is what an authorization grants (api_query_auth, api_get_authorizer_info).
type AuthorizationInfo struct {
	AuthorizerAppID        string     `json:"authorizer_appid"`
	AuthorizerAccessToken  string     `json:"authorizer_access_token,omitempty"`
	ExpiresIn              int        `json:"expires_in,omitempty"`
	AuthorizerRefreshToken string     `json:"authorizer_refresh_token"`
	FuncInfo               []FuncInfo `json:"func_info"`
}

// FuncScope answers the ids of the permission sets granted.
func (a AuthorizationInfo) FuncScope() []int {
	out := make([]int, 0, len(a.FuncInfo))
	for _, f := range a.FuncInfo {
		out = append(out, f.FuncscopeCategory.ID)
	}
	return out
}

// QueryAuth calls POST api_query_auth?component_access_token= {component_appid, authorization_code}.
func (c *Client) QueryAuth(ctx context.Context, componentToken, componentAppID, authCode string) (AuthorizationInfo, error) {
	var out struct {
		AuthorizationInfo AuthorizationInfo `json:"authorization_info"`
	}
	if authCode == "" {
		return AuthorizationInfo{}, apperr.Missing("auth_code")
	}
	err := c.componentCall(ctx, PathQueryAuth, componentToken,
		map[string]string{"component_appid": componentAppID, "authorization_code": authCode}, &out)
	if err == nil && (out.AuthorizationInfo.AuthorizerAppID == "" || out.AuthorizationInfo.AuthorizerRefreshToken == "") {
		err = apperr.Wrap(apperr.Upstream, ErrBadAnswer.Msg, fmt.Errorf("wechat %s: no authorizer_appid or refresh token", PathQueryAuth)).WithKey("err.wechat.bad_answer")
	}
	return out.AuthorizationInfo, err
}

// AuthorizerTokenResponse is the answer of api_authorizer_token.
type AuthorizerTokenResponse struct {
	AuthorizerAccessToken  string `json:"authorizer_access_token"`
	ExpiresIn              int    `json:"expires_in"`
	AuthorizerRefreshToken string `json:"authorizer_refresh_token"`
}

// AuthorizerToken calls POST api_authorizer_token?component_access_token= {component_appid,
// authorizer_appid, authorizer_refresh_token}. The raw call: it stores nothing.
func (c *Client) AuthorizerToken(ctx context.Context, componentToken, componentAppID, authorizerAppID, refreshToken string) (AuthorizerTokenResponse, error) {
	var out AuthorizerTokenResponse
	err := c.componentCall(ctx, PathAuthorizerToken, componentToken, map[string]string{"component_appid": componentAppID,
		"authorizer_appid": authorizerAppID, "authorizer_refresh_token": refreshToken}, &out)
	if err == nil && out.AuthorizerAccessToken == "" {
		err = apperr.Wrap(apperr.Upstream, ErrBadAnswer.Msg, fmt.Errorf("wechat %s: no authorizer_access_token", PathAuthorizerToken)).WithKey("err.wechat.bad_answer")
	}
	return out, err
}

// AuthorizerInfo is the account part of api_get_authorizer_info.
type AuthorizerInfo struct {
	NickName        string `json:"nick_name"`
	HeadImg         string `json:"head_img"`
	ServiceTypeInfo struct {
		ID int `json:"id"`
	} `json:"service_type_info"`
	VerifyTypeInfo struct {
		ID int `json:"id"`
	} `json:"verify_type_info"`
	UserName      string `json:"user_name"`
	PrincipalName string `json:"principal_name"`
	Alias         string `json:"alias"`
	QRCodeURL     string `json:"qrcode_url"`
}

// AuthorizerInfoResponse is the answer of api_get_authorizer_info.
type AuthorizerInfoResponse struct {
	AuthorizerInfo    AuthorizerInfo    `json:"authorizer_info"`
	AuthorizationInfo AuthorizationInfo `json:"authorization_info"`
}

// GetAuthorizerInfo calls POST api_get_authorizer_info?component_access_token= {component_appid,
// authorizer_appid}.
func (c *Client) GetAuthorizerInfo(ctx context.Context, componentToken, componentAppID, authorizerAppID string) (AuthorizerInfoResponse, error) {
	var out AuthorizerInfoResponse
	err := c.componentCall(ctx, PathGetAuthorizerInfo, componentToken,
		map[string]string{"component_appid": componentAppID, "authorizer_appid": authorizerAppID}, &out)
	return out, err
}

// StartPushTicket calls POST api_start_push_ticket {component_appid, component_secret}: WeChat pushes a
// component_verify_ticket again at once.
func (c *Client) StartPushTicket(ctx context.Context, componentAppID, secret string) error {
	body := map[string]string{"component_appid": componentAppID, "component_secret": secret}
	return c.do(ctx, componentAppID, request{method: "POST", path: PathStartPushTicket, body: body}, nil)
}

// ComponentOAuthAccessToken exchanges a web-OAuth code of a component account: GET
// sns/oauth2/component/access_token?appid&code&grant_type=authorization_code&component_appid&component_access_token.
func (c *Client) ComponentOAuthAccessToken(ctx context.Context, appid, code, componentAppID, componentToken string) (OAuthToken, error) {
	if err := checkAppID(appid); err != nil {
		return OAuthToken{}, err
	}
	if code == "" {
		return OAuthToken{}, apperr.Missing("code")
	}
	var out OAuthToken
	q := url.Values{"appid": {appid}, "code": {code}, "grant_type": {"authorization_code"},
		"component_appid": {componentAppID}, "component_access_token": {componentToken}}
	if err := c.do(ctx, appid, request{method: "GET", path: PathComponentOAuth, query: q}, &out); err != nil {
		return OAuthToken{}, err
	}
	return out, checkOAuthToken(PathComponentOAuth, &out)
}

// ComponentLoginPageURL answers the authorization page an account's administrator opens: on a computer
// {MPBase}/cgi-bin/componentloginpage?component_appid&pre_auth_code&redirect_uri&auth_type=1 (a QR code
// to scan), on a phone {MPBase}/safe/bindcomponent?action=bindcomponent&no_scan=1&...#wechat_redirect.
// auth_type=1 shows official accounts only.
func (c *Client) ComponentLoginPageURL(componentAppID, preAuthCode, redirectURI string, mobile bool) string {
	q := "component_appid=" + url.QueryEscape(componentAppID) + "&pre_auth_code=" + url.QueryEscape(preAuthCode) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) + "&auth_type=1"
	if mobile {
		return c.opts.MPBase + "/safe/bindcomponent?action=bindcomponent&no_scan=1&" + q + "#wechat_redirect"
	}
	return c.opts.MPBase + "/cgi-bin/componentloginpage?" + q
}

// ComponentAuthorizeURL is AuthorizeURL for an account bound through the component: WeChat's web OAuth
// on the account's behalf adds component_appid.
func (c *Client) ComponentAuthorizeURL(appid, redirectURI, scope, state, componentAppID string) (string, error) {
	u, err := c.AuthorizeURL(appid, redirectURI, scope, state)
	if err != nil {
		return "", err
	}
	base, frag, _ := cutLast(u, "#")
	return base + "&component_appid=" + url.QueryEscape(componentAppID) + "#" + frag, nil
}

func cutLast(s, sep string) (string, string, bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

// componentCall POSTs body with the component_access_token in the query.
func (c *Client) componentCall(ctx context.Context, path, componentToken string, body any, out any) error {
	if componentToken == "" {
		return apperr.Missing("component_access_token")
	}
	return c.do(ctx, "", request{method: "POST", path: path, query: url.Values{"component_access_token": {componentToken}}, body: body}, out)
}

// Seconds converts WeChat's expires_in.
func Seconds(n int) time.Duration {
	if n <= 0 {
		n = defaultExpiresIn
	}
	return time.Duration(n) * time.Second
}

// CustomTextWithToken sends a customer-service text with an explicit access_token (the full-network
// release test answers with the authorizer token api_query_auth just handed out, before any binding):
// POST cgi-bin/message/custom/send {touser, msgtype:"text", text:{content}}.
func (c *Client) CustomTextWithToken(ctx context.Context, accessToken, openid, content string) error {
	if accessToken == "" {
		return apperr.Missing("access_token")
	}
	body := map[string]any{"touser": openid, "msgtype": "text", "text": map[string]string{"content": content}}
	return c.do(ctx, "", request{method: "POST", path: "/cgi-bin/message/custom/send",
		query: url.Values{"access_token": {accessToken}}, body: body}, nil)
}

// PathComponentOAuthRefresh refreshes a component account's web-OAuth token.
const PathComponentOAuthRefresh = "/sns/oauth2/component/refresh_token"

// ComponentOAuthRefreshToken calls GET sns/oauth2/component/refresh_token?appid&grant_type=refresh_token
// &component_appid&component_access_token&refresh_token.
func (c *Client) ComponentOAuthRefreshToken(ctx context.Context, appid, refreshToken, componentAppID, componentToken string) (OAuthToken, error) {
	if err := checkAppID(appid); err != nil {
		return OAuthToken{}, err
	}
	if refreshToken == "" {
		return OAuthToken{}, apperr.Missing("refresh_token")
	}
	var out OAuthToken
	q := url.Values{"appid": {appid}, "grant_type": {"refresh_token"}, "component_appid": {componentAppID},
		"component_access_token": {componentToken}, "refresh_token": {refreshToken}}
	if err := c.do(ctx, appid, request{method: "GET", path: PathComponentOAuthRefresh, query: q}, &out); err != nil {
		return OAuthToken{}, err
	}
	return out, checkOAuthToken(PathComponentOAuthRefresh, &out)
}

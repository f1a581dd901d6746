package wxclient

import (
	"context"
	"fmt"
	"net/url"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Paths of WeChat's API, relative to APIBase.
const (
	pathToken       = "/cgi-bin/token"
	pathStableToken = "/cgi-bin/stable_token"
	pathTicket      = "/cgi-bin/ticket/getticket"
)

// defaultExpiresIn is assumed when WeChat omits expires_in: its documented lifetime of 7200 s.
const defaultExpiresIn = 7200

// TokenResponse is the answer of cgi-bin/token and cgi-bin/stable_token.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"` // seconds
}

// StableTokenRequest is the body of cgi-bin/stable_token.
type StableTokenRequest struct {
	GrantType    string `json:"grant_type"` // always client_credential
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// Token calls GET cgi-bin/token?grant_type=client_credential&appid=&secret=. It is the raw call: it
// invalidates the account's current token at WeChat and stores nothing; use AccessToken instead.
func (c *Client) Token(ctx context.Context, appid, secret string) (TokenResponse, error) {
	if err := checkAppID(appid); err != nil {
		return TokenResponse{}, err
	}
	if secret == "" {
		return TokenResponse{}, apperr.Missing("secret")
	}
	var out TokenResponse
	q := url.Values{"grant_type": {"client_credential"}, "appid": {appid}, "secret": {secret}}
	if err := c.do(ctx, appid, request{method: "GET", path: pathToken, query: q}, &out); err != nil {
		return TokenResponse{}, err
	}
	return out, checkToken(pathToken, &out)
}

// StableToken calls POST cgi-bin/stable_token: WeChat answers the current stable token while it is valid,
// and a new one with forceRefresh (at most 20 times a day). The raw call: it stores nothing.
func (c *Client) StableToken(ctx context.Context, appid, secret string, forceRefresh bool) (TokenResponse, error) {
	if err := checkAppID(appid); err != nil {
		return TokenResponse{}, err
	}
	if secret == "" {
		return TokenResponse{}, apperr.Missing("secret")
	}
	var out TokenResponse
	body := StableTokenRequest{GrantType: "client_credential", AppID: appid, Secret: secret, ForceRefresh: forceRefresh}
	if err := c.do(ctx, appid, request{method: "POST", path: pathStableToken, body: body}, &out); err != nil {
		return TokenResponse{}, err
	}
	return out, checkToken(pathStableToken, &out)
}

func checkToken(path string, t *TokenResponse) error {
	if t.AccessToken == "" {
		return apperr.Wrap(apperr.Upstream, ErrBadAnswer.Msg, fmt.Errorf("wechat %s: no access_token in the answer", path)).WithKey("err.wechat.bad_answer")
	}
	if t.ExpiresIn <= 0 {
		t.ExpiresIn = defaultExpiresIn
	}
	return nil
}

// Ticket types of ticket/getticket.
const (
	TicketJSAPI  = "jsapi"
	TicketWxCard = "wx_card"
)

// TicketResponse is the answer of ticket/getticket.
type TicketResponse struct {
	Ticket    string `json:"ticket"`
	ExpiresIn int    `json:"expires_in"`
}

// GetTicket calls GET cgi-bin/ticket/getticket?access_token=&type=. The raw call: JSAPITicket keeps the
// jsapi ticket shared and cached, as WeChat's small quota for this call requires.
func (c *Client) GetTicket(ctx context.Context, appid, typ string) (TicketResponse, error) {
	if typ != TicketJSAPI && typ != TicketWxCard {
		return TicketResponse{}, apperr.Invalidf("type", "must be %s or %s", TicketJSAPI, TicketWxCard).WithKey("err.field.either", "type", TicketJSAPI, TicketWxCard)
	}
	var out TicketResponse
	req := request{method: "GET", path: pathTicket, query: url.Values{"type": {typ}}, auth: true}
	if err := c.do(ctx, appid, req, &out); err != nil {
		return TicketResponse{}, err
	}
	if out.Ticket == "" {
		return TicketResponse{}, apperr.Wrap(apperr.Upstream, ErrBadAnswer.Msg, fmt.Errorf("wechat %s: no ticket in the answer", pathTicket)).WithKey("err.wechat.bad_answer")
	}
	if out.ExpiresIn <= 0 {
		out.ExpiresIn = defaultExpiresIn
	}
	return out, nil
}

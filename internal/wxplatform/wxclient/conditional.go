package wxclient

import (
	"context"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// ConditionalMenuRequest is the body of menu/addconditional: a menu and who sees it.
type ConditionalMenuRequest struct {
	Button    []Button  `json:"button"`
	MatchRule MatchRule `json:"matchrule"`
}

// menuIDBody is menu/addconditional's answer and menu/delconditional's body.
type menuIDBody struct {
	MenuID FlexString `json:"menuid"`
}

// AddConditionalMenu calls POST cgi-bin/menu/addconditional and answers WeChat's menuid. WeChat needs a
// default menu first (65303) and a matchrule with at least one field (65304).
func (c *Client) AddConditionalMenu(ctx context.Context, appid string, m ConditionalMenuRequest) (string, error) {
	if len(m.Button) == 0 {
		return "", apperr.Missing("button")
	}
	var out menuIDBody
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/menu/addconditional", body: m, auth: true}, &out)
	if err == nil && out.MenuID == "" {
		return "", apperr.New(apperr.Upstream, "WeChat answered menu/addconditional without a menuid").WithKey("err.wechat.no_menuid")
	}
	return string(out.MenuID), err
}

// DeleteConditionalMenu calls POST cgi-bin/menu/delconditional (65301: no such menuid).
func (c *Client) DeleteConditionalMenu(ctx context.Context, appid, menuID string) error {
	if menuID == "" {
		return apperr.Missing("menuid")
	}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/menu/delconditional", body: menuIDBody{MenuID: FlexString(menuID)}, auth: true}, nil)
}

// TryMatchMenu calls POST cgi-bin/menu/trymatch: the menu the follower userID (an OpenID or WeChat id)
// sees, the matching conditional menu or else the default one.
func (c *Client) TryMatchMenu(ctx context.Context, appid, userID string) (Menu, error) {
	if userID == "" {
		return Menu{}, apperr.Missing("user_id")
	}
	var out Menu
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/menu/trymatch", body: map[string]string{"user_id": userID}, auth: true}, &out)
	return out, err
}

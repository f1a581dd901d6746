package wxclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Button is a custom-menu button in WeChat's own JSON (menu/create and menu/get). A button with
// sub-buttons has a name and no type.
type Button struct {
	Type      string   `json:"type,omitempty"`
	Name      string   `json:"name"`
	Key       string   `json:"key,omitempty"`
	URL       string   `json:"url,omitempty"`
	MediaID   string   `json:"media_id,omitempty"`
	ArticleID string   `json:"article_id,omitempty"`
	AppID     string   `json:"appid,omitempty"`    // miniprogram
	PagePath  string   `json:"pagepath,omitempty"` // miniprogram
	SubButton []Button `json:"sub_button,omitempty"`
}

// Menu is the body of menu/create and the "menu" of menu/get.
type Menu struct {
	Button []Button `json:"button"`
	MenuID int64    `json:"menuid,omitempty"` // menu/get only
}

// MatchRule selects who sees a conditional menu. WeChat documents its values as strings but answers
// some as numbers in menu/get ("group_id": 2), so each accepts both.
type MatchRule struct {
	TagID              FlexString `json:"tag_id,omitempty"`
	GroupID            FlexString `json:"group_id,omitempty"`
	Sex                FlexString `json:"sex,omitempty"`
	Country            FlexString `json:"country,omitempty"`
	Province           FlexString `json:"province,omitempty"`
	City               FlexString `json:"city,omitempty"`
	ClientPlatformType FlexString `json:"client_platform_type,omitempty"`
	Language           FlexString `json:"language,omitempty"`
}

// FlexString is a JSON string that WeChat sometimes sends as a number.
type FlexString string

// UnmarshalJSON accepts a string, a number or null.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("wxclient: %s is neither a string nor a number", b)
	}
	*f = FlexString(n.String())
	return nil
}

// ConditionalMenu is a personalised menu, as menu/get lists them.
type ConditionalMenu struct {
	Button    []Button  `json:"button"`
	MatchRule MatchRule `json:"matchrule"`
	MenuID    int64     `json:"menuid"`
}

// MenuResponse is the answer of menu/get.
type MenuResponse struct {
	Menu            Menu              `json:"menu"`
	ConditionalMenu []ConditionalMenu `json:"conditionalmenu,omitempty"`
}

// SelfMenuInfo is the answer of get_current_selfmenu_info: the menu live on the account, whether set
// through the API or in WeChat's admin. Its shape differs from menu/get: sub-buttons and articles sit in
// a "list".
type SelfMenuInfo struct {
	IsMenuOpen   int `json:"is_menu_open"`
	SelfMenuInfo struct {
		Button []SelfMenuButton `json:"button"`
	} `json:"selfmenu_info"`
}

// SelfMenuButton is a button of SelfMenuInfo. Buttons set in WeChat's admin have the types text, img,
// photo, video, voice and news, with Value (or NewsInfo) instead of a key or URL.
type SelfMenuButton struct {
	Type      string        `json:"type,omitempty"`
	Name      string        `json:"name"`
	Key       string        `json:"key,omitempty"`
	URL       string        `json:"url,omitempty"`
	Value     string        `json:"value,omitempty"`
	AppID     string        `json:"appid,omitempty"`
	PagePath  string        `json:"pagepath,omitempty"`
	SubButton *SelfMenuList `json:"sub_button,omitempty"`
	NewsInfo  *SelfMenuNews `json:"news_info,omitempty"`
}

// SelfMenuList holds sub-buttons.
type SelfMenuList struct {
	List []SelfMenuButton `json:"list"`
}

// SelfMenuNews holds the articles of a news button.
type SelfMenuNews struct {
	List []SelfMenuArticle `json:"list"`
}

// SelfMenuArticle is one article of a news button.
type SelfMenuArticle struct {
	Title      string `json:"title"`
	Author     string `json:"author"`
	Digest     string `json:"digest"`
	ShowCover  int    `json:"show_cover"`
	CoverURL   string `json:"cover_url"`
	ContentURL string `json:"content_url"`
	SourceURL  string `json:"source_url"`
}

// CreateMenu calls POST cgi-bin/menu/create, replacing the live menu. The menu's rules (button counts,
// name lengths, types) are the caller's to check; WeChat answers 400xx codes for each.
func (c *Client) CreateMenu(ctx context.Context, appid string, m Menu) error {
	if len(m.Button) == 0 {
		return apperr.Missing("button")
	}
	m.MenuID = 0
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/menu/create", body: m, auth: true}, nil)
}

// GetMenu calls GET cgi-bin/menu/get: the menu set through the API (46003 when there is none).
func (c *Client) GetMenu(ctx context.Context, appid string) (MenuResponse, error) {
	var out MenuResponse
	err := c.do(ctx, appid, request{method: "GET", path: "/cgi-bin/menu/get", auth: true}, &out)
	return out, err
}

// DeleteMenu calls GET cgi-bin/menu/delete: the menu and every conditional menu go.
func (c *Client) DeleteMenu(ctx context.Context, appid string) error {
	return c.do(ctx, appid, request{method: "GET", path: "/cgi-bin/menu/delete", auth: true}, nil)
}

// CurrentSelfMenu calls GET cgi-bin/get_current_selfmenu_info.
func (c *Client) CurrentSelfMenu(ctx context.Context, appid string) (SelfMenuInfo, error) {
	var out SelfMenuInfo
	err := c.do(ctx, appid, request{method: "GET", path: "/cgi-bin/get_current_selfmenu_info", auth: true}, &out)
	return out, err
}

package wxemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
)

// menuButton is one button of a custom menu, in WeChat's menu JSON.
type menuButton struct {
	Type      string       `json:"type,omitempty"`
	Name      string       `json:"name"`
	Key       string       `json:"key,omitempty"`
	URL       string       `json:"url,omitempty"`
	MediaID   string       `json:"media_id,omitempty"`
	AppID     string       `json:"appid,omitempty"`
	PagePath  string       `json:"pagepath,omitempty"`
	ArticleID string       `json:"article_id,omitempty"`
	SubButton []menuButton `json:"sub_button"`
}

// WeChat's menu limits.
const (
	maxTopButtons = 3
	maxSubButtons = 5
	maxTopName    = 16
	maxSubName    = 60
	maxKey        = 128
	maxURL        = 1024
)

// keyTypes are the button types answered with an event carrying the button's key.
var keyTypes = []string{"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
	"pic_weixin", "location_select"}

// buttonCodes are the error codes of one menu level: WeChat has a set for top-level buttons and one for
// sub-buttons.
type buttonCodes struct{ typ, name, key, url, domain, nameMax int }

var (
	topCodes = buttonCodes{codeInvalidButtonType, codeInvalidButtonName, codeInvalidButtonKey, codeInvalidButtonURL, codeInvalidButtonDomain, maxTopName}
	subCodes = buttonCodes{codeInvalidSubType, codeInvalidSubName, codeInvalidSubKey, codeInvalidSubURL, codeInvalidSubDomain, maxSubName}
)

// hasUnicodeEscape reports whether a JSON text holds a \uXXXX escape, which WeChat's menu/create refuses
// (40033). Go's encoding/json writes <, > and & as \u003c, \u003e, \u0026 unless told not to.
func hasUnicodeEscape(b []byte) bool {
	for i := 0; i < len(b)-1; i++ {
		if b[i] == '\\' {
			if b[i+1] == 'u' {
				return true
			}
			i++ // skip the escaped character, so \\u is not an escape
		}
	}
	return false
}

// validateMenu checks a menu as WeChat's menu/create does, in WeChat's order. The caller holds e.mu
// (media_id buttons must name a permanent material of the account).
func (acc *account) validateMenu(buttons []menuButton) *apiError {
	if len(buttons) == 0 || len(buttons) > maxTopButtons {
		return wxErr(codeInvalidButtonSize)
	}
	for _, b := range buttons {
		if b.Name == "" || len(b.Name) > maxTopName {
			return wxErr(codeInvalidButtonName)
		}
		if len(b.SubButton) == 0 {
			if ae := acc.validateLeaf(b, topCodes); ae != nil {
				return ae
			}
			continue
		}
		if len(b.SubButton) > maxSubButtons {
			return wxErr(codeInvalidSubSize)
		}
		for _, s := range b.SubButton {
			if len(s.SubButton) > 0 {
				return wxErr(codeInvalidSubLevel)
			}
			if s.Name == "" || len(s.Name) > maxSubName {
				return wxErr(codeInvalidSubName)
			}
			if ae := acc.validateLeaf(s, subCodes); ae != nil {
				return ae
			}
		}
	}
	return nil
}

// validateLeaf checks a button without sub-buttons: its type and the fields that type needs.
func (acc *account) validateLeaf(b menuButton, c buttonCodes) *apiError {
	if len(b.Key) > maxKey {
		return wxErr(c.key)
	}
	if len(b.URL) > maxURL {
		return wxErr(c.url)
	}
	checkURL := func() *apiError {
		if b.URL == "" {
			return wxErr(c.url)
		}
		u, err := url.Parse(b.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return wxErr(c.domain)
		}
		return nil
	}
	switch {
	case slices.Contains(keyTypes, b.Type):
		if b.Key == "" {
			return wxErr(c.key)
		}
	case b.Type == "view":
		return checkURL()
	case b.Type == "miniprogram":
		if ae := checkURL(); ae != nil {
			return ae
		}
		// WeChat checks the mini program is linked to the account (45064); the emulator only needs both.
		if b.AppID == "" || b.PagePath == "" {
			return wxErr(codeInvalidArgs, "appid and pagepath")
		}
	case b.Type == "media_id" || b.Type == "view_limited":
		if m, _ := acc.findMaterial(b.MediaID); m == nil {
			return wxErr(codeInvalidMediaID)
		}
	case b.Type == "article_id" || b.Type == "article_view_limited":
		if b.ArticleID == "" {
			return wxErr(codeInvalidArticleID)
		}
	default:
		return wxErr(c.typ)
	}
	return nil
}

// handleMenuCreate serves POST /cgi-bin/menu/create {"button":[...]}, replacing the menu.
func (e *Emulator) handleMenuCreate(w http.ResponseWriter, r *http.Request, appid string) {
	body := readBody(r)
	if len(bytes.TrimSpace(body)) > 0 && hasUnicodeEscape(body) {
		writeJSON(w, wxErr(codeInvalidCharset))
		return
	}
	var req struct {
		Button []menuButton `json:"button"`
	}
	if ae := decodeJSON(body, &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if ae := acc.validateMenu(req.Button); ae != nil {
		writeJSON(w, ae)
		return
	}
	acc.menuRaw = bytes.Clone(body)
	acc.menuButtons = req.Button
	writeJSON(w, okResp)
}

// handleMenuGet serves GET /cgi-bin/menu/get → {"menu":{"button":[...]}}, each button with its
// "sub_button" array (empty for leaves) as WeChat shows them; no menu is 46003.
func (e *Emulator) handleMenuGet(w http.ResponseWriter, r *http.Request, appid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc.menuButtons == nil {
		writeJSON(w, wxErr(codeMenuNotExist))
		return
	}
	out := map[string]any{"menu": map[string]any{"button": shownButtons(acc.menuButtons)}}
	if len(acc.conditional) > 0 {
		// With conditional menus WeChat also names the default menu's menuid.
		out["menu"].(map[string]any)["menuid"] = firstConditionalMenuID
		out["conditionalmenu"] = acc.conditionalJSON()
	}
	writeJSON(w, out)
}

// handleMenuDelete serves GET /cgi-bin/menu/delete.
func (e *Emulator) handleMenuDelete(w http.ResponseWriter, r *http.Request, appid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	acc.menuRaw, acc.menuButtons = nil, nil
	acc.conditional = nil // menu/delete removes the conditional menus too
	writeJSON(w, okResp)
}

// selfMenuButton is a button of get_current_selfmenu_info, where sub-buttons sit in {"list":[...]}.
type selfMenuButton struct {
	Type      string       `json:"type,omitempty"`
	Name      string       `json:"name"`
	Key       string       `json:"key,omitempty"`
	URL       string       `json:"url,omitempty"`
	MediaID   string       `json:"media_id,omitempty"`
	AppID     string       `json:"appid,omitempty"`
	PagePath  string       `json:"pagepath,omitempty"`
	ArticleID string       `json:"article_id,omitempty"`
	SubButton *selfSubList `json:"sub_button,omitempty"`
}

type selfSubList struct {
	List []selfMenuButton `json:"list"`
}

func selfButton(b menuButton) selfMenuButton {
	return selfMenuButton{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL, MediaID: b.MediaID, AppID: b.AppID,
		PagePath: b.PagePath, ArticleID: b.ArticleID}
}

// handleSelfMenuInfo serves GET /cgi-bin/get_current_selfmenu_info →
// {"is_menu_open":1,"selfmenu_info":{"button":[...]}}; without a menu is_menu_open is 0 and the list
// empty.
func (e *Emulator) handleSelfMenuInfo(w http.ResponseWriter, r *http.Request, appid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	buttons := []selfMenuButton{}
	for _, b := range acc.menuButtons {
		if len(b.SubButton) == 0 {
			buttons = append(buttons, selfButton(b))
			continue
		}
		list := make([]selfMenuButton, 0, len(b.SubButton))
		for _, s := range b.SubButton {
			list = append(list, selfButton(s))
		}
		buttons = append(buttons, selfMenuButton{Name: b.Name, SubButton: &selfSubList{List: list}})
	}
	open := 0
	if acc.menuButtons != nil {
		open = 1
	}
	writeJSON(w, struct {
		IsMenuOpen   int `json:"is_menu_open"`
		SelfMenuInfo struct {
			Button []selfMenuButton `json:"button"`
		} `json:"selfmenu_info"`
	}{IsMenuOpen: open, SelfMenuInfo: struct {
		Button []selfMenuButton `json:"button"`
	}{buttons}})
}

// menuUses reports whether a menu button uses the material mediaID. The caller holds e.mu.
func (acc *account) menuUses(mediaID string) bool {
	for _, b := range acc.menuButtons {
		if b.MediaID == mediaID {
			return true
		}
		for _, s := range b.SubButton {
			if s.MediaID == mediaID {
				return true
			}
		}
	}
	return false
}

// Menu returns the JSON body of the last successful menu/create of appid, nil when there is no menu.
func (e *Emulator) Menu(appid string) json.RawMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil && acc.menuRaw != nil {
		return bytes.Clone(acc.menuRaw)
	}
	return nil
}

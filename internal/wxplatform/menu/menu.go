// Package menu edits an official account's custom menu (contract §13): a draft kept in Postgres per
// account, validated by WeChat's own rules before anything is sent, published with cgi-bin/menu/create,
// deleted with cgi-bin/menu/delete, and imported back from the live menu
// (cgi-bin/get_current_selfmenu_info, with cgi-bin/menu/get filling what that answer leaves out). Every
// change is written to a history with who made it.
//
// # The menu JSON
//
// Menus travel in WeChat's own menu/create JSON, {"button": [...]}, so a menu copied from WeChat's
// documentation or another tool can be pasted as is. Before validation each text field is trimmed of
// surrounding white space, a type is lower-cased, "sub_button": [] on a leaf is read as no sub-buttons,
// and the fields a button's type does not use are dropped (a click button keeps its key, not a url).
// Fields WeChat does not define are refused with 40000 naming them: a misspelt "pagePath" or "mediaId"
// would otherwise vanish silently. "menuid" at the top (menu/get's answers carry it) is dropped.
//
// # Validation
//
// Every problem is a 40000 whose field is the button's path with 0-based indices, exactly like
// button[1].sub_button[2].name (the third sub-button of the second top-level button). The rules are
// WeChat's: 1–3 top-level buttons; 0–5 sub-buttons each and no deeper level; a button with sub-buttons
// has a name and no type, one without needs a type; names are non-empty and at most 16 bytes at the top
// and 60 below, counted in UTF-8 (a Chinese character is 3 bytes: 5 fit at the top, 6 do not); a key is
// at most 128 bytes; a url at most 1024 bytes and an absolute http(s) URL. Each type needs its fields:
//
//	click scancode_push scancode_waitmsg pic_sysphoto pic_photo_or_album pic_weixin location_select → key
//	view → url;  media_id → media_id;  article_id article_view_limited → article_id
//	miniprogram → url (shown by clients without mini programs), appid, pagepath
//
// Beyond WeChat: two click buttons may not share a key (compared as the keyword replies compare them:
// trimmed, Latin letters in any case), because a CLICK event is answered by the exact keyword rule whose
// keyword is the key (contract §6) and two buttons with one key could not answer differently; and text
// may not hold control characters or U+2028/U+2029, which JSON encoders write as \u escapes that
// menu/create refuses (40033).
package menu

import (
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// Menu is a custom menu in WeChat's menu/create JSON.
type Menu struct {
	Button []Button `json:"button"`
}

// Button is one button. A button with sub-buttons has only a name; a leaf has a type and the fields that
// type needs.
//
// It is the client's own type: the menu is WeChat's menu/create JSON, stored as WeChat takes it.
type Button = wxclient.Button

// WeChat's menu limits.
const (
	MaxButtons    = 3
	MaxSubButtons = 5
	MaxTopName    = 16   // bytes
	MaxSubName    = 60   // bytes
	MaxKey        = 128  // bytes
	MaxURL        = 1024 // bytes
)

// Button types, as menu/create spells them.
const (
	TypeClick              = "click"
	TypeView               = "view"
	TypeScancodePush       = "scancode_push"
	TypeScancodeWaitmsg    = "scancode_waitmsg"
	TypePicSysphoto        = "pic_sysphoto"
	TypePicPhotoOrAlbum    = "pic_photo_or_album"
	TypePicWeixin          = "pic_weixin"
	TypeLocationSelect     = "location_select"
	TypeMediaID            = "media_id"
	TypeArticleID          = "article_id"
	TypeArticleViewLimited = "article_view_limited"
	TypeMiniprogram        = "miniprogram"
)

// Types lists every button type, in WeChat's documented order.
var Types = []string{TypeClick, TypeView, TypeScancodePush, TypeScancodeWaitmsg, TypePicSysphoto,
	TypePicPhotoOrAlbum, TypePicWeixin, TypeLocationSelect, TypeMediaID, TypeArticleID,
	TypeArticleViewLimited, TypeMiniprogram}

// field names of a button in the JSON.
const (
	fType      = "type"
	fName      = "name"
	fKey       = "key"
	fURL       = "url"
	fMediaID   = "media_id"
	fArticleID = "article_id"
	fAppID     = "appid"
	fPagePath  = "pagepath"
	fSubButton = "sub_button"
)

// typeFields are the fields each type uses, required all.
var typeFields = map[string][]string{
	TypeClick:              {fKey},
	TypeScancodePush:       {fKey},
	TypeScancodeWaitmsg:    {fKey},
	TypePicSysphoto:        {fKey},
	TypePicPhotoOrAlbum:    {fKey},
	TypePicWeixin:          {fKey},
	TypeLocationSelect:     {fKey},
	TypeView:               {fURL},
	TypeMediaID:            {fMediaID},
	TypeArticleID:          {fArticleID},
	TypeArticleViewLimited: {fArticleID},
	TypeMiniprogram:        {fURL, fAppID, fPagePath},
}

// field answers a pointer to the button's text field called name (nil for sub_button or an unknown name).
func field(b *Button, name string) *string {
	switch name {
	case fType:
		return &b.Type
	case fName:
		return &b.Name
	case fKey:
		return &b.Key
	case fURL:
		return &b.URL
	case fMediaID:
		return &b.MediaID
	case fArticleID:
		return &b.ArticleID
	case fAppID:
		return &b.AppID
	case fPagePath:
		return &b.PagePath
	}
	return nil
}

// textFields are the button's text fields, in the order the JSON lists them.
var textFields = []string{fType, fName, fKey, fURL, fMediaID, fArticleID, fAppID, fPagePath}

// Clone answers a deep copy of m.
func (m Menu) Clone() Menu {
	out := Menu{Button: make([]Button, len(m.Button))}
	for i, b := range m.Button {
		out.Button[i] = b
		if b.SubButton != nil {
			out.Button[i].SubButton = append([]Button(nil), b.SubButton...)
		}
	}
	return out
}

// Equal reports whether two menus are the same: same buttons, same fields, in the same order.
func (m Menu) Equal(o Menu) bool {
	if len(m.Button) != len(o.Button) {
		return false
	}
	for i := range m.Button {
		if !buttonsEqual(m.Button[i], o.Button[i]) {
			return false
		}
	}
	return true
}

func buttonsEqual(b, o Button) bool {
	if b.Type != o.Type || b.Name != o.Name || b.Key != o.Key || b.URL != o.URL || b.MediaID != o.MediaID ||
		b.ArticleID != o.ArticleID || b.AppID != o.AppID || b.PagePath != o.PagePath ||
		len(b.SubButton) != len(o.SubButton) {
		return false
	}
	for i := range b.SubButton {
		if !buttonsEqual(b.SubButton[i], o.SubButton[i]) {
			return false
		}
	}
	return true
}

// ClickKeys answers the keys of the menu's click buttons, in menu order, each once.
func (m Menu) ClickKeys() []string {
	out := []string{}
	seen := map[string]bool{}
	add := func(b Button) {
		if b.Type == TypeClick && b.Key != "" && !seen[b.Key] {
			seen[b.Key] = true
			out = append(out, b.Key)
		}
	}
	for _, b := range m.Button {
		add(b)
		for _, s := range b.SubButton {
			add(s)
		}
	}
	return out
}

// State is an account's menu as the console keeps it: the draft the operator edits (or, without one, the
// last published menu) and whether it is what WeChat shows.
type State struct {
	// Menu is the draft; nil when the account has neither a draft nor a published menu.
	Menu *Menu `json:"menu"`
	// Published tells whether Menu equals the menu last published (or imported) and not deleted since.
	Published bool `json:"published"`
	// UpdatedAt and UpdatedBy (a user id) say who last saved or imported the draft.
	UpdatedAt *time.Time `json:"updatedAt"`
	UpdatedBy *int64     `json:"updatedBy"`
	// PublishedAt and PublishedBy say who last published or imported the live menu; nil when it was
	// deleted since, or never published through the console.
	PublishedAt *time.Time `json:"publishedAt"`
	PublishedBy *int64     `json:"publishedBy"`
}

// Actions recorded in the history.
const (
	ActionSave    = "save"
	ActionPublish = "publish"
	ActionDelete  = "delete"
	ActionImport  = "import"
)

// HistoryEntry is one change of an account's menu. Menu is the menu saved, published or imported; for a
// delete, the menu that was live before (nil when the console did not know it).
type HistoryEntry struct {
	ID        int64     `json:"id"`
	Action    string    `json:"action"`
	UserID    *int64    `json:"userId"`
	Menu      *Menu     `json:"menu"`
	CreatedAt time.Time `json:"createdAt"`
}

// Warning tells the operator about a button an import could only approximate.
type Warning struct {
	Field string `json:"field"` // the button's path, e.g. button[0].sub_button[1]
	Msg   string `json:"msg"`
}

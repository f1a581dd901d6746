package menu

import (
	"context"
	"errors"
	"fmt"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is what the package asks of WeChat's menu APIs. *wxclient.Client implements it; each call takes
// the official account's appid and answers WeChat's errors as errors implementing apperr.WeChatError.
type WeChat interface {
	CreateMenu(ctx context.Context, appid string, m wxclient.Menu) error
	GetMenu(ctx context.Context, appid string) (wxclient.MenuResponse, error)
	DeleteMenu(ctx context.Context, appid string) error
	CurrentSelfMenu(ctx context.Context, appid string) (wxclient.SelfMenuInfo, error)
}

var _ WeChat = (*wxclient.Client)(nil)

// toWire answers m as menu/create's body.
func toWire(m Menu) wxclient.Menu {
	out := wxclient.Menu{Button: make([]wxclient.Button, 0, len(m.Button))}
	for _, b := range m.Button {
		out.Button = append(out.Button, toWireButton(b))
	}
	return out
}

func toWireButton(b Button) wxclient.Button {
	w := wxclient.Button{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL, MediaID: b.MediaID,
		ArticleID: b.ArticleID, AppID: b.AppID, PagePath: b.PagePath}
	for _, s := range b.SubButton {
		w.SubButton = append(w.SubButton, toWireButton(s))
	}
	return w
}

// fromWire reads menu/get's buttons.
func fromWire(list []wxclient.Button) Menu {
	out := Menu{Button: make([]Button, 0, len(list))}
	for _, w := range list {
		out.Button = append(out.Button, fromWireButton(w))
	}
	return out
}

func fromWireButton(w wxclient.Button) Button {
	b := Button{Type: w.Type, Name: w.Name, Key: w.Key, URL: w.URL, MediaID: w.MediaID,
		ArticleID: w.ArticleID, AppID: w.AppID, PagePath: w.PagePath}
	for _, s := range w.SubButton {
		b.SubButton = append(b.SubButton, fromWireButton(s))
	}
	return b
}

// wechatError gives WeChat's menu errors a plain explanation for the operator; every other code keeps
// the client's own. The API edge answers it with 50200, wxErrcode and wxErrmsg like any WeChat error.
type wechatError struct {
	apperr.WeChatError
}

// Explanation answers the menu-specific sentence for the code, else the client's.
func (e *wechatError) Explanation() string {
	if s, ok := menuExplanations[e.WeChatCode()]; ok {
		return s
	}
	return e.WeChatError.Explanation()
}

// Unwrap keeps the client's error reachable (errors.Is(err, &wxclient.Error{Errcode: n})).
func (e *wechatError) Unwrap() error { return e.WeChatError }

// wechatErr wraps err from a WeChat call made for op: WeChat's answers get the menu explanations, every
// error the operation's name.
func wechatErr(op string, err error) error {
	var wx apperr.WeChatError
	if errors.As(err, &wx) {
		return fmt.Errorf("%s: %w", op, &wechatError{WeChatError: wx})
	}
	return fmt.Errorf("%s: %w", op, err)
}

// menuExplanations are WeChat's menu error codes, explained. The console validates menus before sending
// them, so most of these mean WeChat's rules changed or an account-specific check failed.
var menuExplanations = map[int]string{
	40007: "A media_id button names a material WeChat does not know for this account: it must be a permanent material of the account (image, voice, video or news).",
	40016: "WeChat refused the number of buttons: a menu has 1 to 3 top-level buttons.",
	40017: "WeChat refused the type of a top-level button.",
	40018: "WeChat refused the name of a top-level button: it must be 1 to 16 bytes (5 Chinese characters).",
	40019: "WeChat refused the key of a top-level button: it must be 1 to 128 bytes.",
	40020: "WeChat refused the url of a top-level button: it must be 1 to 1024 bytes.",
	40022: "WeChat refused the menu's levels: sub-buttons cannot have sub-buttons.",
	40023: "WeChat refused the number of sub-buttons: a button has at most 5.",
	40024: "WeChat refused the type of a sub-button.",
	40025: "WeChat refused the name of a sub-button: it must be 1 to 60 bytes (20 Chinese characters).",
	40026: "WeChat refused the key of a sub-button: it must be 1 to 128 bytes.",
	40027: "WeChat refused the url of a sub-button: it must be 1 to 1024 bytes.",
	40033: "WeChat refused characters in the menu (it does not accept \\uXXXX escapes): remove control characters and unusual symbols from names, keys and urls.",
	40054: "WeChat refused the url of a sub-button: it must be a valid http(s) link on a domain WeChat accepts.",
	40055: "WeChat refused the url of a top-level button: it must be a valid http(s) link on a domain WeChat accepts.",
	45064: "A mini program button names a mini program that is not linked to this official account: link it in WeChat's admin first.",
	46003: "The account has no custom menu on WeChat.",
	48001: "This account may not use WeChat's custom menu API: unverified subscription accounts cannot; verify the account in WeChat's admin.",
	53600: "An article_id button names an article WeChat does not know: use the article_id of a published article of this account.",
	65303: "The account has no default menu, which WeChat requires before a personalised one.",
	65305: "The account has as many personalised menus as WeChat allows.",
	65306: "This account type does not support personalised menus.",
	65308: "A button has no action: give every button without sub-buttons a type.",
	65316: "The menu links to too many domains: WeChat allows links to at most 3 domains in one menu.",
	65317: "WeChat refused a url of the menu as invalid.",
}

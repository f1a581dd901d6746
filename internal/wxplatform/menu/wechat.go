package menu

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/i18n"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is what the package asks of WeChat's menu APIs. *wxclient.Client implements it; each call takes
// the official account's appid and answers WeChat's errors as errors implementing apperr.WeChatError.
type WeChat interface {
	CreateMenu(ctx context.Context, appid string, m wxclient.Menu) error
	GetMenu(ctx context.Context, appid string) (wxclient.MenuResponse, error)
	DeleteMenu(ctx context.Context, appid string) error
	CurrentSelfMenu(ctx context.Context, appid string) (wxclient.SelfMenuInfo, error)
	AddConditionalMenu(ctx context.Context, appid string, m wxclient.ConditionalMenuRequest) (string, error)
	DeleteConditionalMenu(ctx context.Context, appid, menuID string) error
	TryMatchMenu(ctx context.Context, appid, userID string) (wxclient.Menu, error)
	Tags(ctx context.Context, appid string) ([]wxclient.Tag, error)
}

var _ WeChat = (*wxclient.Client)(nil)

// toWire answers m as menu/create's body.
func toWire(m Menu) wxclient.Menu {
	out := wxclient.Menu{Button: m.Clone().Button}
	if out.Button == nil {
		out.Button = []Button{}
	}
	return out
}

// fromWire reads menu/get's buttons.
func fromWire(list []wxclient.Button) Menu {
	return Menu{Button: Menu{Button: list}.Clone().Button}
}

// wechatError gives WeChat's menu errors a plain explanation for the operator; every other code keeps
// the client's own. The API edge answers it with 50200, wxErrcode and wxErrmsg like any WeChat error.
type wechatError struct {
	apperr.WeChatError
}

// ExplanationKey answers the menu-specific sentence's key for the code, else the client's.
func (e *wechatError) ExplanationKey() (string, []any) {
	if menuExplained[e.WeChatCode()] {
		return "wx.menu." + strconv.Itoa(e.WeChatCode()), nil
	}
	return e.WeChatError.ExplanationKey()
}

// Explanation answers the menu-specific English sentence for the code, else the client's.
func (e *wechatError) Explanation() string {
	if menuExplained[e.WeChatCode()] {
		key, _ := e.ExplanationKey()
		return i18n.Embedded().T(i18n.EN, key)
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

// menuExplained are WeChat's menu error codes with a sentence of their own, "wx.menu.<code>" in the i18n
// catalogue. The console validates menus before sending them, so most of these mean WeChat's rules
// changed or an account-specific check failed.
var menuExplained = map[int]bool{
	40007: true, 40016: true, 40017: true, 40018: true, 40019: true, 40020: true, 40022: true, 40023: true,
	40024: true, 40025: true, 40026: true, 40027: true, 40033: true, 40054: true, 40055: true, 45064: true,
	46003: true, 48001: true, 53600: true, 65303: true, 65305: true, 65306: true, 65308: true, 65316: true,
	65317: true, 65301: true, 65302: true, 65304: true, 65320: true,
}

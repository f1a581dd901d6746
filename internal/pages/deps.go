package pages

import (
	"fmt"
	"github.com/socialinzen/socialinzen/internal/broadcasts"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/socialinzen/socialinzen/internal/articles"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/stats"
	"github.com/socialinzen/socialinzen/internal/teams"
	"github.com/socialinzen/socialinzen/internal/user"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/conversations"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/jssdk"
	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/qrcode"
)

// Deps are the services the pages call: the same ones the JSON API calls.
type Deps struct {
	Users    *user.Service
	Accounts *accounts.Service
	// Sandbox enables the one-click binding of the emulator's demo account.
	Sandbox     bool
	DemoAccount func() accounts.BindInput
	// SecureCookies marks cookies Secure (BASE_URL is https).
	SecureCookies bool
	Logger        *slog.Logger
	// MailRate limits the forms that send mail (register, forgot) per client address; nil: unlimited.
	MailRate *httpapi.ClientRate

	// The capabilities of the console pages, all required (New refuses a Deps without one).
	Replies   *reply.Service
	Inbox     *messages.Store // the stored messages (Inbox) and their daily counts (DailyCounts)
	Materials *materials.Service
	Followers *followers.Service
	QRCodes   *qrcode.Service
	Menus     *menu.Service
	Articles  *articles.Service
	// Conversations answers followers (contract §16).
	Conversations *conversations.Service
	// Stats draws WeChat's statistics on the dashboard.
	Stats *stats.Service
	// Broadcasts sends mass and template messages (contract §18).
	Broadcasts *broadcasts.Service
	// Audit reads the audit log (contract §14) for Settings → Audit log.
	Audit *audit.Service
	// JSTickets answers an account's jsapi_ticket (the WeChat client).
	JSTickets jssdk.Tickets
	// Teams is members and invitations (contract §14); nil leaves out Settings → Members, API tokens and
	// /invite (tests of other pages).
	Teams *teams.Service
	// Component is the third-party platform (contract §15); nil when the console runs without one.
	Component Component
	// Router is the console's own HTTP handler: the chat simulator sends its messages through it to
	// /wxplatform/callback/{appid}, the path WeChat takes.
	Router http.Handler
}

// check answers an error naming the services Deps lacks: the pages need every one.
func (d Deps) check() error {
	var missing []string
	for name, ok := range map[string]bool{"Users": d.Users != nil, "Accounts": d.Accounts != nil,
		"Replies": d.Replies != nil, "Inbox": d.Inbox != nil, "Materials": d.Materials != nil,
		"Followers": d.Followers != nil, "QRCodes": d.QRCodes != nil, "Menus": d.Menus != nil,
		"JSTickets": d.JSTickets != nil, "Router": d.Router != nil, "Articles": d.Articles != nil,
		"Conversations": d.Conversations != nil, "Stats": d.Stats != nil, "Broadcasts": d.Broadcasts != nil,
		"Audit": d.Audit != nil} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("pages: Deps lacks %s", strings.Join(missing, ", "))
	}
	return nil
}

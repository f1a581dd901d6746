package pages

import (
	"github.com/socialinzen/socialinzen/internal/broadcasts"
	"log/slog"
	"net/http"

	"github.com/socialinzen/socialinzen/internal/articles"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/stats"
	"github.com/socialinzen/socialinzen/internal/user"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/conversations"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/jssdk"
	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
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

	// The capabilities of the console pages. A nil one makes its page answer "not available" instead of
	// failing to start, so the console can be assembled piece by piece.
	Replies   *reply.Service
	Inbox     *callback.Handler // the stored messages (Inbox) and their daily counts (DailyCounts)
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
	// JSTickets answers an account's jsapi_ticket (the WeChat client).
	JSTickets jssdk.Tickets
	// Component is the third-party platform (contract §15); nil when the console runs without one.
	Component Component
	// Router is the console's own HTTP handler: the chat simulator sends its messages through it to
	// /wxplatform/callback/{appid}, the path WeChat takes.
	Router http.Handler
}

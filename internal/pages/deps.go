package pages

import (
	"log/slog"

	"github.com/socialinzen/socialinzen/internal/user"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
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
}

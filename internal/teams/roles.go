// Package teams is contract §14's members and roles of an official account: who may act on it and with
// which role (owner › admin › editor › agent › viewer), invitations by mail, and the one rule that decides
// whether a role may call a route, for the API (the httpapi.Group Authorize hook) and the pages alike.
package teams

import (
	"context"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// Need answers the least role a route asks for: its MinRole, or by default viewer for a read and editor
// for a write. docs/ROLES.md is the table of every account-scoped route; the role walk test checks it.
func Need(r httpapi.Route) domain.Role {
	if r.Min != httpapi.RoleAny {
		return r.Min
	}
	if r.Write {
		return domain.RoleEditor
	}
	return domain.RoleViewer
}

// ErrRoleTooLow is the refusal of a role too low; the message names the role needed.
func ErrRoleTooLow(need domain.Role) error {
	return apperr.New(apperr.Forbidden, "this needs the "+string(need)+" role on this official account").
		WithKey("err.team.role_needed", string(need))
}

// Allow is THE rule: may an operator holding role do what needs need?
func Allow(role, need domain.Role) error {
	if role.AtLeast(need) {
		return nil
	}
	return ErrRoleTooLow(need)
}

// Check answers whether role may call the route.
func Check(r httpapi.Route, role domain.Role) error { return Allow(role, Need(r)) }

// Authorize is the httpapi.Group hook of every authenticated API group. On a scoped group the account and
// the operator's role are in ctx (accounts.Scope); on an unscoped one the endpoint resolves its account
// itself and accounts.Resolve calls CheckContext with the route the adapter put in ctx.
func Authorize(ctx context.Context, r httpapi.Route) error {
	if _, ok := domain.AccountFrom(ctx); !ok {
		return nil
	}
	role, _ := domain.RoleFrom(ctx)
	return Check(r, role)
}

// CheckContext is accounts.Options.Authorize: role against the route in ctx; no route (a page, a public
// endpoint) asks nothing beyond membership.
func CheckContext(ctx context.Context, role domain.Role) error {
	r, ok := httpapi.RouteFrom(ctx)
	if !ok {
		return nil
	}
	return Check(r, role)
}

package domain

import "context"

// Role is what an operator may do on an official account (contract §14). Each role includes the next:
// owner › admin › editor › agent › viewer.
type Role string

// The roles, from the most to the least powerful.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
	RoleAgent  Role = "agent"
	RoleViewer Role = "viewer"
)

// Roles lists every role, the most powerful first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleEditor, RoleAgent, RoleViewer}

// rank orders the roles; an unknown role ranks 0, below viewer.
func (r Role) rank() int {
	switch r {
	case RoleOwner:
		return 5
	case RoleAdmin:
		return 4
	case RoleEditor:
		return 3
	case RoleAgent:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid says r is one of the five roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast says r includes need.
func (r Role) AtLeast(need Role) bool { return r.rank() >= need.rank() && r.rank() > 0 }

const roleKey ctxKey = 100

// WithRole answers ctx carrying the operator's role on the account the request acts on.
func WithRole(ctx context.Context, r Role) context.Context {
	return context.WithValue(ctx, roleKey, r)
}

// RoleFrom answers the role WithRole put in ctx; ok is false when there is none.
func RoleFrom(ctx context.Context) (Role, bool) {
	r, ok := ctx.Value(roleKey).(Role)
	return r, ok && r != ""
}

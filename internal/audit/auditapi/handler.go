// Package auditapi serves the audit log's JSON endpoint, auditLog under /apis/team (contract §14). It is a
// package of its own so that package audit, which every service calls inside its transactions, depends
// on no HTTP package.
package auditapi

import (
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// Handler serves auditLog.
type Handler struct {
	svc *audit.Service
}

// NewHandler serves svc.
func NewHandler(svc *audit.Service) *Handler { return &Handler{svc: svc} }

// Routes registers auditLog on an account-scoped group (admin and owner only).
func (h *Handler) Routes(g httpapi.Group) {
	g.ReadJSON("/auditLog", h.list, httpapi.MinRole("admin"))
}

func (h *Handler) list(r *httpapi.Request) (httpapi.Answer, error) {
	var q audit.Query
	for _, f := range []struct {
		key string
		dst *string
	}{{"offset", &q.Offset}, {"limit", &q.Limit}, {"action", &q.Action}, {"userId", &q.UserID},
		{"target", &q.Target}, {"from", &q.From}, {"to", &q.To}} {
		v, err := r.Body.String(f.key)
		if err != nil {
			return nil, err
		}
		*f.dst = v
	}
	f, err := h.svc.Parse(q)
	if err != nil {
		return nil, err
	}
	p, err := h.svc.List(r.Ctx, r.Account.ID, f)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"total": p.Total, "entries": p.Entries}, nil
}

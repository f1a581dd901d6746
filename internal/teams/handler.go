package teams

import (
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// Handler serves /apis/team/... (contract §14).
type Handler struct {
	svc *Service
}

// NewHandler builds the handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Routes mounts the member endpoints on an authenticated, scoped /apis/team group with the Authorize hook.
func (h *Handler) Routes(g httpapi.Group) {
	admin := httpapi.MinRole(domain.RoleAdmin)
	g.ReadJSON("/listMembers", h.list, admin)
	g.WriteJSON("/inviteMember", h.invite, admin)
	g.WriteJSON("/setMemberRole", h.setRole, admin)
	g.WriteJSON("/removeMember", h.remove, admin)
	g.WriteJSON("/cancelInvitation", h.cancel, admin)
	g.WriteJSON("/transferOwnership", h.transfer, httpapi.MinRole(domain.RoleOwner))
	g.WriteJSON("/leaveAccount", h.leave, httpapi.MinRole(domain.RoleViewer))
}

// InviteRoutes mounts acceptInvitation on an authenticated, unscoped /apis/team group: the invitee is not
// a member of any account yet.
func (h *Handler) InviteRoutes(g httpapi.Group) {
	g.WriteJSON("/acceptInvitation", h.accept)
}

func (h *Handler) list(req *httpapi.Request) (httpapi.Answer, error) {
	t, err := h.svc.List(req.Ctx, req.Account.ID)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"members": t.Members, "invitations": t.Invitations}, nil
}

func (h *Handler) invite(req *httpapi.Request) (httpapi.Answer, error) {
	inv, err := h.svc.Invite(req.Ctx, req.Account.ID, req.UserID(), req.Account.Name, req.Body.Str("email"), req.Body.Str("role"))
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"invitation": inv}, nil
}

func userID(b *httpapi.Body, key string) (int64, error) {
	n, ok, err := b.Int(key)
	if err != nil {
		return 0, err
	}
	if !ok || n <= 0 {
		if !ok {
			return 0, apperr.Missing(key)
		}
		return 0, apperr.Invalidf(key, "must be a positive integer").WithKey("err.field.positive", key)
	}
	return n, nil
}

func (h *Handler) setRole(req *httpapi.Request) (httpapi.Answer, error) {
	id, err := userID(req.Body, "userId")
	if err != nil {
		return nil, err
	}
	return nil, h.svc.SetRole(req.Ctx, req.Account.ID, req.UserID(), id, req.Body.Str("role"))
}

func (h *Handler) remove(req *httpapi.Request) (httpapi.Answer, error) {
	id, err := userID(req.Body, "userId")
	if err != nil {
		return nil, err
	}
	return nil, h.svc.Remove(req.Ctx, req.Account.ID, req.UserID(), id)
}

func (h *Handler) cancel(req *httpapi.Request) (httpapi.Answer, error) {
	id, err := userID(req.Body, "id")
	if err != nil {
		return nil, err
	}
	return nil, h.svc.CancelInvitation(req.Ctx, req.Account.ID, req.UserID(), id)
}

func (h *Handler) transfer(req *httpapi.Request) (httpapi.Answer, error) {
	id, err := userID(req.Body, "userId")
	if err != nil {
		return nil, err
	}
	return nil, h.svc.TransferOwnership(req.Ctx, req.Account.ID, req.UserID(), id)
}

func (h *Handler) leave(req *httpapi.Request) (httpapi.Answer, error) {
	// Named, never implied: leaving "the first account" by accident is not undone by the leaver.
	if strings.TrimSpace(req.Body.Str("appid")) == "" {
		return nil, apperr.Missing("appid")
	}
	return nil, h.svc.Leave(req.Ctx, req.Account.ID, req.UserID())
}

func (h *Handler) accept(req *httpapi.Request) (httpapi.Answer, error) {
	token := strings.TrimSpace(req.Body.Str("token"))
	if token == "" {
		return nil, apperr.Missing("token")
	}
	info, err := h.svc.Accept(req.Ctx, req.Principal, token)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"appid": info.AppID, "role": info.Role}, nil
}

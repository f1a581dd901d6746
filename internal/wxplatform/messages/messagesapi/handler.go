// Package messagesapi is the inbox's JSON route, /apis/wxplatform/messages (contract §5), on the message
// store.
package messagesapi

import (
	"context"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
)

// Inbox answers pages of stored messages; *messages.Store implements it.
type Inbox interface {
	Inbox(ctx context.Context, q messages.InboxQuery) (*messages.InboxPage, error)
}

// Handler serves the inbox.
type Handler struct{ inbox Inbox }

// NewHandler builds the inbox handler.
func NewHandler(inbox Inbox) *Handler { return &Handler{inbox: inbox} }

// Routes mounts /messages on the authenticated, account-scoped /apis/wxplatform group (after
// httpapi.RequireAuth and accounts.Scope).
func (h *Handler) Routes(g httpapi.Group) {
	g.ReadJSON("/messages", h.listMessages)
}

func (h *Handler) listMessages(req *httpapi.Request) (httpapi.Answer, error) {
	acct, b := req.Account, req.Body
	q := messages.InboxQuery{AccountID: acct.ID, OpenID: strings.TrimSpace(b.Str("openid")), Limit: messages.DefaultInboxLimit}
	if n, ok, err := b.Int("offset"); err != nil {
		return nil, err
	} else if ok {
		if n < 0 || n > 1_000_000 {
			return nil, apperr.Invalidf("offset", "must be between 0 and 1000000").WithKey("err.field.between", "offset", 0, 1000000)
		}
		q.Offset = int(n)
	}
	if n, ok, err := b.Int("limit"); err != nil {
		return nil, err
	} else if ok {
		if n < 1 || n > messages.MaxInboxLimit {
			return nil, apperr.Invalidf("limit", "must be between 1 and %d", messages.MaxInboxLimit).WithKey("err.field.between", "limit", 1, messages.MaxInboxLimit)
		}
		q.Limit = int(n)
	}
	page, err := h.inbox.Inbox(req.Ctx, q)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"total": page.Total, "messages": page.Messages}, nil
}

package conversations

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// AccountLister answers the accounts an operator may see; *accounts.Service implements it.
type AccountLister interface {
	List(ctx context.Context, userID int64) ([]*accounts.Account, error)
}

// Handler serves the endpoints of contract §16.
type Handler struct {
	Service  *Service
	Hub      *Hub
	Accounts AccountLister
	// Heartbeat is how often an idle stream gets a comment line (default 15 s).
	Heartbeat time.Duration
}

// Routes mounts the account-scoped endpoints on the /apis/wxplatform group (after httpapi.RequireAuth
// and accounts.Scope).
func (h *Handler) Routes(g httpapi.Group) {
	g.Read("/listConversations", h.listConversations)
	g.Read("/getConversation", h.getConversation)
	g.Write("/sendMessage", h.sendMessage)
	g.Write("/markRead", h.markRead)
	g.Write("/assignConversation", h.assign)
	g.Write("/typing", h.typing)
	g.Read("/listQuickReplies", h.listQuickReplies)
	g.Write("/saveQuickReply", h.saveQuickReply)
	g.Write("/deleteQuickReply", h.deleteQuickReply)
}

// StreamRoutes mounts GET /events on an authenticated /apis/wxplatform group without accounts.Scope: the
// stream carries every account of the caller (or the one named by ?appid=).
func (h *Handler) StreamRoutes(g gin.IRouter) {
	g.GET("/events", h.events)
}

func intField(b *httpapi.Body, key string, def, lo, hi int64) (int64, error) {
	n, ok, err := b.Int(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return def, nil
	}
	if n < lo || n > hi {
		return 0, apperr.Invalidf(key, "must be between %d and %d", lo, hi).WithKey("err.field.between", key, lo, hi)
	}
	return n, nil
}

// ParseListQuery reads listConversations' fields; me is the caller (assignee "me").
func ParseListQuery(b *httpapi.Body, me int64) (ListQuery, error) {
	var q ListQuery
	off, err := intField(b, "offset", 0, 0, 1_000_000)
	if err != nil {
		return q, err
	}
	lim, err := intField(b, "limit", DefaultLimit, 1, MaxLimit)
	if err != nil {
		return q, err
	}
	q.Offset, q.Limit = int(off), int(lim)
	if v, ok, err := b.Bool("unread"); err != nil {
		return q, err
	} else if ok {
		q.Unread = v
	}
	switch a := strings.TrimSpace(b.Str("assignee")); a {
	case "", "any", "all":
	case "me", "mine":
		q.Assignee = me
	case "none", "null", "unassigned":
		q.Assignee = AssigneeNone
	default:
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n <= 0 {
			return q, apperr.Invalidf("assignee", `must be a user id, "me" or "none"`).WithKey("err.conversation.assignee", "assignee")
		}
		q.Assignee = n
	}
	q.Q = strings.TrimSpace(b.Str("q"))
	if len(q.Q) > 100 {
		return q, apperr.Invalidf("q", "may be at most 100 bytes").WithKey("err.field.may_max_bytes", "q", 100)
	}
	return q, nil
}

func (h *Handler) listConversations(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	q, err := ParseListQuery(b, httpapi.UserID(c))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	list, total, err := h.Service.List(c.Request.Context(), a, q)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"total": total, "conversations": list})
}

func (h *Handler) getConversation(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	before, err := intField(b, "before", 0, 1, 1<<62)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	limit, err := intField(b, "limit", DefaultLimit, 1, MaxLimit)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	t, err := h.Service.Timeline(c.Request.Context(), a, strings.TrimSpace(b.Str("openid")), before, int(limit))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	out := gin.H{"openid": t.Conversation.OpenID, "conversation": t.Conversation, "messages": t.Messages, "hasMore": t.HasMore}
	if t.Before > 0 {
		out["before"] = t.Before
	}
	httpapi.OK(c, out)
}

// operator is the caller as a sender.
func operator(c *gin.Context) Operator {
	p, _ := httpapi.CurrentPrincipal(c)
	return Operator{UserID: p.UserID, Username: p.Username}
}

func (h *Handler) sendMessage(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	in, err := SendFields(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	it, err := h.Service.Send(c.Request.Context(), a, operator(c), in)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"message": it, "id": it.ID})
}

// SendFields reads sendMessage's fields: openid, type, reply (an object, or a JSON text in a form field;
// for text also a plain string or `content`), retryOf, clientMsgId.
func SendFields(b *httpapi.Body) (SendInput, error) {
	in := SendInput{OpenID: strings.TrimSpace(b.Str("openid")), Type: strings.TrimSpace(b.Str("type"))}
	if in.Type == "" {
		in.Type = "text"
	}
	raw, err := b.JSON("reply")
	if err != nil {
		return in, err
	}
	if raw == nil && b.Has("content") {
		raw, err = b.JSON("content")
		if err != nil {
			return in, err
		}
	}
	in.Reply = raw
	retry, err := intField(b, "retryOf", 0, 1, 1<<62)
	if err != nil {
		return in, err
	}
	in.RetryOf = retry
	in.ClientID = strings.TrimSpace(b.Str("clientMsgId"))
	return in, nil
}

func (h *Handler) markRead(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	conv, err := h.Service.MarkRead(c.Request.Context(), a, strings.TrimSpace(b.Str("openid")))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"conversation": conv})
}

func (h *Handler) assign(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	uid, err := AssigneeField(b, httpapi.UserID(c))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	conv, err := h.Service.Assign(c.Request.Context(), a, strings.TrimSpace(b.Str("openid")), uid)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"conversation": conv})
}

// AssigneeField reads assignConversation's userId: a user id, null/""/0 (nobody) or "me".
func AssigneeField(b *httpapi.Body, me int64) (int64, error) {
	if !b.Has("userId") {
		return 0, apperr.Missing("userId")
	}
	s := strings.TrimSpace(b.Str("userId"))
	switch s {
	case "", "null", "none", "0":
		return 0, nil
	case "me":
		return me, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, apperr.Invalidf("userId", "must be a user id or null").WithKey("err.conversation.user_id", "userId")
	}
	return n, nil
}

func (h *Handler) typing(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	cancel := false
	if v, ok, err := b.Bool("cancel"); err != nil {
		httpapi.Fail(c, err)
		return
	} else if ok {
		cancel = v
	}
	if err := h.Service.Typing(c.Request.Context(), a, strings.TrimSpace(b.Str("openid")), cancel); err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, nil)
}

func (h *Handler) listQuickReplies(c *gin.Context) {
	_, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	list, err := h.Service.QuickReplies(c.Request.Context(), a)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"quickReplies": list})
}

func (h *Handler) saveQuickReply(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	in, err := QuickReplyFields(b)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	q, err := h.Service.SaveQuickReply(c.Request.Context(), a, in)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"quickReply": q, "id": q.ID})
}

// QuickReplyFields reads saveQuickReply's fields.
func QuickReplyFields(b *httpapi.Body) (QuickReplyInput, error) {
	id, err := intField(b, "id", 0, 1, 1<<62)
	if err != nil {
		return QuickReplyInput{}, err
	}
	in := QuickReplyInput{ID: id, Title: b.Str("title"), Type: strings.TrimSpace(b.Str("type"))}
	if in.Type == "" {
		in.Type = "text"
	}
	raw, err := b.JSON("reply")
	if err != nil {
		return in, err
	}
	if raw == nil && b.Has("content") {
		if raw, err = b.JSON("content"); err != nil {
			return in, err
		}
	}
	in.Reply = raw
	return in, nil
}

func (h *Handler) deleteQuickReply(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	id, err := intField(b, "id", 0, 1, 1<<62)
	if err == nil && id == 0 {
		err = apperr.Missing("id")
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	if err := h.Service.DeleteQuickReply(c.Request.Context(), a, id); err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, nil)
}

// events is GET /apis/wxplatform/events: Server-Sent Events of the caller's accounts.
func (h *Handler) events(c *gin.Context) {
	ctx := c.Request.Context()
	list, err := h.Accounts.List(ctx, httpapi.UserID(c))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	want := strings.TrimSpace(c.Query("appid"))
	accts := map[int64]string{}
	for _, a := range list {
		if want == "" || a.AppID == want {
			accts[a.ID] = a.AppID
		}
	}
	if want != "" && len(accts) == 0 {
		httpapi.Fail(c, accounts.ErrNotYours)
		return
	}
	var lastID int64
	if v := c.GetHeader("Last-Event-ID"); v != "" {
		lastID, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	} else if v := c.Query("lastEventId"); v != "" {
		lastID, _ = strconv.ParseInt(v, 10, 64)
	}
	sub := h.Hub.Subscribe(accts)
	defer h.Hub.Unsubscribe(sub)

	w := c.Writer
	rc := http.NewResponseController(w)
	// The server's read and write deadlines suit ordinary requests: a stream clears the read deadline (an
	// expired one would cancel the request) and moves the write deadline forward with every write.
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(s string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := w.Write([]byte(s)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("retry: 2000\n: connected\n\n") {
		return
	}
	seen := map[int64]bool{}
	if lastID > 0 {
		events, err := h.Hub.Replay(ctx, accts, lastID)
		if err != nil {
			httpapi.Logger(c).Warn("live stream replay", "err", err)
		}
		for _, e := range events {
			seen[e.ID] = true
			if !write(format(e)) {
				return
			}
		}
	}
	beat := h.Heartbeat
	if beat <= 0 {
		beat = 15 * time.Second
	}
	t := time.NewTicker(beat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.Hub.Done():
			return
		case e, ok := <-sub.C:
			if !ok {
				return // dropped: the client reconnects with Last-Event-ID
			}
			if seen[e.ID] {
				continue
			}
			if !write(format(e)) {
				return
			}
		case <-t.C:
			if !write(": ping\n\n") {
				return
			}
		}
	}
}

func format(e Event) string {
	return "id: " + itoa(e.ID) + "\nevent: " + e.Name + "\ndata: " + string(e.Data) + "\n\n"
}

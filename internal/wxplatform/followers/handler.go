package followers

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// Handler serves the followers and groups endpoints of contract §7.
type Handler struct {
	Service *Service
}

// NewHandler builds the handler.
func NewHandler(s *Service) *Handler { return &Handler{Service: s} }

// Routes mounts the endpoints on the /apis/wxplatform group, which must run httpapi.RequireAuth and
// accounts.Scope (and the 1 MB body limit) before them.
func (h *Handler) Routes(g httpapi.Group) {
	g.WriteJSON("/updateRemark", h.updateRemark, httpapi.MinRole(domain.RoleAgent)) // contract §14: an agent's
	g.ReadJSON("/getGroups", h.getGroups)
	g.ReadJSON("/getWhichGroup", h.getWhichGroup)
	g.WriteJSON("/createGroup", h.createGroup)
	g.WriteJSON("/updateGroup", h.updateGroup)
	g.WriteJSON("/deleteGroup", h.deleteGroup)
	g.WriteJSON("/moveUserToGroup", h.moveUserToGroup, httpapi.MinRole(domain.RoleAgent))
	g.ReadJSON("/getGroupUsers", h.getGroupUsers)
	g.WriteJSON("/syncFollowers", h.syncFollowers)
	g.ReadJSON("/syncStatus", h.syncStatus)
	g.ReadJSON("/getFollowers", h.getFollowers)
}

// text reads a string field, which must be text.
func text(b *httpapi.Body, key string) (string, error) {
	s, err := b.String(key)
	return strings.TrimSpace(s), err
}

// groupID reads the required groupId.
func groupID(b *httpapi.Body) (int, error) {
	n, ok, err := b.Int("groupId")
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, apperr.Missing("groupId")
	}
	return checkGroupID(n)
}

func (h *Handler) updateRemark(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	openid, err := text(b, "openid")
	if err != nil {
		return nil, err
	}
	if !b.Has("remark") {
		return nil, apperr.Missing("remark")
	}
	remark, err := b.String("remark")
	if err != nil {
		return nil, err
	}
	return nil, h.Service.UpdateRemark(req.Ctx, a, openid, remark)
}

func (h *Handler) getGroups(req *httpapi.Request) (httpapi.Answer, error) {
	a := req.Account
	groups, err := h.Service.Groups(req.Ctx, a)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"groups": groups}, nil
}

func (h *Handler) getWhichGroup(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	openid, err := text(b, "openid")
	if err != nil {
		return nil, err
	}
	g, err := h.Service.WhichGroup(req.Ctx, a, openid)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"groupid": g}, nil
}

func (h *Handler) createGroup(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	name, err := b.String("groupName")
	if err != nil {
		return nil, err
	}
	g, err := h.Service.CreateGroup(req.Ctx, a, name)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"group": gin.H{"id": g.ID, "name": g.Name}}, nil
}

func (h *Handler) updateGroup(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	id, err := groupID(b)
	if err != nil {
		return nil, err
	}
	name, err := b.String("groupName")
	if err != nil {
		return nil, err
	}
	g, err := h.Service.UpdateGroup(req.Ctx, a, id, name)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"group": gin.H{"id": g.ID, "name": g.Name}}, nil
}

func (h *Handler) deleteGroup(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	id, err := groupID(b)
	if err != nil {
		return nil, err
	}
	return nil, h.Service.DeleteGroup(req.Ctx, a, id)
}

// moveUserToGroup moves followers (openid: one, or a JSON array of them) to groupId. Without openid it
// is the spec's "group users" call listed under the same path, and answers the same array.
func (h *Handler) moveUserToGroup(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	if !hasAny(b, "openid", "openidList") {
		return h.getGroupUsers(req)
	}
	id, err := groupID(b)
	if err != nil {
		return nil, err
	}
	openids, err := openIDList(b)
	if err != nil {
		return nil, err
	}
	return nil, h.Service.MoveUsers(req.Ctx, a, id, openids)
}

func hasAny(b *httpapi.Body, keys ...string) bool {
	for _, k := range keys {
		if v, ok := b.Fields()[k]; ok && v != nil && v != "" {
			return true
		}
	}
	return false
}

// openIDList reads openid (a string, a JSON array, or a form field holding one) or openidList.
func openIDList(b *httpapi.Body) ([]string, error) {
	key := "openid"
	if !hasAny(b, "openid") {
		key = "openidList"
	}
	raw, err := b.JSON(key)
	if err != nil {
		return nil, err
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		for i := range list {
			list[i] = strings.TrimSpace(list[i])
		}
		return list, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{strings.TrimSpace(one)}, nil
	}
	return nil, apperr.Invalidf(key, "must be an openid or a list of openids").WithKey("followers.err.openids", key)
}

func (h *Handler) getGroupUsers(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	id, err := groupID(b)
	if err != nil {
		return nil, err
	}
	offset, err := b.IntBetween("offset", 0, 0, 1_000_000)
	if err != nil {
		return nil, err
	}
	limit, err := b.IntBetween("limit", defaultGroupUsers, 1, maxGroupUsers)
	if err != nil {
		return nil, err
	}
	users, err := h.Service.GroupUsers(req.Ctx, a, id, int(offset), int(limit))
	if err != nil {
		return nil, err
	}
	return httpapi.List(users), nil
}

func (h *Handler) syncFollowers(req *httpapi.Request) (httpapi.Answer, error) {
	a := req.Account
	st, err := h.Service.StartSync(req.Ctx, a)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields(statusFields(st)), nil
}

func (h *Handler) syncStatus(req *httpapi.Request) (httpapi.Answer, error) {
	a := req.Account
	st, err := h.Service.SyncStatus(req.Ctx, a)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields(statusFields(st)), nil
}

func statusFields(st SyncStatus) gin.H {
	out := gin.H{"state": st.State, "done": st.Done, "total": st.Total}
	if st.Error != "" {
		out["error"] = st.Error
	}
	if st.StartedAt != nil {
		out["startedAt"] = st.StartedAt.UTC()
	}
	if st.FinishedAt != nil {
		out["finishedAt"] = st.FinishedAt.UTC()
	}
	return out
}

// Page bounds of getFollowers.
const (
	defaultFollowers = 20
	maxFollowers     = 100
	maxQueryRunes    = 64
)

func (h *Handler) getFollowers(req *httpapi.Request) (httpapi.Answer, error) {
	b, a := req.Body, req.Account
	q, err := parseQuery(b)
	if err != nil {
		return nil, err
	}
	list, total, err := h.Service.Search(req.Ctx, a, q)
	if err != nil {
		return nil, err
	}
	return httpapi.Fields{"total": total, "followers": list}, nil
}

func parseQuery(b *httpapi.Body) (Query, error) {
	var q Query
	s, err := text(b, "q")
	if err != nil {
		return q, err
	}
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return q, apperr.Invalidf("q", "must be printable text").WithKey("err.field.printable", "q")
	}
	if utf8.RuneCountInString(s) > maxQueryRunes {
		return q, apperr.Invalidf("q", "must be at most %d characters", maxQueryRunes).WithKey("err.field.max_chars", "q", maxQueryRunes)
	}
	q.Q = s
	if n, present, err := b.Int("groupId"); err != nil {
		return q, err
	} else if present {
		g, err := checkGroupID(n)
		if err != nil {
			return q, err
		}
		q.GroupID = &g
	}
	offset, err := b.IntBetween("offset", 0, 0, 10_000_000)
	if err != nil {
		return q, err
	}
	limit, err := b.IntBetween("limit", defaultFollowers, 1, maxFollowers)
	if err != nil {
		return q, err
	}
	q.Offset, q.Limit = int(offset), int(limit)
	return q, nil
}

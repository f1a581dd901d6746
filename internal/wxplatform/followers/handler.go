package followers

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
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
	g.Write("/updateRemark", h.updateRemark)
	g.Read("/getGroups", h.getGroups)
	g.Read("/getWhichGroup", h.getWhichGroup)
	g.Write("/createGroup", h.createGroup)
	g.Write("/updateGroup", h.updateGroup)
	g.Write("/deleteGroup", h.deleteGroup)
	g.Write("/moveUserToGroup", h.moveUserToGroup)
	g.Read("/getGroupUsers", h.getGroupUsers)
	g.Write("/syncFollowers", h.syncFollowers)
	g.Read("/syncStatus", h.syncStatus)
	g.Read("/getFollowers", h.getFollowers)
}

// text reads a string field, which must be text.
func text(b *httpapi.Body, key string) (string, error) {
	s, err := b.String(key)
	return strings.TrimSpace(s), err
}

// intField reads an optional integer field within [lo, hi]; def when absent.
func intField(b *httpapi.Body, key string, def, lo, hi int64) (int64, error) {
	n, ok, err := b.Int(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return def, nil
	}
	if n < lo || n > hi {
		return 0, apperr.Invalidf(key, "must be between %d and %d", lo, hi)
	}
	return n, nil
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

func (h *Handler) updateRemark(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	openid, err := text(b, "openid")
	if err == nil && !b.Has("remark") {
		err = apperr.Missing("remark")
	}
	var remark string
	if err == nil {
		remark, err = b.String("remark")
	}
	if err == nil {
		err = h.Service.UpdateRemark(c.Request.Context(), a, openid, remark)
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, nil)
}

func (h *Handler) getGroups(c *gin.Context) {
	_, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	groups, err := h.Service.Groups(c.Request.Context(), a)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"groups": groups})
}

func (h *Handler) getWhichGroup(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	openid, err := text(b, "openid")
	var g int
	if err == nil {
		g, err = h.Service.WhichGroup(c.Request.Context(), a, openid)
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"groupid": g})
}

func (h *Handler) createGroup(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	name, err := b.String("groupName")
	var g Group
	if err == nil {
		g, err = h.Service.CreateGroup(c.Request.Context(), a, name)
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"group": gin.H{"id": g.ID, "name": g.Name}})
}

func (h *Handler) updateGroup(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	id, err := groupID(b)
	var name string
	if err == nil {
		name, err = b.String("groupName")
	}
	var g Group
	if err == nil {
		g, err = h.Service.UpdateGroup(c.Request.Context(), a, id, name)
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"group": gin.H{"id": g.ID, "name": g.Name}})
}

func (h *Handler) deleteGroup(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	id, err := groupID(b)
	if err == nil {
		err = h.Service.DeleteGroup(c.Request.Context(), a, id)
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, nil)
}

// moveUserToGroup moves followers (openid: one, or a JSON array of them) to groupId. Without openid it
// is the spec's "group users" call listed under the same path, and answers the same array.
func (h *Handler) moveUserToGroup(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	if !hasAny(b, "openid", "openidList") {
		h.getGroupUsers(c)
		return
	}
	id, err := groupID(b)
	var openids []string
	if err == nil {
		openids, err = openIDList(b)
	}
	if err == nil {
		err = h.Service.MoveUsers(c.Request.Context(), a, id, openids)
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, nil)
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
	return nil, apperr.Invalidf(key, "must be an openid or a list of openids")
}

func (h *Handler) getGroupUsers(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	id, err := groupID(b)
	var offset, limit int64
	if err == nil {
		offset, err = intField(b, "offset", 0, 0, 1_000_000)
	}
	if err == nil {
		limit, err = intField(b, "limit", defaultGroupUsers, 1, maxGroupUsers)
	}
	var users []UserView
	if err == nil {
		users, err = h.Service.GroupUsers(c.Request.Context(), a, id, int(offset), int(limit))
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.Array(c, users)
}

func (h *Handler) syncFollowers(c *gin.Context) {
	_, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	st, err := h.Service.StartSync(c.Request.Context(), a)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, statusFields(st))
}

func (h *Handler) syncStatus(c *gin.Context) {
	_, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	st, err := h.Service.SyncStatus(c.Request.Context(), a)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, statusFields(st))
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

func (h *Handler) getFollowers(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	q, err := parseQuery(b)
	var list []Follower
	var total int64
	if err == nil {
		list, total, err = h.Service.Search(c.Request.Context(), a, q)
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"total": total, "followers": list})
}

func parseQuery(b *httpapi.Body) (Query, error) {
	var q Query
	s, err := text(b, "q")
	if err != nil {
		return q, err
	}
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return q, apperr.Invalidf("q", "must be printable text")
	}
	if utf8.RuneCountInString(s) > maxQueryRunes {
		return q, apperr.Invalidf("q", "must be at most %d characters", maxQueryRunes)
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
	offset, err := intField(b, "offset", 0, 0, 10_000_000)
	if err != nil {
		return q, err
	}
	limit, err := intField(b, "limit", defaultFollowers, 1, maxFollowers)
	if err != nil {
		return q, err
	}
	q.Offset, q.Limit = int(offset), int(limit)
	return q, nil
}

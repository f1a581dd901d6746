package pages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
)

// followersPerPage is the length of a page of the follower list.
const followersPerPage = 20

// followerRow is a follower as the list shows it.
type followerRow struct {
	followers.Follower
	GroupName string
}

type followersData struct {
	Q         string
	GroupID   string // the filter: "" for every group
	Followers []followerRow
	Pager     Pager
	Groups    []followers.Group
	GroupsErr string
	Sync      followers.SyncStatus
	SyncURL   string
	Back      string // this page with its filters, for the forms to come back to
	// Failed names the form whose errors View.Errors holds: "create", "rename:<id>" or "remark:<openid>".
	Failed string
}

func (p *Pages) followersPage(c *gin.Context) {
	v, ok := p.followersView(c, c.Request.URL.Query())
	if !ok {
		return
	}
	p.html(c, http.StatusOK, "followers", v)
}

// followersView gathers the page for the list's query (q, groupId, offset).
func (p *Pages) followersView(c *gin.Context, query url.Values) (*View, bool) {
	v := p.view(c, "followers", "followers.title")
	a := v.Account
	ctx := c.Request.Context()
	d := &followersData{Q: strings.TrimSpace(query.Get("q")), GroupID: strings.TrimSpace(query.Get("groupId")),
		SyncURL: withAppID("/console/followers/sync/status", a)}
	offset, _ := strconv.Atoi(query.Get("offset"))
	offset = min(max(offset, 0), 1_000_000)
	q := followers.Query{Q: d.Q, Offset: offset, Limit: followersPerPage}
	if g, err := strconv.Atoi(d.GroupID); err == nil && g >= 0 {
		q.GroupID = &g
	} else {
		d.GroupID = ""
	}
	list, total, err := p.deps.Followers.Search(ctx, a, q)
	if err != nil {
		p.fail(c, err)
		return nil, false
	}
	if d.Groups, err = p.deps.Followers.Groups(ctx, a); err != nil {
		d.GroupsErr = errText(c, err)
	}
	names := map[int]string{}
	for _, g := range d.Groups {
		names[g.ID] = g.Name
	}
	for _, f := range list {
		d.Followers = append(d.Followers, followerRow{Follower: f, GroupName: names[f.GroupID]})
	}
	if d.Sync, err = p.deps.Followers.SyncStatus(ctx, a); err != nil {
		logger(c).Warn("followers: sync status", "err", err)
	}
	keep := url.Values{"q": {d.Q}, "groupId": {d.GroupID}}
	d.Pager = pagerFor(offset, followersPerPage, total, keep)
	d.Back = "/console/followers"
	if offset > 0 {
		keep.Set("offset", strconv.Itoa(offset))
	}
	if q := strings.TrimPrefix(string(pagerFor(0, 0, 0, keep).Query), "&"); q != "" {
		d.Back += "?" + q
	}
	v.Data = d
	return v, true
}

// followersFormFailed shows the follower page again, as it was, with the failed form's errors.
func (p *Pages) followersFormFailed(c *gin.Context, failed string, form map[string]string, err error) {
	back := backTo(c, "/console/followers")
	u, _ := url.Parse(back)
	v, ok := p.followersView(c, u.Query())
	if !ok {
		return
	}
	d := v.Data.(*followersData)
	d.Failed = failed
	for k, val := range form {
		v.Form[k] = val
	}
	formError(v, err)
	p.html(c, statusOf(err), "followers", v)
}

// followersSyncStatus answers the sync's progress as JSON, for the page's progress bar.
func (p *Pages) followersSyncStatus(c *gin.Context) {
	st, err := p.deps.Followers.SyncStatus(c.Request.Context(), accounts.Current(c))
	if err != nil {
		c.JSON(statusOf(err), gin.H{"state": "failed", "done": 0, "total": 0, "error": errText(c, err)})
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"state": st.State, "done": st.Done, "total": st.Total, "error": st.Error,
		"label": t(c, "followers.state."+string(st.State))})
}

func (p *Pages) followersSync(c *gin.Context) {
	a := accounts.Current(c)
	back := backTo(c, withAppID("/console/followers", a))
	if _, err := p.deps.Followers.StartSync(c.Request.Context(), a); err != nil {
		p.failed(c, back, err)
		return
	}
	p.done(c, back, "followers.sync.started")
}

func (p *Pages) groupCreate(c *gin.Context) {
	a := accounts.Current(c)
	name := strings.TrimSpace(c.PostForm("groupName"))
	g, err := p.deps.Followers.CreateGroup(c.Request.Context(), a, name)
	if err != nil {
		p.followersFormFailed(c, "create", map[string]string{"groupName": name}, err)
		return
	}
	p.done(c, backTo(c, withAppID("/console/followers", a)), "followers.group.created", g.Name)
}

func (p *Pages) groupRename(c *gin.Context) {
	a := accounts.Current(c)
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil || id < 0 {
		p.failed(c, backTo(c, "/console/followers"), followers.ErrGroupNotFound)
		return
	}
	name := strings.TrimSpace(c.PostForm("groupName"))
	g, err := p.deps.Followers.UpdateGroup(c.Request.Context(), a, id, name)
	if err != nil {
		p.followersFormFailed(c, "rename:"+c.Param("id"), map[string]string{"groupName": name}, err)
		return
	}
	p.done(c, backTo(c, withAppID("/console/followers", a)), "followers.group.renamed", g.Name)
}

func (p *Pages) groupDelete(c *gin.Context) {
	a := accounts.Current(c)
	back := backTo(c, withAppID("/console/followers", a))
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil || id < 0 {
		p.failed(c, back, followers.ErrGroupNotFound)
		return
	}
	if err := p.deps.Followers.DeleteGroup(c.Request.Context(), a, id); err != nil {
		p.failed(c, back, err)
		return
	}
	// The list may be filtered by the group just deleted.
	if strings.Contains(back, "groupId="+c.Param("id")) {
		back = withAppID("/console/followers", a)
	}
	p.done(c, back, "followers.group.deleted")
}

func (p *Pages) followerRemark(c *gin.Context) {
	a := accounts.Current(c)
	openid, remark := strings.TrimSpace(c.PostForm("openid")), c.PostForm("remark")
	if err := p.deps.Followers.UpdateRemark(c.Request.Context(), a, openid, remark); err != nil {
		p.followersFormFailed(c, "remark:"+openid, map[string]string{"remark": remark}, err)
		return
	}
	p.done(c, backTo(c, withAppID("/console/followers", a)), "followers.remark.saved")
}

// followerMove moves one follower to a group; group 1 is the blacklist.
func (p *Pages) followerMove(c *gin.Context) {
	a := accounts.Current(c)
	back := backTo(c, withAppID("/console/followers", a))
	openid := strings.TrimSpace(c.PostForm("openid"))
	g, err := strconv.Atoi(strings.TrimSpace(c.PostForm("groupId")))
	if err != nil || g < 0 {
		p.failed(c, back, apperr.Invalidf("groupId", "must be a group id (0 or more)").WithKey("followers.err.group_id", "groupId"))
		return
	}
	if err := p.deps.Followers.MoveUsers(c.Request.Context(), a, g, []string{openid}); err != nil {
		p.failed(c, back, err)
		return
	}
	key := "followers.moved"
	switch g {
	case followers.GroupBlacklist:
		key = "followers.blacklisted"
	}
	p.done(c, back, key)
}

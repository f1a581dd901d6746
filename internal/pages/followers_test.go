package pages

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
)

// syncFollowers starts a sync from the page and waits for its status endpoint to say it is done.
func (e *consoleEnv) syncFollowers() followers.SyncStatus {
	e.t.Helper()
	doc := requirePage(e.t, e.submit("/console/followers/sync", url.Values{"back": {"/console/followers"}}), e.lang)
	require.NotEmpty(e.t, flashText(doc))
	statusURL, ok := doc.Find("[data-progress-url]").Attr("data-progress-url")
	require.True(e.t, ok)
	require.Equal(e.t, 1, doc.Find("[data-progress-url] progress").Length())
	require.Equal(e.t, 1, doc.Find("[data-progress-url] output").Length())
	var st followers.SyncStatus
	require.Eventually(e.t, func() bool {
		p := e.get(statusURL)
		require.Equal(e.t, http.StatusOK, p.Status, p.Body)
		require.Contains(e.t, p.Header.Get("Content-Type"), "application/json")
		require.NoError(e.t, json.Unmarshal([]byte(p.Body), &st))
		return st.State == followers.StateDone
	}, 10*time.Second, 50*time.Millisecond)
	return st
}

func TestFollowersSyncSearchAndGroups(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 5)
	appid := e.acct.AppID
	doc := requirePage(t, e.get("/console/followers"), LangZH)
	require.Equal(t, 1, doc.Find("#followers-empty").Length())
	require.Equal(t, 1, doc.Find("#sync-refresh").Length(), "a refresh link for the browser without script")

	st := e.syncFollowers()
	require.Equal(t, 5, st.Total)
	require.Equal(t, 5, st.Done)
	doc = requirePage(t, e.get("/console/followers"), LangZH)
	require.Equal(t, 5, doc.Find("#followers tbody tr").Length())
	require.Contains(t, doc.Find("#sync-output").Text(), "已完成")

	emuFollowers := e.Emu.Followers(appid)
	target := emuFollowers[2].OpenID
	doc = requirePage(t, e.get("/console/followers?q="+url.QueryEscape(target)), LangZH)
	require.Equal(t, 1, doc.Find("#followers tbody tr").Length())
	require.Contains(t, doc.Find("#followers tbody tr").Text(), target)
	doc = requirePage(t, e.get("/console/followers?q=no-such-follower"), LangZH)
	require.Equal(t, 1, doc.Find("#followers-empty").Length())

	// Groups: a missing name is shown on the create form.
	p := e.post("/console/followers/groups", url.Values{"groupName": {" "}, "back": {"/console/followers"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "f-groupName", "groupName")

	doc = requirePage(t, e.submit("/console/followers/groups", url.Values{"groupName": {"VIP"}, "back": {"/console/followers"}}), LangZH)
	require.Contains(t, flashText(doc), "VIP")
	var vipID int
	doc.Find("#groups tbody tr").Each(func(_ int, s *goquery.Selection) {
		if v, ok := s.Find("input[name=groupName]").Attr("value"); ok && v == "VIP" {
			vipID, _ = strconv.Atoi(strings.TrimSpace(s.Find("td").First().Text()))
		}
	})
	require.GreaterOrEqual(t, vipID, 100)
	gid := strconv.Itoa(vipID)

	// A rename error shows next to that group's field, the list as it was.
	back := "/console/followers?q=" + url.QueryEscape(target)
	p = e.post("/console/followers/groups/"+gid, url.Values{"groupName": {strings.Repeat("长", 11)}, "back": {back}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	doc = p.Doc(t)
	requireFieldError(t, doc, "rename-"+gid, "groupName")
	require.Equal(t, 1, doc.Find("#followers tbody tr").Length(), "the filtered list is kept")

	// Remarks: too long is shown on that follower's field.
	p = e.post("/console/followers/remark", url.Values{"openid": {target}, "remark": {strings.Repeat("备", 31)}, "back": {back}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "remark-"+target, "remark")
	p = e.post("/console/followers/remark", url.Values{"openid": {target}, "remark": {"老客户"}, "back": {back}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, back, p.Location, "back to the list as it was")
	require.Equal(t, "老客户", e.Emu.Remark(appid, target))
	doc = requirePage(t, e.get("/console/followers?q="+url.QueryEscape("老客户")), LangZH)
	v, _ := doc.Find("#remark-" + target).Attr("value")
	require.Equal(t, "老客户", v)

	// Moving to a group, then to the blacklist.
	e.submit("/console/followers/move", url.Values{"openid": {target}, "groupId": {gid}, "back": {back}})
	require.Equal(t, []int{vipID}, e.Emu.FollowerTags(appid, target))
	doc = requirePage(t, e.get("/console/followers?groupId="+gid), LangZH)
	require.Equal(t, 1, doc.Find("#followers tbody tr").Length())
	sel, _ := doc.Find("#move-" + target + " option[selected]").Attr("value")
	require.Equal(t, gid, sel)

	doc = requirePage(t, e.submit("/console/followers/move", url.Values{"openid": {target}, "groupId": {"1"}, "back": {back}}), LangZH)
	require.Contains(t, flashText(doc), "黑名单")
	require.True(t, e.Emu.Blacklisted(appid, target))
	doc = requirePage(t, e.get("/console/followers?groupId=1"), LangZH)
	require.Equal(t, 1, doc.Find("#followers tbody tr").Length())
	require.Contains(t, doc.Find("#followers tbody tr").Text(), "移出黑名单")

	// Deleting the group.
	doc = requirePage(t, e.submit("/console/followers/groups/"+gid+"/delete", url.Values{"back": {"/console/followers?groupId=" + gid}}), LangZH)
	require.Contains(t, flashText(doc), "分组已删除")
	require.Equal(t, 0, doc.Find("#rename-"+gid).Length())
	// Reserved groups offer no rename or delete.
	require.Equal(t, 0, doc.Find(`form[action="/console/followers/groups/1/delete"]`).Length())
}

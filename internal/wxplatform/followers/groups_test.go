package followers_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

func tagNames(tags []wxemu.Tag) map[int]string {
	out := map[int]string{}
	for _, t := range tags {
		out[t.ID] = t.Name
	}
	return out
}

func TestCreateGroup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3, followers.Options{})

	status, out := f.call("createGroup", `{"groupName":"测试分组"}`)
	require.Equal(t, http.StatusOK, status, "%v", out)
	require.EqualValues(t, 0, out["errcode"])
	group := out["group"].(map[string]any)
	require.EqualValues(t, 100, group["id"])
	require.Equal(t, "测试分组", group["name"])
	require.Equal(t, "测试分组", tagNames(f.Emu.Tags(f.acct.AppID))[100], "the tag WeChat received")

	// The same call as form fields.
	status, out = f.call("createGroup", url.Values{"groupName": {"VIP"}})
	require.Equal(t, http.StatusOK, status, "%v", out)
	require.Equal(t, "VIP", tagNames(f.Emu.Tags(f.acct.AppID))[101])

	tests := []struct {
		name       string
		body       string
		wantStatus int
		errcode    int
		field      string
	}{
		{"missing name", `{}`, 400, 40000, "groupName"},
		{"blank name", `{"groupName":"  "}`, 400, 40000, "groupName"},
		{"31 bytes", `{"groupName":"` + strings.Repeat("a", 31) + `"}`, 400, 40000, "groupName"},
		{"11 Chinese characters are 33 bytes", `{"groupName":"一二三四五六七八九十一"}`, 400, 40000, "groupName"},
		{"name an object", `{"groupName":{"a":1}}`, 400, 40000, "groupName"},
		{"duplicate", `{"groupName":"测试分组"}`, 409, 40900, ""},
		{"reserved name", `{"groupName":"黑名单"}`, 409, 40900, ""},
		{"bad JSON", `{"groupName":`, 400, 40000, "body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.call("createGroup", tc.body)
			requireFail(t, status, out, tc.wantStatus, tc.errcode, tc.field)
		})
	}
	require.Len(t, f.Emu.Tags(f.acct.AppID), 3, "no tag created by a refused call (star tag + 2)")

	// 30 bytes exactly is fine.
	status, out = f.call("createGroup", `{"groupName":"一二三四五六七八九十"}`)
	require.Equal(t, http.StatusOK, status, "%v", out)

	// WeChat's own refusal comes back as 50200 with its code.
	f.Emu.SetFault("/cgi-bin/tags/create", wxemu.Fault{Errcode: 45056, Times: 1})
	status, out = f.call("createGroup", `{"groupName":"第四组"}`)
	requireFail(t, status, out, 502, 50200, "")
	require.EqualValues(t, 45056, out["wxErrcode"])
}

func TestUpdateAndDeleteGroup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3, followers.Options{})
	_, out := f.call("createGroup", `{"groupName":"A"}`)
	require.EqualValues(t, 0, out["errcode"], "%v", out)
	_, out = f.call("createGroup", `{"groupName":"B"}`)
	require.EqualValues(t, 0, out["errcode"], "%v", out)

	status, out := f.call("updateGroup", `{"groupId":100,"groupName":"A2"}`)
	require.Equal(t, 200, status, "%v", out)
	require.Equal(t, "A2", tagNames(f.Emu.Tags(f.acct.AppID))[100])
	// groupId as a string, as a form sends it.
	status, out = f.call("updateGroup", url.Values{"groupId": {"100"}, "groupName": {"A3"}})
	require.Equal(t, 200, status, "%v", out)
	require.Equal(t, "A3", tagNames(f.Emu.Tags(f.acct.AppID))[100])

	tests := []struct {
		name, path, body string
		wantStatus       int
		errcode          int
		field            string
	}{
		{"rename reserved 1", "updateGroup", `{"groupId":1,"groupName":"x"}`, 403, 40300, ""},
		{"rename reserved 2", "updateGroup", `{"groupId":2,"groupName":"x"}`, 403, 40300, ""},
		{"rename reserved 0", "updateGroup", `{"groupId":0,"groupName":"x"}`, 403, 40300, ""},
		{"rename unknown", "updateGroup", `{"groupId":999,"groupName":"x"}`, 404, 40400, "groupId"},
		{"rename to taken", "updateGroup", `{"groupId":100,"groupName":"B"}`, 409, 40900, ""},
		{"rename without id", "updateGroup", `{"groupName":"x"}`, 400, 40000, "groupId"},
		{"rename with bad id", "updateGroup", `{"groupId":"abc","groupName":"x"}`, 400, 40000, "groupId"},
		{"rename negative id", "updateGroup", `{"groupId":-3,"groupName":"x"}`, 400, 40000, "groupId"},
		{"rename without name", "updateGroup", `{"groupId":100}`, 400, 40000, "groupName"},
		{"delete reserved", "deleteGroup", `{"groupId":1}`, 403, 40300, ""},
		{"delete star", "deleteGroup", `{"groupId":2}`, 403, 40300, ""},
		{"delete unknown", "deleteGroup", `{"groupId":12345}`, 404, 40400, "groupId"},
		{"delete without id", "deleteGroup", `{}`, 400, 40000, "groupId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.call(tc.path, tc.body)
			requireFail(t, status, out, tc.wantStatus, tc.errcode, tc.field)
		})
	}

	// A follower in group 100 leaves it when the group goes, at WeChat and in the mirror.
	openid := f.emuFollowers()[0].OpenID
	_, out = f.call("moveUserToGroup", map[string]any{"groupId": 100, "openid": openid})
	require.EqualValues(t, 0, out["errcode"], "%v", out)
	status, out = f.call("deleteGroup", `{"groupId":100}`)
	require.Equal(t, 200, status, "%v", out)
	_, gone := tagNames(f.Emu.Tags(f.acct.AppID))[100]
	require.False(t, gone)
	require.Empty(t, f.Emu.FollowerTags(f.acct.AppID, openid))
	var tags string
	require.NoError(t, f.DB.Raw(`SELECT tagid_list::text FROM wx_followers WHERE openid = ?`, openid).Scan(&tags).Error)
	require.Equal(t, "{}", tags)

	f.Emu.SetFault("/cgi-bin/tags/delete", wxemu.Fault{Errcode: 45057, Times: 1})
	status, out = f.call("deleteGroup", `{"groupId":101}`)
	requireFail(t, status, out, 502, 50200, "")
	require.EqualValues(t, 45057, out["wxErrcode"])
}

func TestMoveUserToGroup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 80, followers.Options{})
	app := f.acct.AppID
	fl := f.emuFollowers()
	u := fl[0].OpenID
	_, out := f.call("createGroup", `{"groupName":"A"}`)
	require.EqualValues(t, 0, out["errcode"], "%v", out)
	_, out = f.call("createGroup", `{"groupName":"B"}`)
	require.EqualValues(t, 0, out["errcode"], "%v", out)

	move := func(group int, openid any) map[string]any {
		t.Helper()
		status, out := f.call("moveUserToGroup", map[string]any{"groupId": group, "openid": openid})
		require.Equal(t, 200, status, "%v", out)
		return out
	}
	which := func(openid string) float64 {
		t.Helper()
		status, out := f.call("getWhichGroup", map[string]any{"openid": openid})
		require.Equal(t, 200, status, "%v", out)
		return out["groupid"].(float64)
	}

	require.EqualValues(t, 0, which(u))
	move(100, u)
	require.Equal(t, []int{100}, f.Emu.FollowerTags(app, u))
	require.EqualValues(t, 100, which(u))
	move(101, u)
	require.Equal(t, []int{101}, f.Emu.FollowerTags(app, u), "a move replaces the group")
	move(2, u)
	require.Equal(t, []int{2}, f.Emu.FollowerTags(app, u), "the star group is a tag")

	move(1, u)
	require.True(t, f.Emu.Blacklisted(app, u))
	require.EqualValues(t, 1, which(u))
	move(101, u)
	require.False(t, f.Emu.Blacklisted(app, u), "moving out of 1 takes the follower off the blacklist")
	require.Equal(t, []int{101}, f.Emu.FollowerTags(app, u))
	move(0, u)
	require.Empty(t, f.Emu.FollowerTags(app, u), "moving to 0 removes every tag")
	require.False(t, f.Emu.Blacklisted(app, u))
	require.EqualValues(t, 0, which(u))

	// 60 followers at once: batchtagging takes 50 at most.
	var many []string
	for _, x := range fl[10:70] {
		many = append(many, x.OpenID)
	}
	before := len(f.Requests("/cgi-bin/tags/members/batchtagging"))
	move(100, many)
	calls := f.Requests("/cgi-bin/tags/members/batchtagging")[before:]
	require.Len(t, calls, 2)
	for _, c := range calls {
		var body struct {
			OpenIDList []string `json:"openid_list"`
			TagID      int      `json:"tagid"`
		}
		require.NoError(t, json.Unmarshal(c.Body, &body))
		require.LessOrEqual(t, len(body.OpenIDList), 50)
		require.Equal(t, 100, body.TagID)
	}
	for _, o := range many {
		require.Equal(t, []int{100}, f.Emu.FollowerTags(app, o))
	}
	// ... and moving them on untags them 50 at a time too.
	before = len(f.Requests("/cgi-bin/tags/members/batchuntagging"))
	move(101, many)
	require.Len(t, f.Requests("/cgi-bin/tags/members/batchuntagging")[before:], 2)

	// 25 to the blacklist: batchblacklist takes 20 at most.
	before = len(f.Requests("/cgi-bin/tags/members/batchblacklist"))
	move(1, many[:25])
	calls = f.Requests("/cgi-bin/tags/members/batchblacklist")[before:]
	require.Len(t, calls, 2)
	for _, c := range calls {
		var body struct {
			OpenIDList []string `json:"openid_list"`
		}
		require.NoError(t, json.Unmarshal(c.Body, &body))
		require.LessOrEqual(t, len(body.OpenIDList), 20)
	}
	for _, o := range many[:25] {
		require.True(t, f.Emu.Blacklisted(app, o))
	}

	// The group's users, by getGroupUsers and by moveUserToGroup without openid (the spec's quirk).
	for _, path := range []string{"getGroupUsers", "moveUserToGroup"} {
		status, users, obj := f.callArray(path, `{"groupId":1}`)
		require.Equal(t, 200, status, "%v", obj)
		require.Len(t, users, 25)
		for _, u := range users {
			require.Equal(t, app, u["appid"])
			require.EqualValues(t, 1, u["groupid"])
			require.Contains(t, many[:25], u["openid"])
		}
		status, users, obj = f.callArray(path, `{"groupId":101}`)
		require.Equal(t, 200, status, "%v", obj)
		require.Len(t, users, 60)
		require.EqualValues(t, 101, users[0]["groupid"])
		require.NotEmpty(t, users[0]["nickname"])
	}
	status, users, _ := f.callArray("getGroupUsers", `{"groupId":101,"offset":50,"limit":20}`)
	require.Equal(t, 200, status)
	require.Len(t, users, 10)

	tests := []struct {
		name       string
		path       string
		body       string
		wantStatus int
		errcode    int
		field      string
	}{
		{"move without group", "moveUserToGroup", `{"openid":"` + u + `"}`, 400, 40000, "groupId"},
		{"move with a bad openid", "moveUserToGroup", `{"groupId":100,"openid":"not an openid!"}`, 400, 40000, "openid"},
		{"move to an unknown group", "moveUserToGroup", `{"groupId":999,"openid":"` + u + `"}`, 404, 40400, "groupId"},
		{"move a list with an empty openid", "moveUserToGroup", `{"groupId":100,"openid":["` + u + `",""]}`, 400, 40000, "openid"},
		{"group users of an unknown group", "getGroupUsers", `{"groupId":999}`, 404, 40400, "groupId"},
		{"group users without group", "getGroupUsers", `{}`, 400, 40000, "groupId"},
		{"group users, limit too high", "getGroupUsers", `{"groupId":1,"limit":5000}`, 400, 40000, "limit"},
		{"which group without openid", "getWhichGroup", `{}`, 400, 40000, "openid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.call(tc.path, tc.body)
			requireFail(t, status, out, tc.wantStatus, tc.errcode, tc.field)
		})
	}

	// A well-formed openid that does not follow the account: WeChat's 40003, as 50200.
	status, out = f.call("moveUserToGroup", `{"groupId":100,"openid":"oAAAAA0000000000000000000000"}`)
	requireFail(t, status, out, 502, 50200, "")
	require.EqualValues(t, 40003, out["wxErrcode"])
	status, out = f.call("getWhichGroup", `{"openid":"oAAAAA0000000000000000000000"}`)
	requireFail(t, status, out, 502, 50200, "")
	require.EqualValues(t, 40003, out["wxErrcode"])
}

func TestGetGroups(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10, followers.Options{})
	fl := f.emuFollowers()
	_, out := f.call("createGroup", `{"groupName":"测试分组"}`)
	require.EqualValues(t, 0, out["errcode"], "%v", out)
	_, out = f.call("moveUserToGroup", map[string]any{"groupId": 100, "openid": []string{fl[0].OpenID, fl[1].OpenID}})
	require.EqualValues(t, 0, out["errcode"], "%v", out)
	_, out = f.call("moveUserToGroup", map[string]any{"groupId": 1, "openid": fl[2].OpenID})
	require.EqualValues(t, 0, out["errcode"], "%v", out)

	counts := func() map[float64]any {
		t.Helper()
		status, out := f.call("getGroups", nil)
		require.Equal(t, 200, status, "%v", out)
		m := map[float64]any{}
		var ids []float64
		for _, g := range out["groups"].([]any) {
			g := g.(map[string]any)
			m[g["id"].(float64)] = []any{g["name"], g["count"]}
			ids = append(ids, g["id"].(float64))
		}
		require.Equal(t, []float64{0, 1, 2, 100}, ids)
		return m
	}
	// Before any sync: 0 is estimated (10 followers, 2 tagged, 1 blacklisted), 1 is WeChat's blacklist.
	got := counts()
	require.Equal(t, []any{"未分组", 7.0}, got[0])
	require.Equal(t, []any{"黑名单", 1.0}, got[1])
	require.Equal(t, []any{"星标组", 0.0}, got[2])
	require.Equal(t, []any{"测试分组", 2.0}, got[100])

	_, err := f.svc.StartSync(t.Context(), f.acct)
	require.NoError(t, err)
	require.Equal(t, followers.StateDone, f.waitSync(30e9).State)
	got = counts()
	require.Equal(t, []any{"未分组", 7.0}, got[0], "10 followers, 2 tagged, 1 blacklisted")
	require.Equal(t, []any{"黑名单", 1.0}, got[1])
	require.Equal(t, []any{"测试分组", 2.0}, got[100])
}

func TestGetGroupsBeforeAnySync(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10, followers.Options{})
	_, out := f.call("createGroup", `{"groupName":"测试分组"}`)
	require.EqualValues(t, 0, out["errcode"], "%v", out)
	status, out := f.call("getGroups", nil)
	require.Equal(t, 200, status, "%v", out)
	groups := out["groups"].([]any)
	require.Equal(t, map[string]any{"id": 0.0, "name": "未分组", "count": 10.0}, groups[0])
	require.Equal(t, map[string]any{"id": 1.0, "name": "黑名单", "count": 0.0}, groups[1])

	f.Emu.SetFault("/cgi-bin/tags/get", wxemu.Fault{Errcode: 45009, Times: 1})
	status, out = f.call("getGroups", nil)
	requireFail(t, status, out, 502, 50200, "")
	require.EqualValues(t, 45009, out["wxErrcode"])
}

func TestUpdateRemark(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 3, followers.Options{})
	u := f.emuFollowers()[0].OpenID

	status, out := f.call("updateRemark", map[string]any{"openid": u, "remark": "VIP客户"})
	require.Equal(t, 200, status, "%v", out)
	require.Equal(t, "VIP客户", f.Emu.Remark(f.acct.AppID, u))

	tests := []struct {
		name    string
		body    map[string]any
		errcode int
		field   string
	}{
		{"missing openid", map[string]any{"remark": "x"}, 40000, "openid"},
		{"bad openid", map[string]any{"openid": "a b", "remark": "x"}, 40000, "openid"},
		{"missing remark", map[string]any{"openid": u}, 40000, "remark"},
		{"31 characters", map[string]any{"openid": u, "remark": strings.Repeat("字", 31)}, 40000, "remark"},
		{"remark an array", map[string]any{"openid": u, "remark": []int{1}}, 40000, "remark"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.call("updateRemark", tc.body)
			requireFail(t, status, out, 400, tc.errcode, tc.field)
		})
	}
	require.Equal(t, "VIP客户", f.Emu.Remark(f.acct.AppID, u))

	// 30 characters, Chinese ones too, are fine.
	status, out = f.call("updateRemark", map[string]any{"openid": u, "remark": strings.Repeat("字", 30)})
	require.Equal(t, 200, status, "%v", out)
	require.Equal(t, strings.Repeat("字", 30), f.Emu.Remark(f.acct.AppID, u))

	// WeChat allows remarks to verified service accounts only: its 48001 comes back as 50200.
	f.Emu.SetFault("/cgi-bin/user/info/updateremark", wxemu.Fault{Errcode: 48001, Times: 1})
	status, out = f.call("updateRemark", map[string]any{"openid": u, "remark": "x"})
	requireFail(t, status, out, 502, 50200, "")
	require.EqualValues(t, 48001, out["wxErrcode"])

	// An empty remark clears it.
	status, out = f.call("updateRemark", map[string]any{"openid": u, "remark": ""})
	require.Equal(t, 200, status, "%v", out)
	require.Equal(t, "", f.Emu.Remark(f.acct.AppID, u))
}

package wxemu

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type tagReq map[string]any

func tag(id any, name string) tagReq {
	t := map[string]any{}
	if id != nil {
		t["id"] = id
	}
	if name != "" {
		t["name"] = name
	}
	return tagReq{"tag": t}
}

func TestTagLifecycle(t *testing.T) {
	v := newEnv(t, Options{})
	app := v.demo.AppID

	m := v.post("/cgi-bin/tags/create", v.q(), tag(nil, "广东"))
	require.Equal(t, map[string]any{"tag": map[string]any{"id": json.Number("100"), "name": "广东"}}, m)

	got := v.get("/cgi-bin/tags/get", v.q())
	require.Equal(t, map[string]any{"tags": []any{
		map[string]any{"id": json.Number("2"), "name": "星标组", "count": json.Number("0")},
		map[string]any{"id": json.Number("100"), "name": "广东", "count": json.Number("0")},
	}}, got)

	requireOK(t, v.post("/cgi-bin/tags/update", v.q(), tag(100, "广东人")))
	require.Equal(t, "广东人", v.emu.Tags(app)[1].Name)

	fs := v.emu.Followers(app)
	openids := []string{fs[0].OpenID, fs[1].OpenID, fs[2].OpenID}
	requireOK(t, v.post("/cgi-bin/tags/members/batchtagging", v.q(), map[string]any{"openid_list": openids, "tagid": 100}))
	requireOK(t, v.post("/cgi-bin/tags/members/batchtagging", v.q(), map[string]any{"openid_list": openids[:1], "tagid": 100}))
	requireOK(t, v.post("/cgi-bin/tags/members/batchtagging", v.q(), map[string]any{"openid_list": openids[:1], "tagid": 2}))
	require.Equal(t, 3, v.emu.Tags(app)[1].Count, "tagging twice counts once")
	require.Equal(t, []int{100, 2}, v.emu.FollowerTags(app, fs[0].OpenID))

	ids := v.post("/cgi-bin/tags/getidlist", v.q(), map[string]string{"openid": fs[0].OpenID})
	require.Equal(t, map[string]any{"tagid_list": []any{json.Number("100"), json.Number("2")}}, ids)
	require.Equal(t, []any{json.Number("100"), json.Number("2")},
		v.get("/cgi-bin/user/info", v.q("openid", fs[0].OpenID))["tagid_list"])

	users := v.post("/cgi-bin/user/tag/get", v.q(), map[string]any{"tagid": 100, "next_openid": ""})
	require.Equal(t, json.Number("3"), users["count"])
	require.Equal(t, openids, strs(t, users["data"].(map[string]any)["openid"]))
	require.Equal(t, openids[2], users["next_openid"])
	end := v.post("/cgi-bin/user/tag/get", v.q(), map[string]any{"tagid": 100, "next_openid": openids[2]})
	require.Equal(t, map[string]any{"count": json.Number("0"), "next_openid": ""}, end)

	requireOK(t, v.post("/cgi-bin/tags/members/batchuntagging", v.q(), map[string]any{"openid_list": openids[1:2], "tagid": 100}))
	require.Equal(t, 2, v.emu.Tags(app)[1].Count)

	// Unsubscribing drops the follower from the counts.
	v.emu.SetCallback(app, "", "")
	_, err := v.emu.SendEvent(t.Context(), app, openids[2], "unsubscribe", "")
	require.ErrorIs(t, err, ErrNoCallback)
	require.Equal(t, 1, v.emu.Tags(app)[1].Count)

	requireOK(t, v.post("/cgi-bin/tags/delete", v.q(), tag(100, "")))
	require.Len(t, v.emu.Tags(app), 1)
	require.Equal(t, []int{2}, v.emu.FollowerTags(app, fs[0].OpenID))
}

func TestTagErrors(t *testing.T) {
	v := newEnv(t, Options{})
	app := v.demo.AppID
	fs := v.emu.Followers(app)
	create := func(name string) map[string]any { return v.post("/cgi-bin/tags/create", v.q(), tag(nil, name)) }

	requireErrcode(t, create(""), 45157)
	requireErrcode(t, create("星标组"), 45157)
	requireErrcode(t, create(strings.Repeat("字", 11)), 45158) // 33 bytes
	require.Contains(t, create(strings.Repeat("字", 10)), "tag")
	requireErrcode(t, create(strings.Repeat("字", 10)), 45157) // taken
	for i := 1; i < 100; i++ {
		require.Contains(t, create("t"+itoa(i)), "tag")
	}
	requireErrcode(t, create("one too many"), 45056)

	for _, id := range []int{0, 1, 2} {
		requireErrcode(t, v.post("/cgi-bin/tags/update", v.q(), tag(id, "x")), 45058)
		requireErrcode(t, v.post("/cgi-bin/tags/delete", v.q(), tag(id, "")), 45058)
	}
	requireErrcode(t, v.post("/cgi-bin/tags/update", v.q(), tag(999, "x")), 45159)
	requireErrcode(t, v.post("/cgi-bin/tags/update", v.q(), tag(101, "t2")), 45157)
	requireErrcode(t, v.post("/cgi-bin/tags/update", v.q(), tag(101, strings.Repeat("a", 31))), 45158)
	requireErrcode(t, v.post("/cgi-bin/tags/delete", v.q(), tag(999, "")), 45159)
	requireErrcode(t, v.post("/cgi-bin/tags/delete", v.q(), "{\"tag\":{}}"), 44002)

	var fifty []string
	for _, f := range fs[:51] {
		fifty = append(fifty, f.OpenID)
	}
	batch := func(list []string, tagid int) map[string]any {
		return v.post("/cgi-bin/tags/members/batchtagging", v.q(), map[string]any{"openid_list": list, "tagid": tagid})
	}
	requireErrcode(t, batch(fifty, 100), 40032)
	requireOK(t, batch(fifty[:50], 100))
	requireErrcode(t, batch(nil, 100), 40032)
	requireErrcode(t, batch(fifty[:1], 1), 45159)
	requireErrcode(t, batch(fifty[:1], 999), 45159)
	requireErrcode(t, batch([]string{fs[0].OpenID, "onobody"}, 101), 40003)
	require.NotContains(t, v.emu.FollowerTags(app, fs[0].OpenID), 101, "all or nothing")

	// A follower carries at most 20 tags.
	for id := 101; id < 120; id++ {
		requireOK(t, batch(fifty[:1], id))
	}
	requireErrcode(t, batch(fifty[:2], 120), 45059)
	require.NotContains(t, v.emu.FollowerTags(app, fs[1].OpenID), 120)

	requireErrcode(t, v.post("/cgi-bin/tags/getidlist", v.q(), map[string]string{"openid": "onobody"}), 40003)
	requireErrcode(t, v.post("/cgi-bin/user/tag/get", v.q(), map[string]any{"tagid": 999}), 45159)
	requireErrcode(t, v.post("/cgi-bin/tags/create", v.q(), "not json"), 47001)
	requireErrcode(t, v.post("/cgi-bin/tags/create", v.q(), ""), 44002)
}

func TestBlacklist(t *testing.T) {
	v := newEnv(t, Options{})
	app := v.demo.AppID
	fs := v.emu.Followers(app)
	var list []string
	for _, f := range fs[:21] {
		list = append(list, f.OpenID)
	}
	requireErrcode(t, v.post("/cgi-bin/tags/members/batchblacklist", v.q(), map[string]any{"openid_list": list}), 40032)
	requireErrcode(t, v.post("/cgi-bin/tags/members/batchblacklist", v.q(), map[string]any{"openid_list": []string{"onobody"}}), 40003)
	requireOK(t, v.post("/cgi-bin/tags/members/batchblacklist", v.q(), map[string]any{"openid_list": list[:20]}))
	require.True(t, v.emu.Blacklisted(app, list[0]))

	m := v.post("/cgi-bin/tags/members/getblacklist", v.q(), map[string]string{"begin_openid": ""})
	require.Equal(t, json.Number("20"), m["total"])
	require.Equal(t, json.Number("20"), m["count"])
	require.Equal(t, list[:20], strs(t, m["data"].(map[string]any)["openid"]))
	require.Equal(t, list[19], m["next_openid"])

	requireOK(t, v.post("/cgi-bin/tags/members/batchunblacklist", v.q(), map[string]any{"openid_list": list[:1]}))
	require.False(t, v.emu.Blacklisted(app, list[0]))
	m = v.post("/cgi-bin/tags/members/getblacklist", v.q(), map[string]string{"begin_openid": list[5]})
	require.Equal(t, json.Number("19"), m["total"])
	require.Equal(t, json.Number("14"), m["count"])
}

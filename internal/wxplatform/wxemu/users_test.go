package wxemu

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestAddFollowers(t *testing.T) {
	e := New(Options{DemoFollowers: -1})
	a := e.NewAccount("big")
	ids := e.AddFollowers(a.AppID, 100000)
	require.Len(t, ids, 100000)
	// Plain checks in the loops: 100,000 require calls are slow under -race.
	seen := make(map[string]bool, len(ids))
	prefix := ids[0][:6]
	var bad []string
	for _, id := range ids {
		if len(id) != 28 || id[:6] != prefix || seen[id] {
			bad = append(bad, id)
		}
		seen[id] = true
	}
	require.Empty(t, bad, "openids are 28 characters, unique, with the account's prefix")
	fs := e.Followers(a.AppID)
	require.Len(t, fs, 100000)
	var chinese, latin, wrong int
	for i, f := range fs {
		if f.Nickname == "" || !f.Subscribed || (i > 0 && f.SubscribeTime < fs[i-1].SubscribeTime) {
			wrong++
		}
		if utf8.RuneCountInString(f.Nickname) != len(f.Nickname) {
			chinese++
		} else {
			latin++
		}
	}
	require.Zero(t, wrong, "every follower has a nickname, follows, in subscription order")
	require.Greater(t, chinese, 1000)
	require.Greater(t, latin, 1000)
	require.Nil(t, e.AddFollowers("wxnope", 3))
	require.Len(t, e.Followers(e.Demo().AppID), 0)
}

func TestUserGetPaging(t *testing.T) {
	v := newEnv(t, Options{DemoFollowers: -1})
	ids := v.emu.AddFollowers(v.demo.AppID, 20001)

	first := v.get("/cgi-bin/user/get", v.q())
	require.Equal(t, json.Number("20001"), first["total"])
	require.Equal(t, json.Number("10000"), first["count"])
	page1 := strs(t, first["data"].(map[string]any)["openid"])
	require.Equal(t, ids[:10000], page1)
	require.Equal(t, ids[9999], first["next_openid"])

	second := v.get("/cgi-bin/user/get", v.q("next_openid", ids[9999]))
	require.Equal(t, ids[10000:20000], strs(t, second["data"].(map[string]any)["openid"]))
	require.Equal(t, ids[19999], second["next_openid"])

	last := v.get("/cgi-bin/user/get", v.q("next_openid", ids[19999]))
	require.Equal(t, json.Number("1"), last["count"])
	require.Equal(t, []string{ids[20000]}, strs(t, last["data"].(map[string]any)["openid"]))
	require.Equal(t, ids[20000], last["next_openid"], "the last page still names its last openid")

	after := v.get("/cgi-bin/user/get", v.q("next_openid", ids[20000]))
	require.Equal(t, map[string]any{"total": json.Number("20001"), "count": json.Number("0"), "next_openid": ""}, after)

	requireErrcode(t, v.get("/cgi-bin/user/get", v.q("next_openid", "onot-a-follower")), 40003)
}

func TestUserInfo(t *testing.T) {
	v := newEnv(t, Options{})
	f := v.emu.Followers(v.demo.AppID)[0]
	m := v.get("/cgi-bin/user/info", v.q("openid", f.OpenID, "lang", "zh_CN"))
	require.Equal(t, json.Number("1"), m["subscribe"])
	require.Equal(t, f.OpenID, m["openid"])
	require.Equal(t, f.Nickname, m["nickname"])
	require.Equal(t, []any{}, m["tagid_list"])
	for _, k := range []string{"sex", "language", "city", "province", "country", "headimgurl", "subscribe_time",
		"remark", "groupid", "subscribe_scene", "qr_scene", "qr_scene_str"} {
		require.Contains(t, m, k)
	}

	requireErrcode(t, v.get("/cgi-bin/user/info", v.q("openid", "ounknown")), 40003)
	requireErrcode(t, v.get("/cgi-bin/user/info", v.q()), 41009)

	// As WeChat since 2021: same keys, no profile.
	v2 := newEnv(t, Options{ProfilelessUserInfo: true})
	f2 := v2.emu.Followers(v2.demo.AppID)[0]
	m2 := v2.get("/cgi-bin/user/info", v2.q("openid", f2.OpenID))
	require.Equal(t, "", m2["nickname"])
	require.Equal(t, "", m2["headimgurl"])
	require.Len(t, m2, len(m))
}

func TestUserBatchGet(t *testing.T) {
	v := newEnv(t, Options{})
	fs := v.emu.Followers(v.demo.AppID)
	list := []map[string]string{{"openid": fs[0].OpenID, "lang": "zh_CN"}, {"openid": fs[1].OpenID}}
	m := v.post("/cgi-bin/user/info/batchget", v.q(), map[string]any{"user_list": list})
	infos := m["user_info_list"].([]any)
	require.Len(t, infos, 2)
	require.Equal(t, fs[1].OpenID, infos[1].(map[string]any)["openid"])

	var many []map[string]string
	for _, f := range fs[:101] {
		many = append(many, map[string]string{"openid": f.OpenID})
	}
	requireErrcode(t, v.post("/cgi-bin/user/info/batchget", v.q(), map[string]any{"user_list": many}), 40032)
	requireErrcode(t, v.post("/cgi-bin/user/info/batchget", v.q(), map[string]any{"user_list": []any{}}), 40032)
	requireErrcode(t, v.post("/cgi-bin/user/info/batchget", v.q(), map[string]any{"user_list": []map[string]string{{"openid": "ox"}}}), 40003)
}

func TestUpdateRemark(t *testing.T) {
	v := newEnv(t, Options{})
	f := v.emu.Followers(v.demo.AppID)[0]
	requireOK(t, v.post("/cgi-bin/user/info/updateremark", v.q(), map[string]string{"openid": f.OpenID, "remark": "十个汉字的备注名称呀"}))
	require.Equal(t, "十个汉字的备注名称呀", v.emu.Remark(v.demo.AppID, f.OpenID))
	require.Equal(t, "十个汉字的备注名称呀", v.get("/cgi-bin/user/info", v.q("openid", f.OpenID))["remark"])

	// WeChat counts 30 bytes: 11 Chinese characters (33 bytes) are too many.
	requireErrcode(t, v.post("/cgi-bin/user/info/updateremark", v.q(), map[string]string{"openid": f.OpenID, "remark": strings.Repeat("备", 31)}), 40092)
	requireOK(t, v.post("/cgi-bin/user/info/updateremark", v.q(), map[string]string{"openid": f.OpenID, "remark": strings.Repeat("a", 30)}))
	requireErrcode(t, v.post("/cgi-bin/user/info/updateremark", v.q(), map[string]string{"openid": "ox", "remark": "a"}), 40003)
	requireErrcode(t, v.post("/cgi-bin/user/info/updateremark", v.q(), map[string]string{"remark": "a"}), 41009)
}

func TestUnsubscribedUserInfo(t *testing.T) {
	v := newEnv(t, Options{})
	f := v.emu.Followers(v.demo.AppID)[3]
	_, err := v.emu.SendEvent(t.Context(), v.demo.AppID, f.OpenID, "unsubscribe", "")
	require.ErrorIs(t, err, ErrNoCallback)
	m := v.get("/cgi-bin/user/info", v.q("openid", f.OpenID))
	require.Equal(t, map[string]any{"subscribe": json.Number("0"), "openid": f.OpenID}, m)
	list := v.get("/cgi-bin/user/get", v.q())
	require.Equal(t, json.Number("199"), list["total"])
	require.NotContains(t, strs(t, list["data"].(map[string]any)["openid"]), f.OpenID)
}

package wxemu

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConditionalMenuLifecycle(t *testing.T) {
	v := newEnv(t, Options{})
	app := v.demo.AppID
	tag := v.post("/cgi-bin/tags/create", v.q(), `{"tag":{"name":"VIP"}}`)
	tagID := tag["tag"].(map[string]any)["id"].(json.Number).String()
	withTag := `{"button":[{"type":"click","name":"VIP","key":"VIP_KEY"}],"matchrule":{"tag_id":"` + tagID + `"}}`

	// No default menu yet: 65303.
	requireErrcode(t, v.post("/cgi-bin/menu/addconditional", v.q(), withTag), 65303)
	requireOK(t, v.post("/cgi-bin/menu/create", v.q(), sampleMenu))

	requireErrcode(t, v.post("/cgi-bin/menu/addconditional", v.q(), `{"button":[{"type":"click","name":"a","key":"k"}],"matchrule":{}}`), 65304)
	requireErrcode(t, v.post("/cgi-bin/menu/addconditional", v.q(), `{"button":[{"type":"click","name":"a","key":"k"}]}`), 65304)
	requireErrcode(t, v.post("/cgi-bin/menu/addconditional", v.q(), `{"button":[{"type":"click","name":"a","key":"k"}],"matchrule":{"sex":"1"}}`), 65320)
	requireErrcode(t, v.post("/cgi-bin/menu/addconditional", v.q(), `{"button":[{"type":"click","name":"a","key":"k"}],"matchrule":{"tag_id":"9999"}}`), 45159)
	requireErrcode(t, v.post("/cgi-bin/menu/addconditional", v.q(), `{"button":[{"type":"click","name":"a","key":"k"}],"matchrule":{"client_platform_type":"7"}}`), 40035)
	requireErrcode(t, v.post("/cgi-bin/menu/addconditional", v.q(), `{"button":[],"matchrule":{"client_platform_type":"1"}}`), 40016)

	out := v.post("/cgi-bin/menu/addconditional", v.q(), withTag)
	id, ok := out["menuid"].(string)
	require.True(t, ok, "menuid is a string: %v", out)
	ios := v.post("/cgi-bin/menu/addconditional", v.q(), `{"button":[{"type":"view","name":"iOS","url":"https://x.test/"}],"matchrule":{"client_platform_type":1}}`)
	require.NotEmpty(t, ios["menuid"])
	require.Len(t, v.emu.ConditionalMenus(app), 2)

	got := v.get("/cgi-bin/menu/get", v.q())
	conds := got["conditionalmenu"].([]any)
	require.Len(t, conds, 2)
	first := conds[0].(map[string]any)
	require.Equal(t, map[string]any{"tag_id": tagID}, first["matchrule"])
	require.Equal(t, id, first["menuid"].(json.Number).String())

	// trymatch: a follower with the tag sees the VIP menu; others the default; an iOS follower the iOS one.
	followers := v.emu.AddFollowers(app, 3)
	requireOK(t, v.post("/cgi-bin/tags/members/batchtagging", v.q(), `{"openid_list":["`+followers[0]+`"],"tagid":`+tagID+`}`))
	m := v.post("/cgi-bin/menu/trymatch", v.q(), `{"user_id":"`+followers[0]+`"}`)
	require.Equal(t, "VIP", m["button"].([]any)[0].(map[string]any)["name"])
	m = v.post("/cgi-bin/menu/trymatch", v.q(), `{"user_id":"`+followers[1]+`"}`)
	require.Equal(t, "今日歌曲", m["button"].([]any)[0].(map[string]any)["name"])
	v.emu.SetFollowerPlatform(app, followers[2], 1)
	m = v.post("/cgi-bin/menu/trymatch", v.q(), `{"user_id":"`+followers[2]+`"}`)
	require.Equal(t, "iOS", m["button"].([]any)[0].(map[string]any)["name"])
	requireErrcode(t, v.post("/cgi-bin/menu/trymatch", v.q(), `{"user_id":"nobody"}`), 65302)

	requireOK(t, v.post("/cgi-bin/menu/delconditional", v.q(), `{"menuid":"`+id+`"}`))
	requireErrcode(t, v.post("/cgi-bin/menu/delconditional", v.q(), `{"menuid":"`+id+`"}`), 65301)
	requireErrcode(t, v.post("/cgi-bin/menu/delconditional", v.q(), `{"menuid":"x"}`), 65301)
	require.Len(t, v.emu.ConditionalMenus(app), 1)

	// menu/delete takes the conditional menus with it.
	requireOK(t, v.get("/cgi-bin/menu/delete", v.q()))
	require.Empty(t, v.emu.ConditionalMenus(app))
}

package menu_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

const defaultMenu = `{"menu":{"button":[{"type":"click","name":"今日","key":"TODAY"}]}}`

// TestConditionalMenuRoundTrip: a conditional menu is published with menu/addconditional, listed by
// getMenu, previewed for a follower with the tag (locally and by menu/trymatch), and deleted with
// menu/delconditional; deleteMenu takes the rest with it.
func TestConditionalMenuRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tag, err := f.WX.CreateTag(ctx, f.acct.AppID, "VIP")
	require.NoError(t, err)
	tagID := strconv.Itoa(tag.ID)

	// WeChat needs a default menu first: 65303 comes back as 50200.
	status, out := f.call("saveConditionalMenu", `{"menu":{"button":[{"type":"click","name":"VIP","key":"VIP"}]},"matchrule":{"tagId":`+tagID+`}}`)
	requireFail(t, status, out, 502, 50200, "")
	require.EqualValues(t, 65303, out["wxErrcode"])

	mustCall(t, f, "publishMenu", defaultMenu)
	status, out = f.call("saveConditionalMenu", `{"menu":{"button":[{"type":"click","name":"VIP","key":"VIP"}]},"matchrule":{"tagId":`+tagID+`}}`)
	requireOK(t, status, out)
	vipID := out["menuId"].(string)
	require.NotEmpty(t, vipID)
	status, out = f.call("saveConditionalMenu", map[string]any{"menu": map[string]any{"button": []any{map[string]any{"type": "view", "name": "iOS", "url": "https://x.test/"}}},
		"matchrule": map[string]any{"clientPlatformType": "1"}})
	requireOK(t, status, out)
	iosID := out["menuId"].(string)
	require.Equal(t, []string{vipID, iosID}, f.Emu.ConditionalMenus(f.acct.AppID))

	status, out = f.call("getMenu", "")
	requireOK(t, status, out)
	conds := out["conditional"].([]any)
	require.Len(t, conds, 2)
	newest := conds[0].(map[string]any)
	require.Equal(t, iosID, newest["menuId"])
	require.Equal(t, map[string]any{"clientPlatformType": 1.0}, newest["matchrule"])
	require.Equal(t, map[string]any{"tagId": float64(tag.ID)}, conds[1].(map[string]any)["matchrule"])

	// Preview: a VIP on Android sees the VIP menu, on iOS the newer iOS menu, nobody else the default one.
	status, out = f.call("previewMenu", `{"tagId":`+tagID+`,"clientPlatformType":2}`)
	requireOK(t, status, out)
	require.Equal(t, vipID, out["menuId"])
	status, out = f.call("previewMenu", `{"tagIds":[`+tagID+`],"clientPlatformType":1}`)
	requireOK(t, status, out)
	require.Equal(t, iosID, out["menuId"])
	status, out = f.call("previewMenu", `{}`)
	requireOK(t, status, out)
	require.Equal(t, "", out["menuId"])
	require.Contains(t, menuJSON(t, out), "TODAY")

	// menu/trymatch at the emulator agrees for a real follower.
	openid := f.Emu.AddFollowers(f.acct.AppID, 1)[0]
	require.NoError(t, f.WX.BatchTagging(ctx, f.acct.AppID, tag.ID, []string{openid}))
	status, out = f.call("tryMatchMenu", `{"userId":"`+openid+`"}`)
	requireOK(t, status, out)
	require.Contains(t, menuJSON(t, out), "VIP")

	status, out = f.call("deleteConditionalMenu", `{"menuId":"`+vipID+`"}`)
	requireOK(t, status, out)
	require.Equal(t, []string{iosID}, f.Emu.ConditionalMenus(f.acct.AppID))
	status, out = f.call("deleteConditionalMenu", `{"menuId":"`+vipID+`"}`)
	requireFail(t, status, out, 404, 40400, "menuId")

	mustCall(t, f, "deleteMenu", "")
	status, out = f.call("getMenu", "")
	requireOK(t, status, out)
	require.Empty(t, out["conditional"])
	require.Empty(t, f.Emu.ConditionalMenus(f.acct.AppID))
}

func mustCall(t *testing.T, f *fixture, path, body string) {
	t.Helper()
	status, out := f.call(path, body)
	requireOK(t, status, out)
}

func TestConditionalMenuBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mustCall(t, f, "publishMenu", defaultMenu)
	button := `{"button":[{"type":"click","name":"a","key":"k"}]}`
	for _, tc := range []struct {
		name   string
		body   string
		status int
		code   int
		field  string
	}{
		{"empty matchrule", `{"menu":` + button + `,"matchrule":{}}`, 400, 40000, "matchrule"},
		{"no matchrule", `{"menu":` + button + `}`, 400, 40000, "matchrule"},
		{"unknown tag", `{"menu":` + button + `,"matchrule":{"tagId":9999}}`, 404, 40400, "matchrule.tagId"},
		{"bad platform", `{"menu":` + button + `,"matchrule":{"clientPlatformType":7}}`, 400, 40000, "matchrule.clientPlatformType"},
		{"private rule", `{"menu":` + button + `,"matchrule":{"sex":"1"}}`, 400, 40000, "matchrule.sex"},
		{"unknown field", `{"menu":` + button + `,"matchrule":{"tag":2}}`, 400, 40000, "matchrule.tag"},
		{"tag not a number", `{"menu":` + button + `,"matchrule":{"tagId":"vip"}}`, 400, 40000, "matchrule.tagId"},
		{"no menu", `{"matchrule":{"clientPlatformType":1}}`, 400, 40000, "menu"},
		{"four buttons", `{"menu":{"button":[{"type":"click","name":"a","key":"1"},{"type":"click","name":"b","key":"2"},{"type":"click","name":"c","key":"3"},{"type":"click","name":"d","key":"4"}]},"matchrule":{"clientPlatformType":1}}`, 400, 40000, "button"},
		{"long name", `{"menu":{"button":[{"type":"click","name":"一二三四五六","key":"1"}]},"matchrule":{"clientPlatformType":1}}`, 400, 40000, "button[0].name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.call("saveConditionalMenu", tc.body)
			requireFail(t, status, out, tc.status, tc.code, tc.field)
		})
	}
	require.Empty(t, f.Emu.ConditionalMenus(f.acct.AppID), "nothing reached WeChat")
	status, out := f.call("deleteConditionalMenu", `{}`)
	requireFail(t, status, out, 400, 40000, "menuId")
	status, out = f.call("deleteConditionalMenu", `{"menuId":"123"}`)
	requireFail(t, status, out, 404, 40400, "menuId")
	status, out = f.call("tryMatchMenu", `{}`)
	requireFail(t, status, out, 400, 40000, "userId")
}

package menu

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

func loadSelfMenu(t *testing.T, name string) wxclient.SelfMenuInfo {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	var info wxclient.SelfMenuInfo
	require.NoError(t, json.Unmarshal(data, &info))
	return info
}

func requireMenuJSON(t *testing.T, want string, m Menu) {
	t.Helper()
	got, err := json.Marshal(m)
	require.NoError(t, err)
	require.JSONEq(t, want, string(got))
}

// The example of WeChat's documentation for a menu made through the API.
func TestFromSelfMenuAPI(t *testing.T) {
	t.Parallel()
	m, warnings := fromSelfMenu(loadSelfMenu(t, "selfmenu_api.json"))
	require.Empty(t, warnings)
	requireMenuJSON(t, `{"button":[
	  {"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"},
	  {"name":"菜单","sub_button":[
	    {"type":"view","name":"搜索","url":"http://www.soso.com/"},
	    {"type":"view","name":"视频","url":"http://v.qq.com/"},
	    {"type":"click","name":"赞一下我们","key":"V1001_GOOD"}]}]}`, m)
	require.NoError(t, Normalize(m).Validate())
	require.False(t, incomplete(m))
}

// The example of WeChat's documentation for a menu made in WeChat's admin: news_info, value and the
// admin-only types.
func TestFromSelfMenuAdmin(t *testing.T) {
	t.Parallel()
	m, warnings := fromSelfMenu(loadSelfMenu(t, "selfmenu_admin.json"))
	requireMenuJSON(t, `{"button":[
	  {"name":"button","sub_button":[
	    {"type":"view","name":"view_url","url":"http://www.qq.com"},
	    {"type":"media_id","name":"news","media_id":"KQb_w_Tiz-nSdVLoTV35Psmty8hGBulGhEdbb9SKs-o"},
	    {"type":"view","name":"video","url":"http://61.182.130.30/vweixinp.tc.qq.com/1007_114bcede9a2244eeb5ab7f76d951df5f.f10.mp4?vkey=77A42D0C2015FBB0A3653D29C571B5F4BBF1D243FBEF17F09C24FF1F2F22E30881BD350E360BC53F&sha=0&save=1"},
	    {"type":"media_id","name":"voice","media_id":"nTXe3aghlQ4XYHa0AQPWiQQbFW9RVtaYTLPC1PCQx11qc9UB6CiUPFjdkeEtJicn"}]},
	  {"type":"click","name":"text","key":"MENU_TEXT_1"},
	  {"type":"media_id","name":"photo","media_id":"ax5Whs5dsoomJLEppAvftBUuH7CgXCZGFbFJifmbUjnQk_ierMHY99Y5d2Cv14RD"}]}`, m)
	require.NoError(t, Normalize(m).Validate())
	var fields []string
	for _, w := range warnings {
		fields = append(fields, w.Field)
	}
	require.Equal(t, []string{"button[0].sub_button[1]", "button[0].sub_button[2]", "button[0].sub_button[3]",
		"button[1]", "button[2]"}, fields)
	require.Contains(t, warnings[3].Msg, `"This is text!"`)
}

func TestFromSelfMenuNewsWithoutMediaID(t *testing.T) {
	t.Parallel()
	info := wxclient.SelfMenuInfo{}
	info.SelfMenuInfo.Button = []wxclient.SelfMenuButton{{Type: "news", Name: "n", NewsInfo: &wxclient.SelfMenuNews{
		List: []wxclient.SelfMenuArticle{{Title: "T", ContentURL: "http://mp.weixin.qq.com/s?x=1"}}}}}
	m, warnings := fromSelfMenu(info)
	requireMenuJSON(t, `{"button":[{"type":"view","name":"n","url":"http://mp.weixin.qq.com/s?x=1"}]}`, m)
	require.Len(t, warnings, 1)
}

// A generated key never takes a key the live menu already uses.
func TestFromSelfMenuTextKeyCollision(t *testing.T) {
	t.Parallel()
	info := wxclient.SelfMenuInfo{}
	info.SelfMenuInfo.Button = []wxclient.SelfMenuButton{
		{Type: "click", Name: "a", Key: "menu_text_1"},
		{Type: "text", Name: "t", Value: "hello"},
		{Name: "p", SubButton: &wxclient.SelfMenuList{List: []wxclient.SelfMenuButton{
			{Type: "click", Name: "b", Key: "MENU_TEXT_1_2"}, {Type: "text", Name: "u", Value: "hi"}}}},
	}
	m, _ := fromSelfMenu(info)
	require.Equal(t, "MENU_TEXT_1_3", m.Button[1].Key)
	require.Equal(t, "MENU_TEXT_2_1", m.Button[2].SubButton[1].Key)
	require.NoError(t, Normalize(m).Validate())
}

// get_current_selfmenu_info's typed answer has no media_id or article_id field: menu/get fills them, where
// both menus agree on the button.
func TestFillFromMenuGet(t *testing.T) {
	t.Parallel()
	info := wxclient.SelfMenuInfo{}
	info.SelfMenuInfo.Button = []wxclient.SelfMenuButton{
		{Type: "article_id", Name: "a"},
		{Name: "p", SubButton: &wxclient.SelfMenuList{List: []wxclient.SelfMenuButton{
			{Type: "media_id", Name: "m"}, {Type: "article_view_limited", Name: "other"}}}},
	}
	m, _ := fromSelfMenu(info)
	require.True(t, incomplete(m))
	api := fromWire([]wxclient.Button{
		{Type: "article_id", Name: "a", ArticleID: "ART"},
		{Name: "p", SubButton: []wxclient.Button{{Type: "media_id", Name: "m", MediaID: "MED"},
			{Type: "article_view_limited", Name: "renamed", ArticleID: "NOPE"}}},
	})
	m = fill(m, api)
	require.Equal(t, "ART", m.Button[0].ArticleID)
	require.Equal(t, "MED", m.Button[1].SubButton[0].MediaID)
	require.Empty(t, m.Button[1].SubButton[1].ArticleID, "a button that differs is not filled")
	require.True(t, incomplete(m))
}

func TestWeChatErrorExplanations(t *testing.T) {
	t.Parallel()
	err := wechatErr("publish menu", &wxclient.Error{Errcode: 40018, Errmsg: "invalid button name size rid: x", Path: "/cgi-bin/menu/create"})
	var wx interface{ Explanation() string }
	require.ErrorAs(t, err, &wx)
	require.Contains(t, wx.Explanation(), "16 bytes")
	require.ErrorIs(t, err, &wxclient.Error{Errcode: 40018})
	// Codes the package does not explain keep the client's sentence.
	err = wechatErr("publish menu", &wxclient.Error{Errcode: 40164, Errmsg: "invalid ip 1.2.3.4 rid: x"})
	require.ErrorAs(t, err, &wx)
	require.Contains(t, wx.Explanation(), "1.2.3.4")
}

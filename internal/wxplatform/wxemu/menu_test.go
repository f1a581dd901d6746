package wxemu

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const sampleMenu = `{"button":[
 {"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"},
 {"name":"菜单","sub_button":[
   {"type":"view","name":"搜索","url":"http://www.soso.com/"},
   {"type":"miniprogram","name":"wxa","url":"http://mp.weixin.qq.com","appid":"wx286b93c14bbf93aa","pagepath":"pages/lunar/index"},
   {"type":"click","name":"赞一下我们","key":"V1001_GOOD"}]}]}`

func TestMenuLifecycle(t *testing.T) {
	v := newEnv(t, Options{})
	app := v.demo.AppID
	requireErrcode(t, v.get("/cgi-bin/menu/get", v.q()), 46003)
	none := v.get("/cgi-bin/get_current_selfmenu_info", v.q())
	require.Equal(t, map[string]any{"is_menu_open": json.Number("0"), "selfmenu_info": map[string]any{"button": []any{}}}, none)

	requireOK(t, v.post("/cgi-bin/menu/create", v.q(), sampleMenu))
	require.JSONEq(t, sampleMenu, string(v.emu.Menu(app)))

	status, body := v.do("GET", "/cgi-bin/menu/get", v.q(), "", nil)
	require.Equal(t, 200, status)
	require.JSONEq(t, `{"menu":{"button":[
	 {"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC","sub_button":[]},
	 {"name":"菜单","sub_button":[
	   {"type":"view","name":"搜索","url":"http://www.soso.com/","sub_button":[]},
	   {"type":"miniprogram","name":"wxa","url":"http://mp.weixin.qq.com","appid":"wx286b93c14bbf93aa","pagepath":"pages/lunar/index","sub_button":[]},
	   {"type":"click","name":"赞一下我们","key":"V1001_GOOD","sub_button":[]}]}]}}`, string(body))
	require.False(t, bytes.Contains(body, []byte(`\u`)), "no escapes in WeChat's answers")

	_, body = v.do("GET", "/cgi-bin/get_current_selfmenu_info", v.q(), "", nil)
	require.JSONEq(t, `{"is_menu_open":1,"selfmenu_info":{"button":[
	 {"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"},
	 {"name":"菜单","sub_button":{"list":[
	   {"type":"view","name":"搜索","url":"http://www.soso.com/"},
	   {"type":"miniprogram","name":"wxa","url":"http://mp.weixin.qq.com","appid":"wx286b93c14bbf93aa","pagepath":"pages/lunar/index"},
	   {"type":"click","name":"赞一下我们","key":"V1001_GOOD"}]}}]}}`, string(body))

	requireOK(t, v.get("/cgi-bin/menu/delete", v.q()))
	require.Nil(t, v.emu.Menu(app))
	requireErrcode(t, v.get("/cgi-bin/menu/get", v.q()), 46003)
}

func TestMenuValidation(t *testing.T) {
	v := newEnv(t, Options{})
	img := v.upload("image", "a.png", pngBytes, nil)["media_id"].(string)
	click := func(name string) string { return `{"type":"click","name":"` + name + `","key":"k"}` }
	menu := func(buttons ...string) string { return `{"button":[` + strings.Join(buttons, ",") + `]}` }
	parent := func(name string, subs ...string) string {
		return `{"name":"` + name + `","sub_button":[` + strings.Join(subs, ",") + `]}`
	}
	cases := []struct {
		name, body string
		code       int
	}{
		{"no buttons", `{"button":[]}`, 40016},
		{"four buttons", menu(click("a"), click("b"), click("c"), click("d")), 40016},
		{"top name over 16 bytes", menu(click("十七个字节的名字")), 40018},
		{"empty top name", menu(click("")), 40018},
		{"no type", menu(`{"name":"a"}`), 40017},
		{"unknown type", menu(`{"type":"dance","name":"a"}`), 40017},
		{"click without key", menu(`{"type":"click","name":"a"}`), 40019},
		{"key over 128", menu(`{"type":"click","name":"a","key":"` + strings.Repeat("k", 129) + `"}`), 40019},
		{"view without url", menu(`{"type":"view","name":"a"}`), 40020},
		{"url over 1024", menu(`{"type":"view","name":"a","url":"http://x.cn/` + strings.Repeat("u", 1020) + `"}`), 40020},
		{"url not http", menu(`{"type":"view","name":"a","url":"ftp://x.cn/"}`), 40055},
		{"six subs", menu(parent("p", click("1"), click("2"), click("3"), click("4"), click("5"), click("6"))), 40023},
		{"sub name over 60 bytes", menu(parent("p", click(strings.Repeat("名", 21)))), 40025},
		{"sub type unknown", menu(parent("p", `{"type":"x","name":"a"}`)), 40024},
		{"sub key missing", menu(parent("p", `{"type":"scancode_push","name":"a"}`)), 40026},
		{"sub url missing", menu(parent("p", `{"type":"view","name":"a"}`)), 40027},
		{"sub url not http", menu(parent("p", `{"type":"view","name":"a","url":"javascript:alert(1)"}`)), 40054},
		{"third level", menu(parent("p", parent("q", click("x")))), 40022},
		{"unknown media_id", menu(`{"type":"media_id","name":"a","media_id":"nope"}`), 40007},
		{"article_id missing", menu(`{"type":"article_id","name":"a"}`), 53600},
		{"miniprogram without appid", menu(`{"type":"miniprogram","name":"a","url":"http://x.cn","pagepath":"p"}`), 40035},
		{"escaped characters", `{"button":[{"type":"view","name":"a","url":"http://x.cn/?a=1\u0026b=2"}]}`, 40033},
		{"not json", `{"button":`, 47001},
		{"empty", ``, 44002},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireErrcode(t, v.post("/cgi-bin/menu/create", v.q(), c.body), c.code)
		})
	}
	require.Nil(t, v.emu.Menu(v.demo.AppID))

	// Limits are inclusive; a backslash escape that is not \u is fine.
	ok := menu(
		click("十六字节名a"), // 16 bytes
		parent("p", click(strings.Repeat("名", 20)), `{"type":"view","name":"v","url":"http://x.cn/a\\u"}`,
			`{"type":"media_id","name":"m","media_id":"`+img+`"}`, `{"type":"location_select","name":"l","key":"`+strings.Repeat("k", 128)+`"}`,
			`{"type":"article_id","name":"a","article_id":"ARTICLE"}`),
	)
	requireOK(t, v.post("/cgi-bin/menu/create", v.q(), ok))

	// A material the menu uses cannot be deleted.
	requireErrcode(t, v.post("/cgi-bin/material/del_material", v.q(), map[string]string{"media_id": img}), 48005)
}

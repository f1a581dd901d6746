package pages

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
)

func TestMenuGridSavePublishAndClickRules(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	appid := e.acct.AppID
	grid := url.Values{
		"button[0].name": {"新闻"}, "button[0].type": {"click"}, "button[0].key": {"NEWS"},
		"button[2].name":               {"更多"},
		"button[2].sub_button[1].name": {"官网"}, "button[2].sub_button[1].type": {"view"},
		"button[2].sub_button[1].url": {"https://example.com/"},
		"action":                      {"save"},
	}
	doc := requirePage(t, e.submit("/console/menu", grid), LangZH)
	require.Contains(t, flashText(doc), "菜单草稿已保存")
	require.Contains(t, doc.Find("#menu-state").Text(), "草稿")
	st, err := e.menus.Get(context.Background(), e.acct)
	require.NoError(t, err)
	require.Equal(t, menu.Menu{Button: []menu.Button{
		{Type: "click", Name: "新闻", Key: "NEWS"},
		{Name: "更多", SubButton: []menu.Button{{Type: "view", Name: "官网", URL: "https://example.com/"}}},
	}}, *st.Menu, "empty slots are left out")

	// The draft fills the grid from the top, the preview shows it, and the click key has no rule yet.
	v, _ := doc.Find(`[id="button[1].sub_button[0].name"]`).Attr("value")
	require.Equal(t, "官网", v)
	require.Equal(t, "新闻", doc.Find(`#phone [data-preview-of="button[0]"] .pname`).Text())
	require.Contains(t, doc.Find(`#phone [data-preview-of="button[1]"] .subs`).Text(), "官网")
	require.Contains(t, doc.Find("#clicks").Text(), "NEWS")
	require.Contains(t, doc.Find("#clicks").Text(), "没有规则")

	// Creating the click's rule from the menu page comes back to it.
	p := e.post("/console/replies", url.Values{"request": {"NEWS"}, "match": {"exact"}, "type": {"text"},
		"content": {"今日新闻"}, "back": {"/console/menu"}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/console/menu", p.Location)
	doc = requirePage(t, e.get("/console/menu"), LangZH)
	require.Equal(t, 1, doc.Find(`#clicks a[href*="/console/replies?edit="]`).Length())
	require.Equal(t, 1, doc.Find(`#rule-keys option[value="NEWS"]`).Length(), "exact rules are offered as keys")

	// Publish sends the draft to WeChat.
	doc = requirePage(t, e.submit("/console/menu/publish", url.Values{}), LangZH)
	require.Contains(t, flashText(doc), "已发布")
	require.Contains(t, doc.Find("#menu-state").Text(), "已发布")
	require.Contains(t, string(e.Emu.Menu(appid)), "NEWS")
	require.Equal(t, 2, doc.Find("#menu-history tbody tr").Length(), "history: saved, then published")
	require.Contains(t, doc.Find("#menu-history tbody tr").First().Text(), "发布")

	// Import reads it back; delete removes it at WeChat.
	doc = requirePage(t, e.submit("/console/menu/import", url.Values{}), LangZH)
	require.Contains(t, flashText(doc), "导入")
	doc = requirePage(t, e.submit("/console/menu/delete", url.Values{}), LangZH)
	require.Contains(t, flashText(doc), "线上菜单已删除")
	require.Nil(t, e.Emu.Menu(appid))
}

func TestMenuErrorsLandOnTheirSlots(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	e.lang = LangEN
	p := e.post("/console/menu", url.Values{
		"button[0].name": {"OK"}, "button[0].type": {"view"}, "button[0].url": {"https://example.com/"},
		// Slot 1 is empty: slot 2 is the menu's second button, and its errors are named by the slot.
		"button[2].name": {"ABCDEFGHIJKLMNOPQ"}, "button[2].type": {"click"}, "button[2].key": {"K"},
		"button[0].sub_button[3].name": {"Sub"}, "button[0].sub_button[3].type": {"view"},
		"action": {"save"},
	})
	require.Equal(t, http.StatusBadRequest, p.Status)
	doc := p.Doc(t)
	require.Empty(t, missingKey.FindAllString(p.Body, -1))
	requireFieldError(t, doc, "button[2].name", "16 bytes")
	requireFieldError(t, doc, "button[0].sub_button[3].url", "")
	require.Equal(t, 1, doc.Find("#menu-unsaved").Length())
	v, _ := doc.Find(`[id="button[2].key"]`).Attr("value")
	require.Equal(t, "K", v, "the grid is shown as posted")
	st, err := e.menus.Get(context.Background(), e.acct)
	require.NoError(t, err)
	require.Nil(t, st.Menu, "nothing saved")

	// The JSON form names the problem under its textarea.
	p = e.post("/console/menu/json", url.Values{"menu": {`{"button":[{"name":"A","type":"click"}]}`}, "action": {"save"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "f-menu", "button[0].key")
	require.Contains(t, p.Doc(t).Find("#f-menu").Text(), `"type":"click"`)
	doc = requirePage(t, e.submit("/console/menu/json", url.Values{"menu": {`{"button":[{"name":"A","type":"click","key":"A"}]}`}, "action": {"save"}}), LangEN)
	require.Contains(t, flashText(doc), "draft is saved")
}

func TestMenuTreeEditsWithoutScript(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	form := url.Values{
		"button[0].name": {"First"}, "button[0].type": {"click"}, "button[0].key": {"F"},
		"button[1].name": {"Second"}, "button[1].type": {"click"}, "button[1].key": {"S"},
		"button[1].sub_button[0].name": {"S0"}, "button[1].sub_button[1].name": {"S1"},
	}
	form.Set("op", "down:0")
	p := e.post("/console/menu", form)
	doc := requirePage(t, p, LangZH)
	require.Equal(t, 1, doc.Find("#menu-unsaved").Length())
	v, _ := doc.Find(`[id="button[0].name"]`).Attr("value")
	require.Equal(t, "Second", v)
	v, _ = doc.Find(`[id="button[0].sub_button[1].name"]`).Attr("value")
	require.Equal(t, "S1", v, "a button moves with its sub-buttons")

	form.Set("op", "up:1.1")
	doc = e.post("/console/menu", form).Doc(t)
	v, _ = doc.Find(`[id="button[1].sub_button[0].name"]`).Attr("value")
	require.Equal(t, "S1", v)

	form.Set("op", "del:0")
	doc = e.post("/console/menu", form).Doc(t)
	v, _ = doc.Find(`[id="button[0].name"]`).Attr("value")
	require.Equal(t, "Second", v)
	v, _ = doc.Find(`[id="button[1].name"]`).Attr("value")
	require.Equal(t, "", v)
	st, err := e.menus.Get(context.Background(), e.acct)
	require.NoError(t, err)
	require.Nil(t, st.Menu, "edits are not saved until saved")
	require.True(t, strings.Contains(doc.Find("#menu-form button").First().AttrOr("value", ""), "save"),
		"Enter saves: the form's first button")
}

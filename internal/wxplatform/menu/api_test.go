package menu_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// fullMenu uses every button type, Chinese names, and a URL with characters Go escapes by default.
func fullMenu(mediaID string) string {
	return `{"button":[
	  {"name":"菜单","sub_button":[
	    {"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"},
	    {"type":"view","name":"搜索","url":"http://www.soso.com/?q=a&b=<c>"},
	    {"type":"miniprogram","name":"wxa","url":"http://mp.weixin.qq.com","appid":"wx286b93c14bbf93aa","pagepath":"pages/lunar/index"},
	    {"type":"media_id","name":"图片","media_id":"` + mediaID + `"},
	    {"type":"article_id","name":"文章","article_id":"ARTICLE_ID_1"}]},
	  {"name":"扫码","sub_button":[
	    {"type":"scancode_push","name":"扫码推事件","key":"rselfmenu_0_1"},
	    {"type":"scancode_waitmsg","name":"扫码带提示","key":"rselfmenu_0_0"},
	    {"type":"pic_sysphoto","name":"系统拍照发图","key":"rselfmenu_1_0"},
	    {"type":"pic_photo_or_album","name":"拍照或者相册发图","key":"rselfmenu_1_1"},
	    {"type":"pic_weixin","name":"微信相册发图","key":"rselfmenu_1_2"}]},
	  {"name":"更多","sub_button":[
	    {"type":"location_select","name":"发送位置","key":"rselfmenu_2_0"},
	    {"type":"article_view_limited","name":"限制文章","article_id":"ARTICLE_ID_2"},
	    {"type":"click","name":"赞一下我们","key":"V1001_GOOD"}]}]}`
}

const smallMenu = `{"button":[{"type":"click","name":"帮助","key":"HELP"}]}`

func body(menuJSON string) map[string]any { return map[string]any{"menu": json.RawMessage(menuJSON)} }

func TestGetMenuStates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	status, out := f.call("getMenu", nil)
	requireOK(t, status, out)
	require.Nil(t, out["menu"])
	require.Equal(t, false, out["published"])
	require.Nil(t, out["updatedAt"])
	require.Nil(t, out["publishedAt"])

	status, out = f.call("saveMenu", body(smallMenu))
	requireOK(t, status, out)
	require.JSONEq(t, smallMenu, menuJSON(t, out))
	require.Equal(t, false, out["published"])
	require.NotNil(t, out["updatedAt"])
	require.EqualValues(t, f.userID, out["updatedBy"])

	saved := out
	status, out = f.call("getMenu", nil)
	requireOK(t, status, out)
	require.JSONEq(t, smallMenu, menuJSON(t, out))
	require.Equal(t, saved["updatedAt"], out["updatedAt"], "the answer of saveMenu says what getMenu says")
	require.Equal(t, false, out["published"])
	require.Empty(t, f.Requests("/cgi-bin/menu/create"), "saving sends nothing to WeChat")

	status, out = f.call("publishMenu", nil)
	requireOK(t, status, out)
	require.Equal(t, true, out["published"])
	require.NotNil(t, out["publishedAt"])
	require.EqualValues(t, f.userID, out["publishedBy"])
	require.JSONEq(t, smallMenu, string(f.Emu.Menu(f.acct.AppID)))

	status, out = f.call("getMenu", nil)
	requireOK(t, status, out)
	require.Equal(t, true, out["published"])

	// A changed draft is no longer what WeChat shows; saving the published menu again makes it so.
	changed := `{"button":[{"type":"click","name":"帮助","key":"HELP2"}]}`
	_, out = f.call("saveMenu", body(changed))
	require.Equal(t, false, out["published"])
	_, out = f.call("getMenu", nil)
	require.Equal(t, false, out["published"])
	require.JSONEq(t, changed, menuJSON(t, out), "getMenu answers the draft")
	_, out = f.call("saveMenu", body(`{"button":[{"type":"CLICK","name":" 帮助 ","key":"HELP","url":"http://dropped"}]}`))
	require.Equal(t, true, out["published"], "compared after normalisation")

	// Deleting keeps the draft, unpublished.
	status, out = f.call("deleteMenu", nil)
	requireOK(t, status, out)
	require.Equal(t, false, out["published"])
	require.Nil(t, out["publishedAt"])
	require.JSONEq(t, smallMenu, menuJSON(t, out))
	require.Nil(t, f.Emu.Menu(f.acct.AppID))
	_, out = f.call("getMenu", nil)
	require.Equal(t, false, out["published"])
	require.JSONEq(t, smallMenu, menuJSON(t, out))

	// GET works for the read-only endpoint.
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/apis/wxplatform/getMenu?access_token=t1", nil))
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), `"published":false`)
}

// TestPublishImportRoundTrip: a menu saved, published and imported comes back unchanged.
func TestPublishImportRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	full := fullMenu(f.uploadImage(f.acct.AppID))

	status, out := f.call("saveMenu", body(full))
	requireOK(t, status, out)
	require.JSONEq(t, full, menuJSON(t, out))
	status, out = f.call("publishMenu", nil)
	requireOK(t, status, out)
	require.JSONEq(t, full, string(f.Emu.Menu(f.acct.AppID)), "WeChat received the menu as saved")
	creates := f.Requests("/cgi-bin/menu/create")
	require.Len(t, creates, 1)
	require.NotContains(t, string(creates[0].Body), `\u`, "no escapes reach menu/create (40033)")

	// Another draft, then the live menu is imported over it.
	_, out = f.call("saveMenu", body(smallMenu))
	require.Equal(t, false, out["published"])
	status, out = f.call("importMenu", nil)
	requireOK(t, status, out)
	require.JSONEq(t, full, menuJSON(t, out), "the imported menu is the published one")
	require.Equal(t, true, out["published"])
	require.Equal(t, []any{}, out["warnings"])
	require.NotEmpty(t, f.Requests("/cgi-bin/get_current_selfmenu_info"))

	// Publishing the imported menu sends the same menu again.
	status, _ = f.call("publishMenu", nil)
	requireOK(t, status, out)
	creates = f.Requests("/cgi-bin/menu/create")
	require.Len(t, creates, 2)
	require.JSONEq(t, string(creates[0].Body), string(creates[1].Body))
}

func TestImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	t.Run("no live menu", func(t *testing.T) {
		status, out := f.call("importMenu", nil)
		requireFail(t, status, out, http.StatusNotFound, 40400, "")
		_, out = f.call("getMenu", nil)
		require.Nil(t, out["menu"])
	})

	_, out := f.call("publishMenu", body(smallMenu))
	require.Equal(t, true, out["published"])

	t.Run("menu/get when get_current_selfmenu_info fails", func(t *testing.T) {
		f.Emu.SetFault("/cgi-bin/get_current_selfmenu_info", wxemu.Fault{Errcode: 48001, Times: 1})
		_, _ = f.call("saveMenu", body(`{"button":[{"type":"click","name":"x","key":"X"}]}`))
		status, out := f.call("importMenu", nil)
		requireOK(t, status, out)
		require.JSONEq(t, smallMenu, menuJSON(t, out))
		require.Equal(t, true, out["published"])
	})

	t.Run("both fail", func(t *testing.T) {
		f.Emu.SetFault("/cgi-bin/get_current_selfmenu_info", wxemu.Fault{Errcode: 48001})
		f.Emu.SetFault("/cgi-bin/menu/get", wxemu.Fault{Errcode: 46003})
		defer f.Emu.ClearFaults()
		status, out := f.call("importMenu", nil)
		requireFail(t, status, out, http.StatusBadGateway, 50200, "")
		require.EqualValues(t, 48001, out["wxErrcode"], "the first call's error: %v", out)
		require.Contains(t, out["msg"], "custom menu API")
	})
}

// TestInvalidMenusNeverReachWeChat: whatever way an invalid menu comes, menu/create is not called.
func TestInvalidMenusNeverReachWeChat(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tooLong := `{"button":[{"type":"click","name":"菜单菜单菜单","key":"K"}]}` // 6 Chinese = 18 bytes
	deep := `{"button":[{"type":"click","name":"a","key":"A"},{"name":"p","sub_button":[
	  {"type":"click","name":"b","key":"B"},{"type":"view","name":"c","url":"http://x.example"},
	  {"type":"view","name":"d","url":"not a url"}]}]}`

	status, out := f.call("saveMenu", body(tooLong))
	requireFail(t, status, out, http.StatusBadRequest, 40000, "button[0].name")
	status, out = f.call("saveMenu", body(deep))
	requireFail(t, status, out, http.StatusBadRequest, 40000, "button[1].sub_button[2].url")
	status, out = f.call("publishMenu", body(tooLong))
	requireFail(t, status, out, http.StatusBadRequest, 40000, "button[0].name")
	status, out = f.call("publishMenu", nil)
	requireFail(t, status, out, http.StatusNotFound, 40400, "")
	status, out = f.call("saveMenu", map[string]any{"menu": nil})
	requireFail(t, status, out, http.StatusBadRequest, 40000, "menu")
	status, out = f.call("saveMenu", nil)
	requireFail(t, status, out, http.StatusBadRequest, 40000, "menu")

	// A stored draft that breaks the rules (written before a rule existed) is refused at publish.
	status, out = f.call("saveMenu", body(smallMenu))
	requireOK(t, status, out)
	require.NoError(t, f.DB.Exec(`UPDATE wx_menus SET draft = '{"button":[{"type":"click","name":"菜单菜单菜单","key":"K"}]}'
		WHERE account_id = ?`, f.acct.ID).Error)
	status, out = f.call("publishMenu", nil)
	requireFail(t, status, out, http.StatusBadRequest, 40000, "button[0].name")

	require.Empty(t, f.Requests("/cgi-bin/menu/create"), "no invalid menu reached WeChat")
	_, out = f.call("getMenu", nil)
	require.Equal(t, false, out["published"])
}

func TestWeChatMenuErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, out := f.call("saveMenu", body(smallMenu))
	require.EqualValues(t, 0, out["errcode"])

	f.Emu.SetFault("/cgi-bin/menu/create", wxemu.Fault{Errcode: 40018, Times: 1})
	status, out := f.call("publishMenu", nil)
	requireFail(t, status, out, http.StatusBadGateway, 50200, "")
	require.EqualValues(t, 40018, out["wxErrcode"])
	require.Contains(t, out["msg"], "16 bytes")
	require.Contains(t, out["wxErrmsg"], "invalid button name size")

	// The emulator's own check: a media_id that is no material of the account.
	status, out = f.call("publishMenu", body(`{"button":[{"type":"media_id","name":"图","media_id":"NO_SUCH_MEDIA"}]}`))
	requireFail(t, status, out, http.StatusBadGateway, 50200, "")
	require.EqualValues(t, 40007, out["wxErrcode"])
	require.Contains(t, out["msg"], "permanent material")

	// Nothing was published; the draft sent with the refused publish was kept.
	_, out = f.call("getMenu", nil)
	require.Equal(t, false, out["published"])
	require.Nil(t, out["publishedAt"])
	require.Contains(t, menuJSON(t, out), "NO_SUCH_MEDIA")
	_, out = f.call("menuHistory", nil)
	for _, e := range out["history"].([]any) {
		require.NotEqual(t, menu.ActionPublish, e.(map[string]any)["action"])
	}
}

func TestAnotherOperatorsAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, out := f.callAs("t2", "publishMenu", body(smallMenu))
	require.Equal(t, true, out["published"], "%v", out)

	other := url.QueryEscape(f.other.AppID)
	for _, path := range []string{"getMenu", "saveMenu", "publishMenu", "deleteMenu", "importMenu", "menuHistory"} {
		t.Run(path, func(t *testing.T) {
			status, out := f.call(path+"?appid="+other, body(smallMenu))
			requireFail(t, status, out, http.StatusForbidden, 40300, "")
			// The appid in the body is refused as well.
			status, out = f.call(path, map[string]any{"appid": f.other.AppID, "menu": json.RawMessage(smallMenu)})
			requireFail(t, status, out, http.StatusForbidden, 40300, "")
		})
	}
	require.Len(t, f.Requests("/cgi-bin/menu/create"), 1, "only the owner's publish")
	require.NotNil(t, f.Emu.Menu(f.other.AppID), "the owner's menu is untouched")

	// Each operator sees their own account without naming it.
	_, out = f.call("getMenu", nil)
	require.Nil(t, out["menu"])
	_, out = f.callAs("t2", "getMenu", nil)
	require.JSONEq(t, smallMenu, menuJSON(t, out))
}

func TestMenuHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	steps := []struct {
		path string
		body any
	}{
		{"saveMenu", body(smallMenu)},
		{"publishMenu", nil},
		{"deleteMenu", nil},
		{"publishMenu", nil},
		{"saveMenu", body(`{"button":[{"type":"view","name":"官网","url":"https://example.com/"}]}`)},
		{"importMenu", nil},
	}
	for _, s := range steps {
		status, out := f.call(s.path, s.body)
		requireOK(t, status, out)
	}

	status, out := f.call("menuHistory", nil)
	requireOK(t, status, out)
	var actions []string
	for i, e := range out["history"].([]any) {
		m := e.(map[string]any)
		actions = append(actions, m["action"].(string))
		require.EqualValues(t, f.userID, m["userId"])
		require.NotEmpty(t, m["createdAt"])
		require.NotZero(t, m["id"])
		data, _ := json.Marshal(m["menu"])
		want := smallMenu // the menu saved, published, deleted (the one removed) and imported (the live one)
		if i == 1 {
			want = `{"button":[{"type":"view","name":"官网","url":"https://example.com/"}]}`
		}
		require.JSONEq(t, want, string(data), "entry %d: %v", i, m)
	}
	// Newest first.
	require.Equal(t, []string{"import", "save", "publish", "delete", "publish", "save"}, actions)

	status, out = f.call("menuHistory", map[string]any{"limit": 2})
	requireOK(t, status, out)
	require.Len(t, out["history"], 2)
	status, out = f.call("menuHistory?limit=1", nil)
	requireOK(t, status, out)
	require.Len(t, out["history"], 1)
	for _, bad := range []string{"0", "101", "-1", "x"} {
		status, out = f.call("menuHistory", url.Values{"limit": {bad}})
		requireFail(t, status, out, http.StatusBadRequest, 40000, "limit")
	}

	// The second operator's history is theirs alone.
	_, out = f.callAs("t2", "menuHistory", nil)
	require.Empty(t, out["history"])

	// The rows themselves.
	var rows []struct {
		Action string
		UserID *int64
		Menu   *string
	}
	require.NoError(t, f.DB.Raw(`SELECT action, user_id, menu::text AS menu FROM wx_menu_history WHERE account_id = ? ORDER BY id`,
		f.acct.ID).Scan(&rows).Error)
	require.Len(t, rows, 6)
	require.NotNil(t, rows[2].Menu, "a delete records the menu it removed")
}

// A menu can arrive as a JSON string in a form field, or as the body itself.
func TestMenuEncodings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	status, out := f.call("saveMenu", url.Values{"menu": {smallMenu}})
	requireOK(t, status, out)
	require.JSONEq(t, smallMenu, menuJSON(t, out))

	other := `{"button":[{"type":"click","name":"其他","key":"OTHER"}]}`
	status, out = f.call("saveMenu", other)
	requireOK(t, status, out)
	require.JSONEq(t, other, menuJSON(t, out))

	status, out = f.call("saveMenu", url.Values{"menu": {`{"button":[`}})
	requireFail(t, status, out, http.StatusBadRequest, 40000, "menu")
	status, out = f.call("saveMenu", url.Values{"menu": {"hello"}})
	requireFail(t, status, out, http.StatusBadRequest, 40000, "menu")
}

func TestClickKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	keys, err := f.svc.ClickKeys(ctx, f.acct.ID)
	require.NoError(t, err)
	require.Equal(t, []string{}, keys)

	_, out := f.call("publishMenu", body(`{"button":[{"type":"click","name":"a","key":"OLD"},
	  {"name":"p","sub_button":[{"type":"click","name":"b","key":"KEPT"},{"type":"scancode_push","name":"s","key":"SCAN"}]}]}`))
	require.Equal(t, true, out["published"])
	_, out = f.call("saveMenu", body(`{"button":[{"type":"click","name":"n","key":"NEW"},{"type":"click","name":"b","key":"KEPT"}]}`))
	require.EqualValues(t, 0, out["errcode"])

	keys, err = f.svc.ClickKeys(ctx, f.acct.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"NEW", "KEPT", "OLD"}, keys, "the draft's, then the published menu's still live")

	keys, err = f.svc.ClickKeys(ctx, f.other.ID)
	require.NoError(t, err)
	require.Empty(t, keys)
}

// Publishing from several requests at once leaves the stored state agreeing with WeChat.
func TestConcurrentPublishes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := fmt.Sprintf(`{"button":[{"type":"click","name":"n%d","key":"K%d"}]}`, i, i)
			status, out := f.call("publishMenu", body(m))
			if status != http.StatusOK {
				t.Errorf("publish %d: %v", i, out)
			}
		}()
	}
	wg.Wait()
	_, out := f.call("getMenu", nil)
	require.Equal(t, true, out["published"])
	require.JSONEq(t, string(f.Emu.Menu(f.acct.AppID)), menuJSON(t, out))
	_, out = f.call("menuHistory", map[string]any{"limit": 100})
	require.Len(t, out["history"], 16)
}

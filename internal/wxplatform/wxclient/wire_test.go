package wxclient

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// wantRequest is a request as WeChat's documentation shows it (testdata/requests). Placeholders such as
// ACCESS_TOKEN or OPENID stand for values only known while the test runs.
type wantRequest struct {
	Doc       string            `json:"doc"`
	Method    string            `json:"method"`
	Path      string            `json:"path"`
	Query     map[string]string `json:"query"`
	Body      json.RawMessage   `json:"body"`
	Multipart []wantPart        `json:"multipart"`
}

type wantPart struct {
	Name        string          `json:"name"`
	Filename    string          `json:"filename"`
	ContentType string          `json:"content_type"`
	JSON        json.RawMessage `json:"json"`
}

// expectRequest checks the latest request the emulator received for the documented example name:
// method, path, the whole query, and the JSON body or the multipart parts.
func (e *testEnv) expectRequest(t *testing.T, name string, vars map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "requests", name+".json"))
	require.NoError(t, err)
	var want wantRequest
	require.NoError(t, json.Unmarshal(raw, &want))
	got := e.last(want.Path)

	require.Equal(t, want.Method, got.Method, "method of %s", want.Path)
	gotQuery := map[string]string{}
	for k, vs := range got.Query {
		require.Len(t, vs, 1, "query parameter %s", k)
		gotQuery[k] = vs[0]
	}
	wantQuery := map[string]string{}
	for k, v := range want.Query {
		wantQuery[k] = substitute(v, vars).(string)
	}
	require.Equal(t, wantQuery, gotQuery, "query of %s", want.Path)

	switch {
	case want.Body != nil:
		require.Equal(t, "application/json; charset=utf-8", got.Header.Get("Content-Type"))
		require.NotContains(t, string(got.Body), `\u`, "WeChat refuses \\u escapes (40033)")
		require.Equal(t, decodeJSON(t, want.Body, vars), decodeJSON(t, got.Body, nil), "body of %s", want.Path)
	case want.Multipart != nil:
		mt, params, err := mime.ParseMediaType(got.Header.Get("Content-Type"))
		require.NoError(t, err)
		require.Equal(t, "multipart/form-data", mt)
		mr := multipart.NewReader(bytes.NewReader(got.Body), params["boundary"])
		for _, wp := range want.Multipart {
			p, err := mr.NextPart()
			require.NoError(t, err, "part %s", wp.Name)
			require.Equal(t, wp.Name, p.FormName())
			require.Equal(t, wp.Filename, p.FileName())
			if wp.ContentType != "" {
				require.Equal(t, wp.ContentType, p.Header.Get("Content-Type"))
			}
			data, err := io.ReadAll(p)
			require.NoError(t, err)
			if wp.JSON != nil {
				require.Equal(t, decodeJSON(t, wp.JSON, vars), decodeJSON(t, data, nil))
			} else {
				require.NotEmpty(t, data)
			}
		}
		_, err = mr.NextPart()
		require.ErrorIs(t, err, io.EOF, "no more parts")
		if cl := got.Header.Get("Content-Length"); cl != "" && len(got.Body) < 1<<20 {
			require.Equal(t, cl, itoa(len(got.Body)), "Content-Length matches the body")
		}
	default:
		require.Empty(t, got.Body, "%s %s has no body", want.Method, want.Path)
	}
}

func decodeJSON(t *testing.T, b []byte, vars map[string]string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v), string(b))
	return substitute(v, vars)
}

// substitute replaces string values equal to a placeholder.
func substitute(v any, vars map[string]string) any {
	switch x := v.(type) {
	case string:
		if r, ok := vars[x]; ok {
			return r
		}
		return x
	case []any:
		for i := range x {
			x[i] = substitute(x[i], vars)
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = substitute(x[k], vars)
		}
		return x
	}
	return v
}

func itoa(n int) string { return strconv.Itoa(n) }

// Minimal files whose first bytes are what the emulator (and WeChat) sniff.
var (
	jpegBytes = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), bytes.Repeat([]byte{0x42}, 2048)...)
	mp4Bytes  = append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), bytes.Repeat([]byte{0x00}, 4096)...)
)

// docOpenIDs are the openids of WeChat's documented examples; the test makes them followers of the demo
// account so the examples work as written.
var docOpenIDs = []string{"otvxTs4dckWG7imySrJd6jSi0CWE", "otvxTs_JZ6SEiP0imdhpi50fuSZg",
	"oDF3iY9ffA-hqb2vVvbr7qxf6A0Q", "ocYxcuAEy30bX0NXmGn4ypqx3tI0", "ocYxcuBt0mRugKZ7tGAHPnUaOW7Y"}

func (e *testEnv) subscribeDocOpenIDs(t *testing.T) {
	t.Helper()
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "success") }))
	t.Cleanup(cb.Close)
	e.emu.SetCallback(e.demo.AppID, cb.URL, "")
	for _, o := range docOpenIDs {
		_, err := e.emu.SendEvent(context.Background(), e.demo.AppID, o, "subscribe", "")
		require.NoError(t, err)
	}
}

// TestCallsMatchWeChatDocs makes every call the console needs, in an order that lets WeChat's own
// examples run as written, and checks each request against the example and each answer as a user of the
// client would.
func TestCallsMatchWeChatDocs(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.subscribeDocOpenIDs(t)
	c := e.client()
	ctx := ctxT(t)
	app := e.demo.AppID
	base := map[string]string{"APPID": app, "APPSECRET": e.demo.Secret, "SECRET": e.demo.Secret}
	withToken := func(extra ...string) map[string]string {
		tok, err := c.AccessToken(ctx, app)
		require.NoError(t, err)
		m := map[string]string{"ACCESS_TOKEN": tok}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	followers := e.emu.Followers(app)
	first := followers[0].OpenID

	step := func(name string, f func(t *testing.T) map[string]string) {
		t.Run(name, func(t *testing.T) {
			vars := f(t)
			e.expectRequest(t, name, vars)
		})
	}

	step("token", func(t *testing.T) map[string]string {
		tok, err := c.Token(ctx, app, e.demo.Secret)
		require.NoError(t, err)
		require.NotEmpty(t, tok.AccessToken)
		require.Equal(t, 7200, tok.ExpiresIn)
		return base
	})
	step("stable_token", func(t *testing.T) map[string]string {
		tok, err := c.StableToken(ctx, app, e.demo.Secret, false)
		require.NoError(t, err)
		require.NotEmpty(t, tok.AccessToken)
		return base
	})
	step("getticket", func(t *testing.T) map[string]string {
		tk, err := c.GetTicket(ctx, app, TicketJSAPI)
		require.NoError(t, err)
		require.Equal(t, e.emu.JSAPITicket(app), tk.Ticket)
		return withToken()
	})
	for _, q := range []struct {
		name string
		req  QRCodeRequest
	}{
		{"qrcode_temp_scene", QRCodeRequest{ExpireSeconds: 604800, ActionName: ActionQRScene, ActionInfo: QRActionInfo{Scene: QRScene{SceneID: 123}}}},
		{"qrcode_temp_str", QRCodeRequest{ExpireSeconds: 604800, ActionName: ActionQRStrScene, ActionInfo: QRActionInfo{Scene: QRScene{SceneStr: "test"}}}},
		{"qrcode_limit_scene", QRCodeRequest{ActionName: ActionQRLimitScene, ActionInfo: QRActionInfo{Scene: QRScene{SceneID: 123}}}},
		{"qrcode_limit_str", QRCodeRequest{ActionName: ActionQRLimitStrScene, ActionInfo: QRActionInfo{Scene: QRScene{SceneStr: "test"}}}},
	} {
		step(q.name, func(t *testing.T) map[string]string {
			res, err := c.CreateQRCode(ctx, app, q.req)
			require.NoError(t, err)
			require.NotEmpty(t, res.Ticket)
			require.True(t, strings.HasPrefix(res.URL, "http://weixin.qq.com/q/"), res.URL)
			require.Equal(t, q.req.ExpireSeconds, res.ExpireSeconds)
			// The image link works without a token, the ticket URL-encoded.
			img, err := http.Get(c.QRCodeImageURL(res.Ticket))
			require.NoError(t, err)
			img.Body.Close()
			require.Equal(t, http.StatusOK, img.StatusCode)
			require.Equal(t, "image/png", img.Header.Get("Content-Type"))
			return withToken()
		})
	}
	step("user_get", func(t *testing.T) map[string]string {
		page, err := c.Followers(ctx, app, first)
		require.NoError(t, err)
		require.Equal(t, len(followers), page.Total)
		require.Len(t, page.Data.OpenID, len(followers)-1, "the page after the first follower")
		return withToken("NEXT_OPENID", first)
	})
	step("user_info", func(t *testing.T) map[string]string {
		u, err := c.UserInfo(ctx, app, first, "")
		require.NoError(t, err)
		require.Equal(t, 1, u.Subscribe)
		require.Equal(t, first, u.OpenID)
		require.Equal(t, followers[0].SubscribeTime, u.SubscribeTime)
		return withToken("OPENID", first)
	})
	step("user_info_batchget", func(t *testing.T) map[string]string {
		users, err := c.BatchUserInfo(ctx, app, docOpenIDs[:2], LangZhCN)
		require.NoError(t, err)
		require.Len(t, users, 2)
		require.Equal(t, docOpenIDs[0], users[0].OpenID)
		return withToken()
	})
	step("user_info_updateremark", func(t *testing.T) map[string]string {
		require.NoError(t, c.UpdateRemark(ctx, app, "oDF3iY9ffA-hqb2vVvbr7qxf6A0Q", "pangzi"))
		require.Equal(t, "pangzi", e.emu.Remark(app, "oDF3iY9ffA-hqb2vVvbr7qxf6A0Q"))
		return withToken()
	})
	step("tags_create", func(t *testing.T) map[string]string {
		// WeChat numbers tags from 100; fill up to 133 so that the example's "广东" gets its id 134.
		for i := 0; i < 40; i++ {
			tg, err := c.CreateTag(ctx, app, "填充"+itoa(i))
			require.NoError(t, err)
			if tg.ID >= 133 {
				break
			}
		}
		tg, err := c.CreateTag(ctx, app, "广东")
		require.NoError(t, err)
		require.Equal(t, Tag{ID: 134, Name: "广东"}, tg)
		return withToken()
	})
	step("tags_get", func(t *testing.T) map[string]string {
		tags, err := c.Tags(ctx, app)
		require.NoError(t, err)
		require.Contains(t, tags, Tag{ID: 134, Name: "广东", Count: 0})
		return withToken()
	})
	step("tags_update", func(t *testing.T) map[string]string {
		require.NoError(t, c.UpdateTag(ctx, app, 134, "广东人"))
		return withToken()
	})
	step("tags_members_batchtagging", func(t *testing.T) map[string]string {
		require.NoError(t, c.BatchTagging(ctx, app, 134, docOpenIDs[3:5]))
		require.Equal(t, []int{134}, e.emu.FollowerTags(app, docOpenIDs[4]))
		return withToken()
	})
	step("tags_getidlist", func(t *testing.T) map[string]string {
		ids, err := c.UserTags(ctx, app, "ocYxcuBt0mRugKZ7tGAHPnUaOW7Y")
		require.NoError(t, err)
		require.Equal(t, []int{134}, ids)
		return withToken()
	})
	step("user_tag_get", func(t *testing.T) map[string]string {
		page, err := c.TagUsers(ctx, app, 134, "")
		require.NoError(t, err)
		require.ElementsMatch(t, docOpenIDs[3:5], page.Data.OpenID)
		return withToken()
	})
	step("tags_members_batchuntagging", func(t *testing.T) map[string]string {
		require.NoError(t, c.BatchUntagging(ctx, app, 134, docOpenIDs[3:5]))
		require.Empty(t, e.emu.FollowerTags(app, docOpenIDs[4]))
		return withToken()
	})
	blackVars := func() map[string]string { return withToken("OPENID1", docOpenIDs[3], "OPENID2", docOpenIDs[4]) }
	step("tags_members_batchblacklist", func(t *testing.T) map[string]string {
		require.NoError(t, c.BatchBlacklist(ctx, app, docOpenIDs[3:5]))
		require.True(t, e.emu.Blacklisted(app, docOpenIDs[3]))
		return blackVars()
	})
	step("tags_members_getblacklist", func(t *testing.T) map[string]string {
		page, err := c.Blacklist(ctx, app, docOpenIDs[3])
		require.NoError(t, err)
		require.Equal(t, 2, page.Total)
		require.Equal(t, []string{docOpenIDs[4]}, page.Data.OpenID, "the blacklist after OPENID1")
		return blackVars()
	})
	step("tags_members_batchunblacklist", func(t *testing.T) map[string]string {
		require.NoError(t, c.BatchUnblacklist(ctx, app, docOpenIDs[3:5]))
		require.False(t, e.emu.Blacklisted(app, docOpenIDs[3]))
		return blackVars()
	})
	step("tags_delete", func(t *testing.T) map[string]string {
		require.NoError(t, c.DeleteTag(ctx, app, 134))
		return withToken()
	})
	var mediaID string
	step("material_add_material_image", func(t *testing.T) map[string]string {
		res, err := c.AddMaterial(ctx, app, MaterialImage, File{Filename: "media.jpg", ContentType: "image/jpeg",
			Body: bytes.NewReader(jpegBytes), Size: int64(len(jpegBytes))}, nil)
		require.NoError(t, err)
		require.NotEmpty(t, res.MediaID)
		require.True(t, strings.HasPrefix(res.URL, "http://mmbiz.qpic.cn/"), res.URL)
		mediaID = res.MediaID
		ms := e.emu.Materials(app)
		require.Equal(t, jpegBytes, ms[len(ms)-1].Bytes, "WeChat received the file intact")
		sent := e.last("/cgi-bin/material/add_material")
		require.Equal(t, itoa(len(sent.Body)), sent.Header.Get("Content-Length"), "a known size gives a Content-Length")
		return withToken()
	})
	step("material_add_material_video", func(t *testing.T) map[string]string {
		// A reader that cannot say its size: the body is streamed chunked.
		body := io.MultiReader(bytes.NewReader(mp4Bytes[:100]), bytes.NewReader(mp4Bytes[100:]))
		res, err := c.AddMaterial(ctx, app, MaterialVideo, File{Filename: "media.mp4", ContentType: "video/mp4", Body: body},
			&VideoDescription{Title: "VIDEO_TITLE", Introduction: "INTRODUCTION"})
		require.NoError(t, err)
		require.NotEmpty(t, res.MediaID)
		require.Empty(t, res.URL)
		ms := e.emu.Materials(app)
		require.Equal(t, mp4Bytes, ms[len(ms)-1].Bytes)
		require.Equal(t, "VIDEO_TITLE", ms[len(ms)-1].Title)
		require.Empty(t, e.last("/cgi-bin/material/add_material").Header.Get("Content-Length"), "streamed chunked")
		return withToken()
	})
	step("media_uploadimg", func(t *testing.T) map[string]string {
		u, err := c.UploadImage(ctx, app, File{Filename: "test.jpg", ContentType: "image/jpeg", Body: bytes.NewReader(jpegBytes), Size: int64(len(jpegBytes))})
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(u, "http://mmbiz.qpic.cn/"), u)
		return withToken()
	})
	step("material_get_materialcount", func(t *testing.T) map[string]string {
		n, err := c.MaterialCount(ctx, app)
		require.NoError(t, err)
		require.Equal(t, MaterialCount{ImageCount: 1, VideoCount: 1}, n)
		return withToken()
	})
	step("material_batchget_material", func(t *testing.T) map[string]string {
		list, err := c.BatchGetMaterial(ctx, app, MaterialImage, 0, 20)
		require.NoError(t, err)
		require.Equal(t, 1, list.TotalCount)
		require.Equal(t, mediaID, list.Item[0].MediaID)
		require.Equal(t, "media.jpg", list.Item[0].Name)
		return withToken()
	})
	step("material_del_material", func(t *testing.T) map[string]string {
		require.NoError(t, c.DeleteMaterial(ctx, app, mediaID))
		return withToken("MEDIA_ID", mediaID)
	})
	docMenu := Menu{Button: []Button{
		{Type: "click", Name: "今日歌曲", Key: "V1001_TODAY_MUSIC"},
		{Name: "菜单", SubButton: []Button{
			{Type: "view", Name: "搜索", URL: "http://www.soso.com/"},
			{Type: "miniprogram", Name: "wxa", URL: "http://mp.weixin.qq.com", AppID: "wx286b93c14bbf93aa", PagePath: "pages/lunar/index"},
			{Type: "click", Name: "赞一下我们", Key: "V1001_GOOD"},
		}},
	}}
	step("menu_create", func(t *testing.T) map[string]string {
		require.NoError(t, c.CreateMenu(ctx, app, docMenu))
		return withToken()
	})
	step("menu_get", func(t *testing.T) map[string]string {
		m, err := c.GetMenu(ctx, app)
		require.NoError(t, err)
		require.Len(t, m.Menu.Button, 2)
		require.Equal(t, docMenu.Button[0].Key, m.Menu.Button[0].Key)
		// WeChat answers "sub_button": [] on leaves; marshalled, the menu is the one sent.
		want, _ := marshalJSON(docMenu)
		got, _ := marshalJSON(m.Menu)
		require.JSONEq(t, string(want), string(got))
		return withToken()
	})
	step("get_current_selfmenu_info", func(t *testing.T) map[string]string {
		m, err := c.CurrentSelfMenu(ctx, app)
		require.NoError(t, err)
		require.Equal(t, 1, m.IsMenuOpen)
		require.Len(t, m.SelfMenuInfo.Button, 2)
		require.Len(t, m.SelfMenuInfo.Button[1].SubButton.List, 3)
		return withToken()
	})
	step("menu_delete", func(t *testing.T) map[string]string {
		require.NoError(t, c.DeleteMenu(ctx, app))
		_, err := c.GetMenu(ctx, app)
		require.Equal(t, CodeMenuNotExist, Code(err))
		return withToken()
	})

	// Web OAuth: the authorize page WeChat would open, then the code it hands back.
	authURL, err := c.AuthorizeURL(app, "https://console.example.com/wxplatform/webauth?appid="+app, ScopeUserInfo, "st4te")
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(authURL, "&response_type=code&scope=snsapi_userinfo&state=st4te#wechat_redirect"), authURL)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "st4te", back.Query().Get("state"))
	code := back.Query().Get("code")
	require.NotEmpty(t, code)

	var oauth OAuthToken
	step("sns_oauth2_access_token", func(t *testing.T) map[string]string {
		oauth, err = c.OAuthAccessToken(ctx, app, code)
		require.NoError(t, err)
		require.Equal(t, first, oauth.OpenID, "the emulator's user is the first follower")
		require.Equal(t, ScopeUserInfo, oauth.Scope)
		_, err = c.OAuthAccessToken(ctx, app, code)
		require.Equal(t, CodeCodeUsed, Code(err), "a code is single use")
		return map[string]string{"APPID": app, "SECRET": e.demo.Secret, "CODE": code}
	})
	step("sns_oauth2_refresh_token", func(t *testing.T) map[string]string {
		fresh, err := c.OAuthRefreshToken(ctx, app, oauth.RefreshToken)
		require.NoError(t, err)
		require.Equal(t, oauth.OpenID, fresh.OpenID)
		vars := map[string]string{"APPID": app, "REFRESH_TOKEN": oauth.RefreshToken}
		oauth = fresh
		return vars
	})
	step("sns_auth", func(t *testing.T) map[string]string {
		require.NoError(t, c.OAuthCheck(ctx, app, oauth.AccessToken, oauth.OpenID))
		return map[string]string{"ACCESS_TOKEN": oauth.AccessToken, "OPENID": oauth.OpenID}
	})
	step("sns_userinfo", func(t *testing.T) map[string]string {
		u, err := c.SNSUserInfo(ctx, app, oauth.AccessToken, oauth.OpenID, "")
		require.NoError(t, err)
		require.Equal(t, followers[0].Nickname, u.Nickname)
		return map[string]string{"ACCESS_TOKEN": oauth.AccessToken, "OPENID": oauth.OpenID}
	})
}

package wxclient

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// answer decodes WeChat's documented answer testdata/responses/name.json as the client does.
func answer[T any](t *testing.T, name string) T {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "responses", name+".json"))
	require.NoError(t, err)
	var out T
	require.NoError(t, decodeAnswer("/doc", raw, &out))
	return out
}

// TestDecodeDocumentedAnswers decodes the answer examples of WeChat's documentation into the client's
// types, so a field name mistyped in a struct tag shows here.
func TestDecodeDocumentedAnswers(t *testing.T) {
	t.Parallel()
	t.Run("token", func(t *testing.T) {
		require.Equal(t, TokenResponse{AccessToken: "ACCESS_TOKEN", ExpiresIn: 7200}, answer[TokenResponse](t, "token"))
	})
	t.Run("getticket", func(t *testing.T) {
		tk := answer[TicketResponse](t, "getticket")
		require.Equal(t, 7200, tk.ExpiresIn)
		require.Equal(t, "bxLdikRXVbTPdHSM05e5u5sUoXNKd8-41ZO3MhKoyN5OfkWITDGgnr2fwJ0m9E8NYzWKVZvdVtaUgWvsdshFKA", tk.Ticket)
	})
	t.Run("qrcode/create", func(t *testing.T) {
		q := answer[QRCodeResponse](t, "qrcode_create")
		require.Equal(t, int64(60), q.ExpireSeconds)
		require.Equal(t, "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI", q.URL)
		require.NotEmpty(t, q.Ticket)
	})
	t.Run("user/get", func(t *testing.T) {
		require.Equal(t, FollowerList{Total: 2, Count: 2, Data: OpenIDList{OpenID: []string{"OPENID1", "OPENID2"}}, NextOpenID: "NEXT_OPENID"},
			answer[FollowerList](t, "user_get"))
	})
	t.Run("user/info", func(t *testing.T) {
		u := answer[UserInfo](t, "user_info")
		require.Equal(t, UserInfo{Subscribe: 1, OpenID: "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", Language: "zh_CN", SubscribeTime: 1382694957,
			UnionID: " o6_bmasdasdsad6_2sgVt7hMZOPfL", TagIDList: []int{128, 2}, SubscribeScene: "ADD_SCENE_QR_CODE", QRScene: 98765}, u)
		old := answer[UserInfo](t, "user_info_2014")
		require.Equal(t, "Band", old.Nickname)
		require.Equal(t, 1, old.Sex)
		require.Equal(t, "广州", old.City)
	})
	t.Run("user/info/batchget", func(t *testing.T) {
		b := answer[BatchUserInfoResponse](t, "user_info_batchget")
		require.Len(t, b.UserInfoList, 2)
		require.Equal(t, 0, b.UserInfoList[1].Subscribe, "an unfollowed user has only openid")
	})
	t.Run("tags", func(t *testing.T) {
		require.Equal(t, TagFields{ID: 134, Name: "广东"}, answer[TagCreated](t, "tags_create").Tag)
		require.Equal(t, Tag{ID: 127, Name: "广东", Count: 5}, answer[TagList](t, "tags_get").Tags[2])
		require.Equal(t, []int{134, 2}, answer[TagIDList](t, "tags_getidlist").TagIDList)
		page := answer[FollowerList](t, "user_tag_get")
		require.Equal(t, 2, page.Count)
		require.Equal(t, "ocYxcuBt0mRugKZ7tGAHPnUaOW7Y", page.NextOpenID)
		black := answer[FollowerList](t, "tags_members_getblacklist")
		require.Equal(t, 23000, black.Total)
		require.Equal(t, "OPENID10000", black.NextOpenID)
	})
	t.Run("materials", func(t *testing.T) {
		require.Equal(t, AddMaterialResponse{MediaID: "MEDIA_ID", URL: "URL"}, answer[AddMaterialResponse](t, "material_add_material"))
		require.Contains(t, answer[UploadImageResponse](t, "media_uploadimg").URL, "http://mmbiz.qpic.cn/")
		require.Equal(t, MaterialCount{VoiceCount: 1, VideoCount: 2, ImageCount: 3, NewsCount: 4}, answer[MaterialCount](t, "material_get_materialcount"))
		list := answer[MaterialList](t, "material_batchget_material")
		require.Equal(t, MaterialItem{MediaID: "MEDIA_ID", Name: "NAME", UpdateTime: 1384324352, URL: "URL"}, list.Item[0])
		news := answer[MaterialList](t, "material_batchget_material_news")
		require.Equal(t, "THUMB_MEDIA_ID", news.Item[0].Content.NewsItem[0].ThumbMediaID)
		require.Equal(t, 1, news.Item[0].Content.NewsItem[0].ShowCoverPic)
	})
	t.Run("menu/get", func(t *testing.T) {
		m := answer[MenuResponse](t, "menu_get")
		require.Equal(t, int64(208396938), m.Menu.MenuID)
		require.Equal(t, "V1001_TODAY_MUSIC", m.Menu.Button[0].Key)
		require.Len(t, m.ConditionalMenu, 1)
		require.Equal(t, FlexString("2"), m.ConditionalMenu[0].MatchRule.GroupID, "a number where a string was documented")
		require.Equal(t, FlexString("2"), m.ConditionalMenu[0].MatchRule.ClientPlatformType)
		require.Equal(t, FlexString("广州"), m.ConditionalMenu[0].MatchRule.City)
		require.Len(t, m.ConditionalMenu[0].Button[1].SubButton, 3)
	})
	t.Run("get_current_selfmenu_info", func(t *testing.T) {
		m := answer[SelfMenuInfo](t, "get_current_selfmenu_info")
		require.Equal(t, 1, m.IsMenuOpen)
		b := m.SelfMenuInfo.Button
		require.Len(t, b, 3)
		require.Len(t, b[0].SubButton.List, 4)
		require.Equal(t, "MULTI_NEWS", b[0].SubButton.List[1].NewsInfo.List[0].Title)
		require.Equal(t, "This is text!", b[1].Value)
	})
	t.Run("sns", func(t *testing.T) {
		tok := answer[OAuthToken](t, "sns_oauth2_access_token")
		require.Equal(t, OAuthToken{AccessToken: "ACCESS_TOKEN", ExpiresIn: 7200, RefreshToken: "REFRESH_TOKEN", OpenID: "OPENID",
			Scope: "SCOPE", IsSnapshotUser: 1, UnionID: "UNIONID"}, tok)
		u := answer[SNSUserInfo](t, "sns_userinfo")
		require.Equal(t, []string{"PRIVILEGE1", "PRIVILEGE2"}, u.Privilege)
		require.Equal(t, "o6_bmasdasdsad6_2sgVt7hMZOPfL", u.UnionID)
	})
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		body     string
		wantCode int         // a WeChat error
		wantKind apperr.Kind // else an apperr kind; Internal means success
	}{
		{"ok", `{"errcode":0,"errmsg":"ok"}`, 0, apperr.Internal},
		{"ip whitelist", `{"errcode":40164,"errmsg":"invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 1"}`, 40164, 0},
		{"busy", `{"errcode":-1,"errmsg":"system error"}`, -1, 0},
		{"truncated", `{"errcode":`, 0, apperr.Upstream},
		{"html", `<html><body>502 Bad Gateway</body></html>`, 0, apperr.Upstream},
		{"errcode as text", `{"errcode":"40001"}`, 0, apperr.Upstream},
		{"empty", ``, 0, apperr.Upstream},
		{"wrong field type", `{"tags":"none"}`, 0, apperr.Upstream},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out TagList
			err := decodeAnswer("/cgi-bin/tags/get", []byte(tc.body), &out)
			switch {
			case tc.wantCode != 0:
				require.Equal(t, tc.wantCode, Code(err))
			case tc.wantKind == apperr.Internal:
				require.NoError(t, err)
			default:
				require.ErrorIs(t, err, ErrBadAnswer)
				require.Equal(t, tc.wantKind, apperr.KindOf(err))
			}
		})
	}
	err := decodeAnswer("/cgi-bin/tags/get", []byte(`{"errcode":40164,"errmsg":"invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist"}`), nil)
	var we *Error
	require.ErrorAs(t, err, &we)
	require.Equal(t, "WeChat refused the call from this server: add this server's IP (203.0.113.7) to the account's IP whitelist (Settings and Development › Basic Configuration).", we.Explanation())
}

// FuzzDecodeAnswer feeds arbitrary bytes as WeChat's answer to every answer type: never a panic, and an
// errcode is always reported as a WeChat error.
func FuzzDecodeAnswer(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "responses", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"errcode":-1}`))
	f.Add([]byte(`{"menu":{"button":[]},"conditionalmenu":[{"matchrule":{"sex":1e400}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		outs := []any{&TokenResponse{}, &TicketResponse{}, &QRCodeResponse{}, &FollowerList{}, &UserInfo{},
			&BatchUserInfoResponse{}, &TagList{}, &TagCreated{}, &TagIDList{}, &AddMaterialResponse{}, &MaterialCount{},
			&MaterialList{}, &MenuResponse{}, &SelfMenuInfo{}, &OAuthToken{}, &SNSUserInfo{}, nil}
		for _, out := range outs {
			err := decodeAnswer("/fuzz", data, out)
			var we *Error
			if errors.As(err, &we) && we.Errcode == 0 {
				t.Fatalf("a WeChat error with errcode 0 from %q", data)
			}
		}
	})
}

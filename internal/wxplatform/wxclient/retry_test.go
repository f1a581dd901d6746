package wxclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

func faultCode(code int, msg string) wxemu.Fault { return wxemu.Fault{Errcode: code, Errmsg: msg} }

func testRetryRules(t *testing.T, d *sharedDB) {
	const path = "/cgi-bin/tags/get"
	cases := []struct {
		name      string
		fault     wxemu.Fault
		wantCode  int // 0: success
		wantCalls int // requests that reached tags/get
		wantFetch int // token fetches after the first
		explained string
	}{
		{"busy once", wxemu.Fault{Errcode: CodeBusy, Times: 1}, 0, 2, 0, ""},
		{"busy twice", wxemu.Fault{Errcode: CodeBusy, Times: 2}, 0, 3, 0, ""},
		{"busy three times", wxemu.Fault{Errcode: CodeBusy, Times: 3}, CodeBusy, 3, 0, "busy"},
		{"daily quota", wxemu.Fault{Errcode: CodeDailyQuota}, CodeDailyQuota, 1, 0, "daily quota"},
		{"minute quota", wxemu.Fault{Errcode: CodeMinuteQuota}, CodeMinuteQuota, 1, 0, "wait a minute"},
		{"not authorized", wxemu.Fault{Errcode: CodeAPIUnauthorized}, CodeAPIUnauthorized, 1, 0, "not authorized"},
		{"ip whitelist", wxemu.Fault{Errcode: CodeIPNotWhitelisted}, CodeIPNotWhitelisted, 1, 0, "IP whitelist"},
		{"token rejected once", wxemu.Fault{Errcode: CodeInvalidCredential, Times: 1}, 0, 2, 1, ""},
		{"token invalid (40014)", wxemu.Fault{Errcode: CodeInvalidAccessToken, Times: 1}, 0, 2, 1, ""},
		{"token expired (42001)", wxemu.Fault{Errcode: CodeTokenExpired, Times: 1}, 0, 2, 1, ""},
		{"token rejected twice", wxemu.Fault{Errcode: CodeInvalidCredential, Times: 2}, CodeInvalidCredential, 2, 1, "another system"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := d.env(t)
			ctx := ctxT(t)
			app := e.demo.AppID
			c := e.client()
			warm(t, ctx, app, c)
			e.emu.SetFault(path, tc.fault)

			tags, err := c.Tags(ctx, app)
			require.Len(t, e.requests(path), tc.wantCalls)
			require.Equal(t, 1+tc.wantFetch, e.emu.TokenRequests(app))
			if tc.wantCode == 0 {
				require.NoError(t, err)
				require.NotEmpty(t, tags, "WeChat's answer after the retry")
				return
			}
			require.Equal(t, tc.wantCode, Code(err))
			var wx apperr.WeChatError
			require.ErrorAs(t, err, &wx)
			require.Equal(t, tc.wantCode, wx.WeChatCode())
			require.NotEmpty(t, wx.WeChatMsg())
			require.Contains(t, wx.Explanation(), tc.explained)
		})
	}
}

func testTokenEndpointErrorsAreNotTokenRefreshes(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	c := e.client()
	// 40001 from cgi-bin/token means the AppSecret is wrong: no refresh loop, a plain explanation.
	e.emu.SetFault(pathToken, faultCode(CodeInvalidCredential, ""))
	_, err := c.Tags(ctx, e.demo.AppID)
	require.Equal(t, CodeInvalidCredential, Code(err))
	require.Len(t, e.requests(pathToken), 1)
	var we *Error
	require.ErrorAs(t, err, &we)
	require.Equal(t, pathToken, we.Path)
	require.Contains(t, we.Explanation(), "AppSecret is wrong")
	require.True(t, errors.Is(err, &Error{Errcode: CodeInvalidCredential, Path: pathToken}))
}

func testTimeoutIsUpstreamTimeout(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	c := e.client(func(o *Options) { o.Timeout = 200 * time.Millisecond })
	warm(t, ctx, e.demo.AppID, c)
	e.emu.SetFault("/cgi-bin/tags/get", wxemu.Fault{Delay: 5 * time.Second})

	start := time.Now()
	_, err := c.Tags(ctx, e.demo.AppID)
	require.Less(t, time.Since(start), 2*time.Second)
	require.ErrorIs(t, err, ErrTimeout)
	require.Equal(t, apperr.UpstreamTimeout, apperr.KindOf(err))
}

func testUnreachableIsUpstream(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	c := e.client()
	e.srv.Close()
	_, err := c.Token(ctx, e.demo.AppID, e.demo.Secret)
	require.ErrorIs(t, err, ErrUnreachable)
	require.Equal(t, apperr.Upstream, apperr.KindOf(err))
}

func testCallerCancelStopsBackoff(t *testing.T, d *sharedDB) {
	e := d.env(t)
	c := e.client(func(o *Options) { o.RetryBackoff = time.Minute })
	warm(t, ctxT(t), e.demo.AppID, c)
	e.emu.SetFault("/cgi-bin/tags/get", wxemu.Fault{Errcode: CodeBusy})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Tags(ctx, e.demo.AppID)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, CodeBusy, Code(err))
}

func testUploadRetriedOnlyWhenRereadable(t *testing.T, d *sharedDB) {
	const path = "/cgi-bin/material/add_material"
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	c := e.client()
	warm(t, ctx, app, c)

	// A seekable file is sent again, whole.
	e.emu.SetFault(path, wxemu.Fault{Errcode: CodeBusy, Times: 1})
	res, err := c.AddMaterial(ctx, app, MaterialImage, File{Filename: "a.jpg", ContentType: "image/jpeg",
		Body: bytes.NewReader(jpegBytes), Size: int64(len(jpegBytes))}, nil)
	require.NoError(t, err)
	require.NotEmpty(t, res.MediaID)
	require.Len(t, e.requests(path), 2)
	require.Equal(t, jpegBytes, e.emu.Materials(app)[0].Bytes)

	// A stream cannot be read twice: WeChat's busy answer comes back as is.
	e.emu.SetFault(path, wxemu.Fault{Errcode: CodeBusy, Times: 1})
	_, err = c.AddMaterial(ctx, app, MaterialImage, File{Filename: "b.jpg", ContentType: "image/jpeg",
		Body: io.MultiReader(bytes.NewReader(jpegBytes))}, nil)
	require.Equal(t, CodeBusy, Code(err))
	require.Len(t, e.requests(path), 3)
}

func testUploadSizeMustMatch(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	c := e.client()
	for _, size := range []int64{int64(len(jpegBytes)) + 10, int64(len(jpegBytes)) - 10} {
		_, err := c.AddMaterial(ctx, app, MaterialImage, File{Filename: "a.jpg", Body: bytes.NewReader(jpegBytes), Size: size}, nil)
		require.Error(t, err, "declared %d bytes", size)
	}
	require.Empty(t, e.emu.Materials(app))
}

func testInputsValidated(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	c := e.client()
	many := make([]string, 51)
	for i := range many {
		many[i] = "o" + itoa(i)
	}
	cases := []struct {
		name  string
		field string
		call  func() error
	}{
		{"appid", "appid", func() error { _, err := c.Tags(ctx, "wx../../x"); return err }},
		{"no openid", "openid", func() error { _, err := c.UserInfo(ctx, app, "", ""); return err }},
		{"bad lang", "lang", func() error { _, err := c.UserInfo(ctx, app, "o", "fr"); return err }},
		{"101 users", "user_list", func() error { _, err := c.BatchUserInfo(ctx, app, append(many, many...), ""); return err }},
		{"51 tagged", "openid_list", func() error { return c.BatchTagging(ctx, app, 100, many) }},
		{"21 blacklisted", "openid_list", func() error { return c.BatchBlacklist(ctx, app, many[:21]) }},
		{"tag name", "tag.name", func() error {
			_, err := c.CreateTag(ctx, app, "这是一个非常非常非常长的标签名字")
			return err
		}},
		{"remark", "remark", func() error { return c.UpdateRemark(ctx, app, "o", string(make([]rune, 31))) }},
		{"permanent scene", "scene_id", func() error {
			_, err := c.CreateQRCode(ctx, app, QRCodeRequest{ActionName: ActionQRLimitScene, ActionInfo: QRActionInfo{Scene: QRScene{SceneID: 100001}}})
			return err
		}},
		{"expire", "expire_seconds", func() error {
			_, err := c.CreateQRCode(ctx, app, QRCodeRequest{ExpireSeconds: 2592001, ActionName: ActionQRScene, ActionInfo: QRActionInfo{Scene: QRScene{SceneID: 1}}})
			return err
		}},
		{"scene_str", "scene_str", func() error {
			_, err := c.CreateQRCode(ctx, app, QRCodeRequest{ActionName: ActionQRStrScene, ActionInfo: QRActionInfo{Scene: QRScene{SceneStr: string(bytes.Repeat([]byte("x"), 65))}}})
			return err
		}},
		{"material type", "type", func() error {
			_, err := c.AddMaterial(ctx, app, "news", File{Filename: "a", Body: bytes.NewReader(nil)}, nil)
			return err
		}},
		{"video title", "title", func() error {
			_, err := c.AddMaterial(ctx, app, MaterialVideo, File{Filename: "a.mp4", Body: bytes.NewReader(mp4Bytes)}, nil)
			return err
		}},
		{"batchget count", "count", func() error { _, err := c.BatchGetMaterial(ctx, app, MaterialImage, 0, 21); return err }},
		{"oauth code", "code", func() error { _, err := c.OAuthAccessToken(ctx, app, ""); return err }},
		{"scope", "scope", func() error { _, err := c.AuthorizeURL(app, "https://a.example/", "snsapi_login", "s"); return err }},
		{"state", "state", func() error { _, err := c.AuthorizeURL(app, "https://a.example/", ScopeBase, "a=b"); return err }},
		{"redirect", "redirect_uri", func() error { _, err := c.AuthorizeURL(app, "/relative", ScopeBase, "s"); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae *apperr.Error
			require.ErrorAs(t, err, &ae)
			require.Equal(t, apperr.Invalid, ae.Kind, err.Error())
			require.Equal(t, tc.field, ae.Field)
		})
	}
	require.Empty(t, e.emu.Requests(), "nothing invalid reaches WeChat")
}

// TestClientBehaviour runs the retry, error and validation tests on one database.
func TestClientBehaviour(t *testing.T) {
	t.Parallel()
	d := newSharedDB(t)
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *sharedDB)
	}{
		{"RetryRules", testRetryRules},
		{"TokenEndpointErrorsAreNotTokenRefreshes", testTokenEndpointErrorsAreNotTokenRefreshes},
		{"TimeoutIsUpstreamTimeout", testTimeoutIsUpstreamTimeout},
		{"UnreachableIsUpstream", testUnreachableIsUpstream},
		{"CallerCancelStopsBackoff", testCallerCancelStopsBackoff},
		{"UploadRetriedOnlyWhenRereadable", testUploadRetriedOnlyWhenRereadable},
		{"UploadSizeMustMatch", testUploadSizeMustMatch},
		{"InputsValidated", testInputsValidated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, d)
		})
	}
}

package qrcode_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/jobs/jobstest"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/qrcode"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// fixture is the shared WeChat fixture with one operator, one bound account with three followers, and
// the QR code API routes.
type fixture struct {
	*wxtest.Env
	t       *testing.T
	acct    *accounts.Account
	handler *gin.Engine
	svc     *qrcode.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1}})
	f := &fixture{Env: env, t: t}
	userID := env.Operator("op")
	ea := env.Emu.NewAccount("二维码测试")
	env.Emu.AddFollowers(ea.AppID, 3)
	f.acct = env.Bind(userID, ea)

	env.Tokens.Give("test-token", httpapi.Principal{UserID: userID})
	f.handler = wxtest.Router()
	f.svc = qrcode.NewService(env.DB, env.WX, messages.NewStore(env.DB))
	qrcode.NewHandler(f.svc).Routes(env.APIGroup(f.handler, "/apis/wxplatform", env.Tokens.RequireAuth()))
	return f
}

func (f *fixture) do(method, path, body string) *httptest.ResponseRecorder {
	f.t.Helper()
	return wxtest.Serve(f.t, f.handler, wxtest.Request{Method: method, Target: "/apis/wxplatform/" + path, Token: "test-token", Body: body})
}

func (f *fixture) call(path, body string) (int, map[string]any) {
	f.t.Helper()
	w := f.do(http.MethodPost, path, body)
	return w.Code, wxtest.Decode(f.t, w)
}

func (f *fixture) lastEmuCode() wxemu.QRCode {
	codes := f.Emu.QRCodes(f.acct.AppID)
	require.NotEmpty(f.t, codes)
	return codes[len(codes)-1]
}

func TestCreateQRCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name       string
		body       string
		action     string
		sceneID    int64
		sceneStr   string
		expire     int
		wantScene  any
		permanence bool
	}{
		{"temporary integer", `{"sceneId":123,"expire":600}`, "QR_SCENE", 123, "", 600, 123.0, false},
		{"temporary integer, largest", `{"sceneId":4294967295,"expire":2592000}`, "QR_SCENE", 4294967295, "", 2592000, 4294967295.0, false},
		{"permanent integer, spec's typo, numeric string", `{"senseld":"42"}`, "QR_LIMIT_SCENE", 42, "", 0, 42.0, true},
		{"permanent integer, largest", `{"senseId":100000}`, "QR_LIMIT_SCENE", 100000, "", 0, 100000.0, true},
		{"temporary string, form fields", `sceneId=promo_2024&expire=3600`, "QR_STR_SCENE", 0, "promo_2024", 3600, "promo_2024", false},
		{"permanent string", `{"sceneId":"门店-上海"}`, "QR_LIMIT_STR_SCENE", 0, "门店-上海", 0, "门店-上海", true},
		{"permanent string of 64 bytes", `{"sceneId":"` + strings.Repeat("x", 64) + `"}`, "QR_LIMIT_STR_SCENE", 0, strings.Repeat("x", 64), 0, strings.Repeat("x", 64), true},
		{"empty expire is permanent", `sceneId=7&expire=`, "QR_LIMIT_SCENE", 7, "", 0, 7.0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.call("qrcode", tc.body)
			require.Equal(t, 200, status, "%v", out)
			got := f.lastEmuCode()
			require.Equal(t, tc.action, got.ActionName, "the action WeChat received")
			require.Equal(t, tc.sceneID, got.SceneID)
			require.Equal(t, tc.sceneStr, got.SceneStr)
			require.Equal(t, tc.expire, got.ExpireSeconds)
			require.Equal(t, got.Ticket, out["ticket"])
			require.Equal(t, got.URL, out["url"])
			require.EqualValues(t, tc.expire, out["expireSeconds"])
			require.Equal(t, f.EmuURL+"/cgi-bin/showqrcode?ticket="+url.QueryEscape(got.Ticket), out["qrcodeUrl"])
			require.Equal(t, tc.wantScene, out["sceneId"])
			require.Equal(t, tc.permanence, out["permanent"])
			if tc.permanence {
				require.Nil(t, out["expireAt"])
			} else {
				require.NotNil(t, out["expireAt"])
			}
			// The showqrcode link works as given: the ticket is encoded (it holds "/", "+" and "=").
			resp, err := http.Get(out["qrcodeUrl"].(string))
			require.NoError(t, err)
			_ = resp.Body.Close()
			require.Equal(t, 200, resp.StatusCode)
			require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
		})
	}

	// A permanent code asked again for its scene is the same code, listed once.
	_, first := f.call("qrcode", `{"sceneId":"门店-上海"}`)
	_, again := f.call("qrcode", `{"sceneId":"门店-上海"}`)
	require.Equal(t, first["ticket"], again["ticket"])
	require.Equal(t, first["id"], again["id"])
	_, list := f.call("listQrcodes", "")
	require.EqualValues(t, len(tests), list["total"])
}

func TestCreateQRCodeRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct{ name, body, field string }{
		{"no scene", `{}`, "sceneId"},
		{"empty scene", `{"sceneId":""}`, "sceneId"},
		{"zero", `{"sceneId":0}`, "sceneId"},
		{"negative", `{"sceneId":-5,"expire":60}`, "sceneId"},
		{"negative as text", `{"sceneId":"-5"}`, "sceneId"},
		{"permanent above 100000", `{"sceneId":100001}`, "sceneId"},
		{"temporary above 2^32-1", `{"sceneId":4294967296,"expire":60}`, "sceneId"},
		{"huge digits", `{"sceneId":"99999999999999999999999","expire":60}`, "sceneId"},
		{"fraction", `{"sceneId":1.5}`, "sceneId"},
		{"boolean", `{"sceneId":true}`, "sceneId"},
		{"object", `{"sceneId":{"id":1}}`, "sceneId"},
		{"65 bytes", `{"sceneId":"` + strings.Repeat("y", 65) + `"}`, "sceneId"},
		{"65 characters", `{"sceneId":"` + strings.Repeat("码", 65) + `"}`, "sceneId"},
		{"control character", `{"sceneId":"a\u0001b"}`, "sceneId"},
		{"expire zero", `{"sceneId":1,"expire":0}`, "expire"},
		{"expire negative", `{"sceneId":1,"expire":-60}`, "expire"},
		{"expire above 30 days", `{"sceneId":1,"expire":2592001}`, "expire"},
		{"expire not a number", `{"sceneId":1,"expire":"soon"}`, "expire"},
		{"expire fraction", `{"sceneId":1,"expire":1.5}`, "expire"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.call("qrcode", tc.body)
			require.Equal(t, 400, status, "%v", out)
			require.EqualValues(t, 40000, out["errcode"])
			require.Contains(t, out["msg"], tc.field)
		})
	}
	require.Empty(t, f.Emu.QRCodes(f.acct.AppID), "nothing reached WeChat")

	f.Emu.SetFault("/cgi-bin/qrcode/create", wxemu.Fault{Errcode: 45009, Times: 1})
	status, out := f.call("qrcode", `{"sceneId":1}`)
	require.Equal(t, 502, status, "%v", out)
	require.EqualValues(t, 50200, out["errcode"])
	require.EqualValues(t, 45009, out["wxErrcode"])

	status, out = f.call("qrcode?appid=wx0123456789abcdef", `{"sceneId":1}`)
	require.Equal(t, 403, status, "%v", out)
	require.EqualValues(t, 40300, out["errcode"])
}

// insertEvent stores an event as the callback does.
func (f *fixture) insertEvent(event, key, ticket, from string, at time.Time) {
	f.t.Helper()
	require.NoError(f.t, f.DB.Exec(`INSERT INTO wx_messages (account_id, from_user, create_time, msg_type, event, event_key,
		ticket, received_at) VALUES (?, ?, ?, 'event', ?, ?, ?, ?)`, f.acct.ID, from, at.Unix(), event, key, ticket, at).Error)
}

func TestListQrcodesCountsEvents(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, a := f.call("qrcode", `{"sceneId":123,"expire":600}`)
	_, b := f.call("qrcode", `{"sceneId":"shop"}`)
	ta, tb := a["ticket"].(string), b["ticket"].(string)
	now := time.Now()

	f.insertEvent("subscribe", "qrscene_123", ta, "oU1", now)
	f.insertEvent("SCAN", "123", ta, "oU2", now.Add(time.Second))
	f.insertEvent("SCAN", "123", ta, "oU2", now.Add(2*time.Second))
	f.insertEvent("SCAN", "123", "", "oU3", now.Add(3*time.Second))             // no ticket: matched by scene
	f.insertEvent("SCAN", "123", "", "oU3", now.Add(-time.Hour))                // before the code existed
	f.insertEvent("subscribe", "qrscene_shop", "", "oU4", now.Add(time.Second)) // by scene
	f.insertEvent("subscribe", "qrscene_shop", tb, "oU5", now.Add(2*time.Second))
	f.insertEvent("SCAN", "shop", tb, "oU5", now.Add(3*time.Second))
	f.insertEvent("subscribe", "", "", "oU6", now)                   // not by a QR code
	f.insertEvent("SCAN", "999", "OTHER_TICKET", "oU7", now)         // another code
	f.insertEvent("CLICK", "123", "", "oU8", now.Add(5*time.Second)) // a menu key, not a scan

	status, out := f.call("listQrcodes", "")
	require.Equal(t, 200, status, "%v", out)
	require.EqualValues(t, 2, out["total"])
	codes := out["qrcodes"].([]any)
	require.Len(t, codes, 2)
	shop, n123 := codes[0].(map[string]any), codes[1].(map[string]any)
	require.Equal(t, "shop", shop["sceneId"])
	require.Equal(t, true, shop["permanent"])
	require.Nil(t, shop["expireAt"])
	require.EqualValues(t, 1, shop["scans"])
	require.EqualValues(t, 2, shop["subscribes"])
	require.EqualValues(t, 123, n123["sceneId"])
	require.Equal(t, false, n123["permanent"])
	require.NotNil(t, n123["expireAt"])
	require.EqualValues(t, 3, n123["scans"])
	require.EqualValues(t, 1, n123["subscribes"])
	for _, k := range []string{"id", "sceneId", "permanent", "ticket", "url", "qrcodeUrl", "expireAt", "scans", "subscribes"} {
		require.Contains(t, n123, k)
	}
	require.Equal(t, ta, n123["ticket"])

	_, out = f.call("listQrcodes", `{"limit":1,"offset":1}`)
	require.Len(t, out["qrcodes"].([]any), 1)
	status, out = f.call("listQrcodes", `{"limit":1000}`)
	require.Equal(t, 400, status)
	require.Contains(t, out["msg"], "limit")
}

// TestScansThroughTheCallback: the emulator plays a user scanning the code — first a subscribe with
// qrscene_, then a SCAN — delivered to the real callback, which stores them; listQrcodes counts them
// and the follower mirror hears of the subscribe.
func TestScansThroughTheCallback(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fsvc := followers.NewService(f.DB, followers.Options{WeChat: f.WX, Jobs: jobstest.New(t, f.DB, f.DBURL)})
	t.Cleanup(fsvc.Close)
	cb := callback.New(callback.Options{DB: f.DB, Accounts: f.Accounts, Replies: noRules{}, Observer: fsvc.Observer()})
	ctx, cancel := context.WithCancel(context.Background())
	cb.Start(ctx)
	t.Cleanup(func() { cancel(); cb.Close() })
	e := gin.New()
	cb.Routes(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	f.Emu.SetCallback(f.acct.AppID, srv.URL+"/wxplatform/callback/"+f.acct.AppID, wxemu.ModeSafe)

	_, out := f.call("qrcode", `{"sceneId":77,"expire":3600}`)
	ticket := out["ticket"].(string)
	d, err := f.Emu.Scan(ctx, f.acct.AppID, "", ticket)
	require.NoError(t, err)
	require.Equal(t, 200, d.Status)
	require.Equal(t, "subscribe", d.Message.Event)
	require.Equal(t, "qrscene_77", d.Message.EventKey)
	newcomer := d.Message.FromUserName
	d, err = f.Emu.Scan(ctx, f.acct.AppID, newcomer, ticket)
	require.NoError(t, err)
	require.Equal(t, "SCAN", d.Message.Event)
	require.Equal(t, "77", d.Message.EventKey)

	require.Eventually(t, func() bool {
		_, out := f.call("listQrcodes", "")
		c := out["qrcodes"].([]any)[0].(map[string]any)
		return c["scans"] == 1.0 && c["subscribes"] == 1.0
	}, 5*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		var scene int64
		_ = f.DB.Raw(`SELECT qr_scene FROM wx_followers WHERE account_id = ? AND openid = ? AND subscribed`, f.acct.ID, newcomer).Scan(&scene)
		return scene == 77
	}, 5*time.Second, 20*time.Millisecond)
}

type noRules struct{}

func (noRules) Match(context.Context, int64, *wxcrypto.Message) (*reply.Match, error) {
	return nil, nil
}

func TestQRCodeImage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, out := f.call("qrcode", `{"sceneId":5}`)
	id := int64(out["id"].(float64))

	for _, method := range []string{http.MethodGet, http.MethodPost} {
		w := f.do(method, "qrcodeImage?id="+strconv.FormatInt(id, 10), "")
		require.Equal(t, 200, w.Code, w.Body.String())
		require.Equal(t, "image/png", w.Header().Get("Content-Type"))
		img, err := png.Decode(bytes.NewReader(w.Body.Bytes()))
		require.NoError(t, err)
		require.Equal(t, 430, img.Bounds().Dx())
	}
	w := f.do(http.MethodPost, "qrcodeImage", `{"id":`+strconv.FormatInt(id, 10)+`,"size":256}`)
	require.Equal(t, 200, w.Code)
	img, err := png.Decode(bytes.NewReader(w.Body.Bytes()))
	require.NoError(t, err)
	require.Equal(t, 256, img.Bounds().Dx())

	for _, tc := range []struct {
		body   string
		status int
		code   float64
		field  string
	}{
		{`{}`, 400, 40000, "id"},
		{`{"id":"x"}`, 400, 40000, "id"},
		{`{"id":0}`, 400, 40000, "id"},
		{`{"id":999999}`, 404, 40400, "id"},
		{`{"id":` + strconv.FormatInt(id, 10) + `,"size":5000}`, 400, 40000, "size"},
	} {
		w := f.do(http.MethodPost, "qrcodeImage", tc.body)
		require.Equal(t, tc.status, w.Code, tc.body)
		var out map[string]any
		body, _ := io.ReadAll(w.Body)
		require.NoError(t, json.Unmarshal(body, &out))
		require.Equal(t, tc.code, out["errcode"])
		require.Contains(t, out["msg"], tc.field)
	}
}

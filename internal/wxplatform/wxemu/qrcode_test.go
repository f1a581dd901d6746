package wxemu

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestQRCreate(t *testing.T) {
	v := newEnv(t, Options{})
	app := v.demo.AppID

	temp := v.post("/cgi-bin/qrcode/create", v.q(), `{"expire_seconds":604800,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":123}}}`)
	require.Len(t, temp, 3)
	require.Equal(t, json.Number("604800"), temp["expire_seconds"])
	require.Regexp(t, `^http://weixin\.qq\.com/q/\w{22}$`, temp["url"])
	ticket := temp["ticket"].(string)
	require.True(t, strings.HasSuffix(ticket, "==") && strings.Contains(ticket, "+"), ticket)

	str := v.post("/cgi-bin/qrcode/create", v.q(), `{"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"test"}}}`)
	require.Equal(t, json.Number("30"), str["expire_seconds"], "default 30 s")

	capped := v.post("/cgi-bin/qrcode/create", v.q(), `{"expire_seconds":9999999,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":4294967295}}}`)
	require.Equal(t, json.Number("2592000"), capped["expire_seconds"])

	perm := v.post("/cgi-bin/qrcode/create", v.q(), `{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":100000}}}`)
	require.Len(t, perm, 2, "permanent codes have no expire_seconds: %v", perm)
	again := v.post("/cgi-bin/qrcode/create", v.q(), `{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":100000}}}`)
	require.Equal(t, perm, again, "the same permanent scene answers the same ticket")
	permStr := v.post("/cgi-bin/qrcode/create", v.q(), `{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":"`+strings.Repeat("s", 64)+`"}}}`)
	require.Contains(t, permStr, "ticket")

	qs := v.emu.QRCodes(app)
	require.Len(t, qs, 5)
	require.Equal(t, QRCode{Ticket: ticket, URL: temp["url"].(string), ActionName: "QR_SCENE", SceneID: 123,
		ExpireSeconds: 604800, CreatedAt: v.clock.Now(), ExpiresAt: v.clock.Now().Add(604800 * time.Second)}, qs[0])
	require.Equal(t, "test", qs[1].SceneStr)
	require.True(t, qs[3].Permanent())
	require.Equal(t, "100000", qs[3].Scene())

	// showqrcode: a PNG of the url, ticket URL-encoded, no access_token.
	status, img := v.do(http.MethodGet, "/cgi-bin/showqrcode", url.Values{"ticket": {ticket}}, "", nil)
	require.Equal(t, http.StatusOK, status)
	decoded, err := png.Decode(bytes.NewReader(img))
	require.NoError(t, err)
	require.Greater(t, decoded.Bounds().Dx(), 100)
	status, _ = v.do(http.MethodGet, "/cgi-bin/showqrcode?ticket="+ticket, nil, "", nil)
	require.Equal(t, http.StatusNotFound, status, "an unescaped ticket loses its + to a space")
	status, _ = v.do(http.MethodGet, "/cgi-bin/showqrcode", url.Values{"ticket": {"nope"}}, "", nil)
	require.Equal(t, http.StatusNotFound, status)

	// Temporary codes expire; permanent ones do not.
	v.clock.Add(604800 * time.Second)
	status, _ = v.do(http.MethodGet, "/cgi-bin/showqrcode", url.Values{"ticket": {ticket}}, "", nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _ = v.do(http.MethodGet, "/cgi-bin/showqrcode", url.Values{"ticket": {perm["ticket"].(string)}}, "", nil)
	require.Equal(t, http.StatusOK, status)
}

func TestQRCreateErrors(t *testing.T) {
	v := newEnv(t, Options{})
	cases := []struct {
		name, body string
		code       int
	}{
		{"unknown action", `{"action_name":"QR_FOREVER","action_info":{"scene":{"scene_id":1}}}`, 40052},
		{"no action", `{"action_info":{"scene":{"scene_id":1}}}`, 40052},
		{"no action_info", `{"action_name":"QR_SCENE"}`, 40053},
		{"scene_id without scene", `{"action_name":"QR_SCENE","action_info":{"scene_id":1}}`, 40053},
		{"scene_id zero", `{"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":0}}}`, 40053},
		{"scene_id over 32 bits", `{"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":4294967296}}}`, 40053},
		{"permanent scene_id over 100000", `{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":100001}}}`, 40053},
		{"string scene without scene_str", `{"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_id":1}}}`, 40053},
		{"empty scene_str", `{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":""}}}`, 40053},
		{"scene_str over 64", `{"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"` + strings.Repeat("s", 65) + `"}}}`, 40053},
		{"fractional expiry", `{"expire_seconds":1.5,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":1}}}`, 40053},
		{"not json", `{`, 47001},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireErrcode(t, v.post("/cgi-bin/qrcode/create", v.q(), c.body), c.code)
		})
	}
	require.Empty(t, v.emu.QRCodes(v.demo.AppID))
}

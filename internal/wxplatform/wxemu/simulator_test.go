package wxemu

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/stretchr/testify/require"
)

// callback is a tiny official-account server: it checks WeChat's signatures, decrypts in compat and safe
// mode, and answers with answer(msg) (sealed when the request was encrypted and seal is set).
type callback struct {
	t      *testing.T
	acc    Account
	answer func(m *wxcrypto.Message) []byte
	plain  bool // answer in plaintext even to an encrypted request

	mu       sync.Mutex
	got      []*wxcrypto.Message
	queries  []url.Values
	rawBody  [][]byte
	problems []string
}

func (c *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	body, _ := io.ReadAll(r.Body)
	fail := func(p string) {
		c.mu.Lock()
		c.problems = append(c.problems, p)
		c.mu.Unlock()
		http.Error(w, p, http.StatusForbidden)
	}
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if !wxcrypto.VerifySignature(c.acc.Token, ts, nonce, q.Get("signature")) {
		fail("bad signature")
		return
	}
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(q.Get("echostr")))
		return
	}
	var msg *wxcrypto.Message
	var cipher *wxcrypto.Cipher
	var err error
	if q.Get("encrypt_type") == "aes" {
		cipher, err = wxcrypto.NewCipher(c.acc.EncodingAESKey, c.acc.AppID)
		if err == nil {
			msg, err = cipher.OpenMessage(c.acc.Token, ts, nonce, q.Get("msg_signature"), body)
		}
	} else {
		msg, err = wxcrypto.ParseMessage(body)
	}
	if err != nil {
		fail("decode: " + err.Error())
		return
	}
	if q.Get("openid") != msg.FromUserName {
		fail("openid query does not match")
		return
	}
	c.mu.Lock()
	c.got = append(c.got, msg)
	c.queries = append(c.queries, q)
	c.rawBody = append(c.rawBody, body)
	c.mu.Unlock()
	out := c.answer(msg)
	if cipher != nil && !c.plain && len(out) > 0 && string(out) != "success" {
		out, err = cipher.SealReply(c.acc.Token, out, ts, nonce)
		if err != nil {
			fail("seal: " + err.Error())
			return
		}
	}
	_, _ = w.Write(out)
}

// echo answers text with a text reply "echo: <content>" and events with "success".
func echo(m *wxcrypto.Message) []byte {
	if m.MsgType != "text" {
		return []byte("success")
	}
	r := wxcrypto.Reply{ToUserName: m.FromUserName, FromUserName: m.ToUserName, CreateTime: m.CreateTime,
		MsgType: "text", Content: "echo: " + m.Content}
	return r.Marshal()
}

func newCallback(t *testing.T, v *env, mode string, answer func(*wxcrypto.Message) []byte) *callback {
	t.Helper()
	cb := &callback{t: t, acc: v.demo, answer: answer}
	srv := httptest.NewServer(cb)
	t.Cleanup(func() {
		srv.Close()
		require.Empty(t, cb.problems)
	})
	v.emu.SetCallback(v.demo.AppID, srv.URL+"/wxplatform/callback/"+v.demo.AppID+"?x=1", mode)
	return cb
}

func TestSimulatorModes(t *testing.T) {
	for _, mode := range []string{ModePlain, ModeCompat, ModeSafe} {
		t.Run(mode, func(t *testing.T) {
			v := newEnv(t, Options{})
			cb := newCallback(t, v, mode, echo)
			first := v.emu.Followers(v.demo.AppID)[0]

			d, err := v.emu.SendText(t.Context(), v.demo.AppID, "", "你好 <&> ]]>")
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, d.Status)
			require.NotNil(t, d.Reply)
			require.Equal(t, "text", d.Reply.MsgType)
			require.Equal(t, "echo: 你好 <&> ]]>", d.Reply.Content)
			require.Equal(t, first.OpenID, d.Reply.ToUserName)

			require.Len(t, cb.got, 1)
			got := cb.got[0]
			require.Equal(t, v.demo.OriginalID, got.ToUserName)
			require.Equal(t, first.OpenID, got.FromUserName)
			require.Equal(t, v.clock.Now().Unix(), got.CreateTime)
			require.NotZero(t, got.MsgID)
			q := cb.queries[0]
			require.Equal(t, "1", q.Get("x"), "the callback's own query is kept")
			raw := string(cb.rawBody[0])
			switch mode {
			case ModePlain:
				require.Empty(t, q.Get("encrypt_type"))
				require.NotContains(t, raw, "<Encrypt>")
			case ModeCompat:
				require.Equal(t, "aes", q.Get("encrypt_type"))
				require.Contains(t, raw, "<Encrypt>")
				require.Contains(t, raw, "<Content>")
				require.Contains(t, string(d.Body), "<Encrypt>")
			case ModeSafe:
				require.Equal(t, "aes", q.Get("encrypt_type"))
				require.Contains(t, raw, "<Encrypt>")
				require.NotContains(t, raw, "<Content>")
				require.NotContains(t, raw, "你好")
			}

			d, err = v.emu.SendEvent(t.Context(), v.demo.AppID, first.OpenID, "CLICK", "V1001_GOOD")
			require.NoError(t, err)
			require.Nil(t, d.Reply)
			require.Equal(t, "success", string(d.Body))
			require.Equal(t, "V1001_GOOD", cb.got[1].EventKey)
			require.Zero(t, cb.got[1].MsgID, "events carry no MsgId")
		})
	}
}

func TestSimulatorSubscribeAndScan(t *testing.T) {
	v := newEnv(t, Options{})
	cb := newCallback(t, v, ModeSafe, echo)
	app := v.demo.AppID

	_, err := v.emu.SendEvent(t.Context(), app, "", "subscribe", "")
	require.NoError(t, err)
	newcomer := cb.got[0].FromUserName
	require.Len(t, newcomer, 28)
	require.Equal(t, json.Number("201"), v.get("/cgi-bin/user/get", v.q())["total"])

	_, err = v.emu.SendEvent(t.Context(), app, newcomer, "unsubscribe", "")
	require.NoError(t, err)
	require.Equal(t, json.Number("200"), v.get("/cgi-bin/user/get", v.q())["total"])

	qr := v.post("/cgi-bin/qrcode/create", v.q(), `{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":"promo"}}}`)
	ticket := qr["ticket"].(string)
	_, err = v.emu.Scan(t.Context(), app, newcomer, ticket)
	require.NoError(t, err)
	require.Equal(t, "subscribe", cb.got[2].Event)
	require.Equal(t, "qrscene_promo", cb.got[2].EventKey)
	require.Equal(t, ticket, cb.got[2].Ticket)
	info := v.get("/cgi-bin/user/info", v.q("openid", newcomer))
	require.Equal(t, "ADD_SCENE_QR_CODE", info["subscribe_scene"])
	require.Equal(t, "promo", info["qr_scene_str"])

	_, err = v.emu.Scan(t.Context(), app, newcomer, ticket)
	require.NoError(t, err)
	require.Equal(t, "SCAN", cb.got[3].Event)
	require.Equal(t, "promo", cb.got[3].EventKey)

	_, err = v.emu.Scan(t.Context(), app, newcomer, "nope")
	require.ErrorIs(t, err, ErrUnknownTicket)
}

func TestSimulatorBadReplies(t *testing.T) {
	v := newEnv(t, Options{})
	wrongTo := func(m *wxcrypto.Message) []byte {
		r := wxcrypto.Reply{ToUserName: "someone-else", FromUserName: m.ToUserName, MsgType: "text", Content: "x"}
		return r.Marshal()
	}
	newCallback(t, v, ModePlain, wrongTo)
	d, err := v.emu.SendText(t.Context(), v.demo.AppID, "", "hi")
	require.ErrorIs(t, err, ErrBadReply)
	require.NotNil(t, d)
	require.Equal(t, "x", d.Reply.Content)

	newCallback(t, v, ModePlain, func(*wxcrypto.Message) []byte { return []byte(`{"json":"is not a reply"}`) })
	_, err = v.emu.SendText(t.Context(), v.demo.AppID, "", "hi")
	require.ErrorIs(t, err, ErrBadReply)

	cb := newCallback(t, v, ModeSafe, echo)
	cb.plain = true
	_, err = v.emu.SendText(t.Context(), v.demo.AppID, "", "hi")
	require.ErrorIs(t, err, ErrBadReply, "safe mode wants an encrypted reply")

	newCallback(t, v, ModeCompat, func(*wxcrypto.Message) []byte { return nil })
	d, err = v.emu.SendText(t.Context(), v.demo.AppID, "", "hi")
	require.NoError(t, err, "an empty answer is fine")
	require.Nil(t, d.Reply)

	// A callback that refuses: the status is reported, no error.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer srv.Close()
	v.emu.SetCallback(v.demo.AppID, srv.URL, ModePlain)
	d, err = v.emu.SendText(t.Context(), v.demo.AppID, "", "hi")
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, d.Status)

	// A slow callback: WeChat gives up after DeliveryTimeout.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
		}
	}))
	defer slow.Close()
	quick := New(Options{DeliveryTimeout: 50 * time.Millisecond})
	quick.SetCallback(quick.Demo().AppID, slow.URL, ModePlain)
	_, err = quick.SendText(context.Background(), quick.Demo().AppID, "", "hi")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	_, err = v.emu.SendText(t.Context(), "wxnope", "", "hi")
	require.ErrorIs(t, err, ErrUnknownAccount)
	empty := New(Options{DemoFollowers: -1})
	empty.SetCallback(empty.Demo().AppID, srv.URL, "")
	_, err = empty.SendText(t.Context(), empty.Demo().AppID, "", "hi")
	require.ErrorIs(t, err, ErrNoFollower)
}

func TestVerifyCallback(t *testing.T) {
	v := newEnv(t, Options{})
	newCallback(t, v, ModePlain, echo)
	require.NoError(t, v.emu.VerifyCallback(t.Context(), v.demo.AppID))

	wrong := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello"))
	}))
	defer wrong.Close()
	v.emu.SetCallback(v.demo.AppID, wrong.URL, ModePlain)
	require.ErrorIs(t, v.emu.VerifyCallback(t.Context(), v.demo.AppID), ErrBadReply)

	// The sandbox endpoint keeps the previous callback when verification fails.
	good, _ := v.emu.Callback(v.demo.AppID)
	m := v.post("/simulator/callback", nil, map[string]any{"appid": v.demo.AppID, "url": wrong.URL + "/other", "verify": true})
	require.Equal(t, json.Number("-1"), m["errcode"])
	now, _ := v.emu.Callback(v.demo.AppID)
	require.Equal(t, good, now)
}

func TestSandboxEndpoints(t *testing.T) {
	v := newEnv(t, Options{})
	demo := v.get("/demo", nil)
	require.Equal(t, v.demo.AppID, demo["appid"])
	require.Equal(t, v.demo.Secret, demo["secret"])
	require.Equal(t, v.demo.Token, demo["token"])
	require.Equal(t, v.demo.EncodingAESKey, demo["encodingAESKey"])
	require.Len(t, v.demo.EncodingAESKey, 43)

	cb := &callback{t: t, acc: v.demo, answer: echo}
	srv := httptest.NewServer(cb)
	defer srv.Close()
	requireOK(t, v.post("/simulator/callback", nil, map[string]any{"appid": v.demo.AppID, "url": srv.URL, "mode": "compat", "verify": true}))
	requireErrcode(t, v.post("/simulator/callback", nil, map[string]string{"appid": v.demo.AppID, "url": srv.URL, "mode": "weird"}), 40035)
	requireErrcode(t, v.post("/simulator/callback", nil, map[string]string{"appid": "wxnope", "url": srv.URL}), 40013)

	m := v.post("/simulator/send", nil, map[string]string{"appid": v.demo.AppID, "content": "菜单"})
	require.Equal(t, json.Number("200"), m["status"])
	reply := m["reply"].(map[string]any)
	require.Equal(t, "echo: 菜单", reply["Content"])
	require.Equal(t, "text", reply["MsgType"])
	require.Contains(t, m["raw"], "<Encrypt>")
	require.Contains(t, m["sent"], "菜单")

	ev := v.post("/simulator/send", nil, map[string]string{"event": "CLICK", "eventKey": "K"})
	require.Nil(t, ev["reply"])
	require.Equal(t, "success", ev["raw"])

	requireErrcode(t, v.post("/simulator/send", nil, map[string]string{}), 44004)
	requireErrcode(t, v.post("/simulator/send", nil, map[string]string{"appid": "wxnope", "content": "x"}), 40013)
	require.Empty(t, cb.problems)
	require.True(t, strings.HasPrefix(cb.got[0].FromUserName, "o"))
}

func TestMountedUnderSandbox(t *testing.T) {
	emu := New(Options{})
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", emu.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/sandbox/demo")
	require.NoError(t, err)
	var demo Account
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&demo))
	resp.Body.Close()
	require.Equal(t, emu.Demo(), demo)

	q := url.Values{"grant_type": {"client_credential"}, "appid": {demo.AppID}, "secret": {demo.Secret}}
	resp, err = http.Get(srv.URL + "/sandbox/cgi-bin/token?" + q.Encode())
	require.NoError(t, err)
	var tok map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	resp.Body.Close()
	require.Contains(t, tok, "access_token")
	require.Equal(t, "/cgi-bin/token", emu.Requests()[1].Path)
}

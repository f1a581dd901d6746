package callback_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

func TestVerifyURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	// Vector of protocol §1 (chanxuehong TestSign): the same token, timestamp and nonce sign the handshake.
	a := wxemu.Account{AppID: "wx45f133bf6fce646e", Secret: "0123456789abcdef0123", Token: "token1234567890", OriginalID: "gh_b1eb3f8bd6c6"}
	e.bind(a)
	e.clock.Set(time.Unix(1458864389, 0))
	const sig = "f9c725922f6844701ba71e98031978e40023c09f"
	get := func(q string) (int, string) {
		resp, err := http.Get(e.callbackURL(a.AppID) + "?" + q)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name   string
		query  string
		status int
		body   string
	}{
		{"ok", "signature=" + sig + "&timestamp=1458864389&nonce=2066297436&echostr=5837497023523847", 200, "5837497023523847"},
		{"forged signature", "signature=" + strings.Repeat("0", 40) + "&timestamp=1458864389&nonce=2066297436&echostr=x", 403, ""},
		{"other nonce", "signature=" + sig + "&timestamp=1458864389&nonce=2066297437&echostr=x", 403, ""},
		{"no signature", "timestamp=1458864389&nonce=2066297436&echostr=x", 403, ""},
		{"no echostr", "signature=" + sig + "&timestamp=1458864389&nonce=2066297436", 400, ""},
	}
	for _, tc := range tests {
		status, body := get(tc.query)
		require.Equal(t, tc.status, status, tc.name)
		if tc.body != "" {
			require.Equal(t, tc.body, body, tc.name)
		}
	}

	// The same signed query six minutes later is stale.
	e.clock.Set(time.Unix(1458864389+360, 0))
	status, _ := get("signature=" + sig + "&timestamp=1458864389&nonce=2066297436&echostr=x")
	require.Equal(t, 403, status, "stale timestamp")

	for _, appid := range []string{"wx0000000000000000", "nonsense", "wx45f133bf6fce646e%00"} {
		resp, err := http.Get(e.srv.URL + "/wxplatform/callback/" + appid + "?signature=" + sig)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 404, resp.StatusCode, appid)
	}
}

// The official vectors of protocol §2.3, posted as WeChat posts them: each decrypts, is answered by its
// rule, and is stored with its MsgId.
func TestOfficialVectorsThroughHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	vectors := []struct {
		name                  string
		acct                  wxemu.Account
		timestamp, nonce, sig string
		encrypt               string
		compatFields          string // the plaintext fields of a compatible-mode body
		from, to, content     string
		msgID                 int64
	}{
		{
			name: "A official WXBizMsgCrypt sample (compat body)",
			acct: wxemu.Account{AppID: "wx2c2769f8efd9abc2", Secret: "0123456789abcdef0123", Token: "spamtest",
				EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"},
			timestamp: "1409735669", nonce: "1320562132", sig: "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
			encrypt:      "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=",
			compatFields: "<ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n",
			from:         "oyORnuP8q7ou2gfYjqLzSIWZf0rs", to: "gh_10f6c3c3ac5a", content: "abcdteT", msgID: 6054768590064713728,
		},
		{
			name: "C chanxuehong (full padding block, safe body)",
			acct: wxemu.Account{AppID: "wx45f133bf6fce646e", Secret: "0123456789abcdef0123", Token: "token1234567890",
				EncodingAESKey: "AdiqDDDvUNCeE1ZW5XJmjf9fqNBJpGBs4vL4cHKmHBS"},
			timestamp: "1458864389", nonce: "2066297436", sig: "247dea54e9ca03ab1e75d03430d205a5b967c44d",
			encrypt: "u0KvD5kCUzGq9QmWTsSRcolKAH92oiMZDBJ840OqXXFhzUFsBZtdDv6Fv2W9zlrP3Rx3jQGiNXY8sV0kWgzdcefN3WznfM0TGArGowC9bgHE+4QKGrkly0wQ6ouQe7UrKDvkfMy3t8t8njawTl2z0MvgIsaVAvllB3vDWzY/Oo1P1Q9PLdIsgbQjyrJVObZMgFK4KN175ygxBWkb4fdiIAIXSpxN/48LYixSkgohbAcUGlDP8FD3mPTDppz1yI4fGY8jHCYy3s2CsylkE/1+/6zAtv/8160FvB/C6CwRd7Q4OypAW2JKDOekWULMhahY+43C8GQaKWWbsmOHdiEoL6N8jCyrquvCBnvekZTrRY/CTuyqmpo/5LrDXXORwKDdK0uSVU/9N1Lpz9waEWMFqIPSnYC+MgelLzE9hBlnJ+5qC6O0GXrm6QmrncijD2SvdOhfT6OKIDiYJUM2cHHMcg==",
			from:    "okPEat9FRX96xG8JQvTxHLpzDV64", to: "gh_b1eb3f8bd6c6", content: "哈哈哈", msgID: 6265774840459235675,
		},
		{
			name: "E EasyWeChat (safe body)",
			acct: wxemu.Account{AppID: "wxb11529c136998cb6", Secret: "0123456789abcdef0123", Token: "pamtest",
				EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"},
			timestamp: "1458300676", nonce: "260774613", sig: "4f3ad57b6989f09f4eb392acce4f9e93942ed890",
			encrypt: "rTNFcsut4LfGuAFKEUVVpwcaCOTJzOd9twZdIW910jb3k+iicx2uvhttIZ3Qg9Qgty3BEF2xbOrz6boTfb30dMomcgrkTqdFPwnhqbk+kIQ7rZiwny9D7NUrTgA5kpX3KsZvrXzUZyP2x9YOlxbgm572lmxKvM7HAQQhIQ/p6HBmoY30bGXFK0BtIu1pW9TjhOYrLQoU18nWYjWqDA1ynkmOytpv7QRI1P1+0NoxL0q2zO1DgeSvnE8CZGo/o5Ap/WHK5W2RAsinpzN4/LjPnmB6U01I5XCoJoC0GK/yMZycd2Oh8Nq6+wBkC1U85oy0ktOY4nLvsQMLrourmMGdZHuTbqpeJ8Ao/5PRYJ+WBvRUwPfGKBL2+2IKZF49vAJqkcGWSHGE76ZN2erXeuNazf/o9o3lIE3q739o4c8t9QGPe31GT2Go/rOz1BsrASwvauNulCh+++yz+CQzBIuikA==",
			from:    "asdasdasdsadasd", to: "asdasdasd", content: "hello", msgID: 12345,
		},
	}
	for _, v := range vectors {
		acct := e.bind(v.acct)
		e.rule(acct.ID, v.content, "text", map[string]string{"content": "reply to " + v.content})
		ts, _ := strconv.ParseInt(v.timestamp, 10, 64)
		e.clock.Set(time.Unix(ts, 0))

		q := url.Values{}
		q.Set("signature", wxcrypto.Signature(v.acct.Token, v.timestamp, v.nonce))
		q.Set("timestamp", v.timestamp)
		q.Set("nonce", v.nonce)
		q.Set("openid", v.from)
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", v.sig)
		body := "<xml>" + v.compatFields + "<Encrypt><![CDATA[" + v.encrypt + "]]></Encrypt></xml>"
		if v.compatFields == "" {
			body = "<xml><ToUserName><![CDATA[" + v.to + "]]></ToUserName><Encrypt><![CDATA[" + v.encrypt + "]]></Encrypt></xml>"
		}
		ans := post(t, e.callbackURL(v.acct.AppID), q, []byte(body))
		require.Equal(t, 200, ans.status, v.name+": %s", ans.body)
		env, err := wxcrypto.ParseEncryptedReply(ans.body)
		require.NoError(t, err, v.name+": %s", ans.body)
		require.Equal(t, v.timestamp, env.TimeStamp, v.name)
		require.Equal(t, v.nonce, env.Nonce, v.name)
		r, err := wxcrypto.ParseReply(openAnswer(t, v.acct, ans.body))
		require.NoError(t, err, v.name)
		require.Equal(t, "text", r.MsgType, v.name)
		require.Equal(t, "reply to "+v.content, r.Content, v.name)
		require.Equal(t, v.from, r.ToUserName, v.name)
		require.Equal(t, v.to, r.FromUserName, v.name)
		require.Equal(t, ts, r.CreateTime, v.name)

		var stored struct {
			MsgID    int64
			FromUser string
			Content  string
		}
		require.NoError(t, e.gdb.Raw(`SELECT msg_id, from_user, content FROM wx_messages WHERE account_id = ?`, acct.ID).Scan(&stored).Error)
		require.Equal(t, v.msgID, stored.MsgID, v.name)
		require.Equal(t, v.from, stored.FromUser, v.name)
		require.Equal(t, v.content, stored.Content, v.name)

		// The vector's msg_signature does not hold for a ciphertext changed by one character.
		q.Set("msg_signature", v.sig[:39]+"0")
		if v.sig[39] == '0' {
			q.Set("msg_signature", v.sig[:39]+"1")
		}
		ans = post(t, e.callbackURL(v.acct.AppID), q, []byte(body))
		require.Equal(t, 403, ans.status, v.name)
	}
}

// Every reply type, in each mode, through the emulator's follower simulator (WeChat's side, which checks
// and decrypts the answer itself).
func TestReplyTypesInEveryMode(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	emu := wxemu.New(wxemu.Options{DemoFollowers: 3})
	a := emu.NewAccount("回复测试")
	emu.AddFollowers(a.AppID, 2)
	acct := e.bind(a)
	articles := func(n int) []map[string]string {
		var out []map[string]string
		for i := range n {
			out = append(out, map[string]string{"title": "标题" + strconv.Itoa(i), "description": "d", "picurl": "https://example.com/p.png", "url": "https://example.com/" + strconv.Itoa(i)})
		}
		return out
	}
	// Plaintext mode is for an account bound without an EncodingAESKey: with one, plaintext is refused.
	plain := emu.NewAccount("明文回复测试")
	plain.EncodingAESKey = ""
	emu.AddFollowers(plain.AppID, 2)
	plainAcct := e.bind(plain)
	for _, id := range []int64{acct.ID, plainAcct.ID} {
		e.rule(id, "text", "text", map[string]string{"content": "你好 <b>&]]> world"})
		e.rule(id, "image", "image", map[string]string{"mediaId": "IMG_MEDIA"})
		e.rule(id, "voice", "voice", map[string]string{"mediaId": "VOICE_MEDIA"})
		e.rule(id, "video", "video", map[string]string{"mediaId": "VIDEO_MEDIA", "title": "T", "description": "D"})
		e.rule(id, "music", "music", map[string]string{"title": "M", "description": "MD", "musicUrl": "https://example.com/m.mp3", "hqMusicUrl": "https://example.com/hq.mp3", "thumbMediaId": "THUMB"})
		e.rule(id, "news", "multitext", articles(1))
		_, err := e.replies.SetSpecial(context.Background(), id, reply.KindSubscribe, reply.TypeMultitext, contentOf(t, "multitext", articles(8)))
		require.NoError(t, err)
	}

	for _, mode := range []string{wxemu.ModePlain, wxemu.ModeCompat, wxemu.ModeSafe} {
		a := a
		if mode == wxemu.ModePlain {
			a = plain
		}
		emu.SetCallback(a.AppID, e.callbackURL(a.AppID), mode)
		ctx := context.Background()
		check := func(kw string, d *wxemu.Delivery, err error) *wxcrypto.Reply {
			t.Helper()
			require.NoError(t, err, mode+" "+kw)
			require.Equal(t, 200, d.Status, mode+" "+kw)
			require.NotNil(t, d.Reply, mode+" "+kw)
			require.Equal(t, mode != wxemu.ModePlain, strings.Contains(string(d.Body), "<Encrypt>"), mode+" "+kw+": encrypted iff the request was")
			return d.Reply
		}
		send := func(kw string) *wxcrypto.Reply {
			t.Helper()
			d, err := emu.SendText(ctx, a.AppID, "", kw)
			return check(kw, d, err)
		}
		r := send("text")
		require.Equal(t, "text", r.MsgType)
		require.Equal(t, "你好 <b>&]]> world", r.Content)
		r = send("image")
		require.Equal(t, "image", r.MsgType)
		require.Equal(t, "IMG_MEDIA", r.MediaID)
		r = send("voice")
		require.Equal(t, "voice", r.MsgType)
		require.Equal(t, "VOICE_MEDIA", r.MediaID)
		r = send("video")
		require.Equal(t, [3]string{"video", "VIDEO_MEDIA", "T"}, [3]string{r.MsgType, r.MediaID, r.Title})
		r = send("music")
		require.Equal(t, [4]string{"music", "https://example.com/m.mp3", "https://example.com/hq.mp3", "THUMB"}, [4]string{r.MsgType, r.MusicURL, r.HQMusicURL, r.ThumbMediaID})
		r = send("news")
		require.Equal(t, "news", r.MsgType)
		require.Len(t, r.Articles, 1)
		require.Equal(t, "https://example.com/0", r.Articles[0].URL)
		d, err := emu.SendEvent(ctx, a.AppID, "", "subscribe", "")
		r = check("subscribe", d, err)
		require.Equal(t, "news", r.MsgType)
		require.Len(t, r.Articles, 8, "an event is answered with up to 8 articles")

		// No rule: success, in every mode.
		d, err = emu.SendText(ctx, a.AppID, "", "nothing matches this")
		require.NoError(t, err)
		require.Equal(t, "success", string(d.Body), mode)
	}
}

// Hand-built requests that must be refused with a 4xx, and never reach the inbox.
func TestRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := newAccount(t)
	acct := e.bind(a)
	plainOnly := newAccount(t)
	plainOnly.EncodingAESKey = ""
	e.bind(plainOnly)
	now := e.clock.Now().Unix()
	msg := textMsg(a, "oFollower1", "hi", now)
	target := e.callbackURL(a.AppID)

	type tc struct {
		name   string
		mutate func(q url.Values, body []byte) (url.Values, []byte)
		mode   string
		acct   wxemu.Account
		status int
	}
	same := func(q url.Values, b []byte) (url.Values, []byte) { return q, b }
	tests := []tc{
		{"forged signature", func(q url.Values, b []byte) (url.Values, []byte) {
			q.Set("signature", wxcrypto.Signature("wrongtoken", q.Get("timestamp"), q.Get("nonce")))
			return q, b
		}, wxemu.ModeSafe, a, 403},
		{"missing signature", func(q url.Values, b []byte) (url.Values, []byte) { q.Del("signature"); return q, b }, wxemu.ModePlain, a, 403},
		{"forged msg_signature", func(q url.Values, b []byte) (url.Values, []byte) {
			q.Set("msg_signature", strings.Repeat("a", 40))
			return q, b
		}, wxemu.ModeSafe, a, 403},
		{"stale timestamp", func(q url.Values, b []byte) (url.Values, []byte) {
			ts := strconv.FormatInt(now-301, 10)
			q.Set("timestamp", ts)
			q.Set("signature", wxcrypto.Signature(a.Token, ts, q.Get("nonce")))
			return q, b
		}, wxemu.ModePlain, a, 403},
		{"future timestamp", func(q url.Values, b []byte) (url.Values, []byte) {
			ts := strconv.FormatInt(now+301, 10)
			q.Set("timestamp", ts)
			q.Set("signature", wxcrypto.Signature(a.Token, ts, q.Get("nonce")))
			return q, b
		}, wxemu.ModePlain, a, 403},
		{"malformed xml", func(q url.Values, _ []byte) (url.Values, []byte) { return q, []byte("<xml><MsgType>text</xml") }, wxemu.ModePlain, a, 400},
		{"not xml", func(q url.Values, _ []byte) (url.Values, []byte) { return q, []byte(`{"MsgType":"text"}`) }, wxemu.ModePlain, a, 400},
		{"empty body", func(q url.Values, _ []byte) (url.Values, []byte) { return q, nil }, wxemu.ModePlain, a, 400},
		{"doctype", func(q url.Values, _ []byte) (url.Values, []byte) {
			return q, []byte(`<!DOCTYPE xml [<!ENTITY x "y">]><xml><MsgType>text</MsgType><FromUserName>o</FromUserName></xml>`)
		}, wxemu.ModePlain, a, 400},
		{"no MsgType", func(q url.Values, _ []byte) (url.Values, []byte) {
			return q, []byte(`<xml><FromUserName>o</FromUserName></xml>`)
		}, wxemu.ModePlain, a, 400},
		{"no Encrypt in safe mode", func(q url.Values, b []byte) (url.Values, []byte) {
			return q, (&wxcrypto.Message{ToUserName: "gh_x"}).Marshal()
		}, wxemu.ModeSafe, a, 400},
		{"bad ciphertext, correctly signed", func(q url.Values, _ []byte) (url.Values, []byte) {
			enc := "bm90IGNpcGhlcnRleHQgYXQgYWxsIQ=="
			q.Set("msg_signature", wxcrypto.MsgSignature(a.Token, q.Get("timestamp"), q.Get("nonce"), enc))
			return q, []byte("<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
		}, wxemu.ModeSafe, a, 400},
		{"ciphertext not base64", func(q url.Values, _ []byte) (url.Values, []byte) {
			enc := "%%%not base64%%%"
			q.Set("msg_signature", wxcrypto.MsgSignature(a.Token, q.Get("timestamp"), q.Get("nonce"), enc))
			return q, []byte("<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
		}, wxemu.ModeSafe, a, 400},
		{"sealed for another appid", func(q url.Values, _ []byte) (url.Values, []byte) {
			c, _ := wxcrypto.NewCipher(a.EncodingAESKey, "wx0000000000000000")
			enc, _ := c.Encrypt(msg.Marshal())
			q.Set("msg_signature", wxcrypto.MsgSignature(a.Token, q.Get("timestamp"), q.Get("nonce"), enc))
			return q, []byte("<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
		}, wxemu.ModeSafe, a, 400},
		{"encrypted body in plaintext mode", func(q url.Values, b []byte) (url.Values, []byte) {
			q.Del("encrypt_type")
			q.Del("msg_signature")
			return q, b
		}, wxemu.ModeSafe, a, 400},
		{"encrypted for an account without a key", same, wxemu.ModeSafe, plainOnly, 400},
		// The URL signature covers timestamp and nonce only: with them (from a log, a proxy), anyone could
		// post any plaintext. WeChat never sends plaintext alone to an account with a key.
		{"plaintext to an account in safe mode", same, wxemu.ModePlain, a, 403},
	}
	for _, tt := range tests {
		m := *msg
		acc := tt.acct
		if acc.EncodingAESKey == "" {
			// Seal with some key: the account cannot open it whatever it is.
			acc.EncodingAESKey = a.EncodingAESKey
		}
		q, body := signed(t, acc, &m, tt.mode, now)
		q, body = tt.mutate(q, body)
		ans := post(t, e.callbackURL(tt.acct.AppID), q, body)
		require.Equal(t, tt.status, ans.status, tt.name+": %s", ans.body)
	}

	// Oversized bodies: declared, and streamed without a length.
	q, _ := signed(t, a, msg, wxemu.ModePlain, now)
	big := []byte("<xml><Content><![CDATA[" + strings.Repeat("x", 70<<10) + "]]></Content></xml>")
	ans := post(t, target, q, big)
	require.Equal(t, 413, ans.status)
	req, err := http.NewRequest(http.MethodPost, target+"?"+q.Encode(), struct{ *strings.Reader }{strings.NewReader(string(big))})
	require.NoError(t, err)
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 413, resp.StatusCode, "chunked")

	require.Zero(t, e.count(acct.ID), "nothing refused is stored")

	// A compatible-mode body still works for an account bound without its key: the plaintext fields are
	// used, after the msg_signature is checked, and the answer is plaintext.
	acc := plainOnly
	acc.EncodingAESKey = a.EncodingAESKey
	q, body := signed(t, acc, textMsg(plainOnly, "oFollower1", "hi", now), wxemu.ModeCompat, now)
	ans = post(t, e.callbackURL(plainOnly.AppID), q, body)
	require.Equal(t, 200, ans.status, string(ans.body))
	require.Equal(t, "success", string(ans.body))
}

// TestCompatibleModePrefersTheEncryptedPart: in a compatible-mode body only the ciphertext is
// authenticated (by msg_signature); plaintext fields beside it that say something else are ignored.
func TestCompatibleModePrefersTheEncryptedPart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := newAccount(t)
	acct := e.bind(a)
	e.rule(acct.ID, "real", "text", map[string]string{"content": "from the ciphertext"})
	e.rule(acct.ID, "forged", "text", map[string]string{"content": "from the plaintext"})
	now := e.clock.Now().Unix()
	msg := textMsg(a, "oFollower1", "real", now)
	q, _ := signed(t, a, msg, wxemu.ModeCompat, now)
	c, err := wxcrypto.NewCipher(a.EncodingAESKey, a.AppID)
	require.NoError(t, err)
	enc, err := c.Encrypt(msg.Marshal())
	require.NoError(t, err)
	q.Set("msg_signature", wxcrypto.MsgSignature(a.Token, q.Get("timestamp"), q.Get("nonce"), enc))
	forged := *msg
	forged.Content, forged.FromUserName, forged.Encrypt = "forged", "oSomeoneElse", enc
	ans := post(t, e.callbackURL(a.AppID), q, forged.Marshal())
	require.Equal(t, 200, ans.status, string(ans.body))
	require.Contains(t, string(openAnswer(t, a, ans.body)), "from the ciphertext")
}

func TestSafeModeRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := newAccount(t)
	acct := e.bind(a)
	e.rule(acct.ID, "hi", "text", map[string]string{"content": "hello"})
	q, body := signed(t, a, textMsg(a, "oX", "hi", e.clock.Now().Unix()), wxemu.ModeSafe, e.clock.Now().Unix())
	ans := post(t, e.callbackURL(a.AppID), q, body)
	require.Equal(t, 200, ans.status)
	require.Less(t, ans.took, 2*time.Second)
	r, err := wxcrypto.ParseReply(openAnswer(t, a, ans.body))
	require.NoError(t, err)
	require.Equal(t, "hello", r.Content)
}

// TestRegexRulesCannotHoldTheAnswer: the costliest regex rules an account may have, as many as it may have,
// and a 60 KB message that none matches: the answer (the default reply) still goes out well within 2 s.
func TestRegexRulesCannotHoldTheAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := newAccount(t)
	a.EncodingAESKey = "" // plaintext mode: the largest message fits the 64 KB body
	acct := e.bind(a)
	ctx := context.Background()
	for i := range reply.MaxRegexRules {
		_, err := e.replies.Add(ctx, acct.ID, reply.Input{Type: reply.TypeText, Content: reply.Content{Content: "r"},
			Request: fmt.Sprintf(`(?s).{1,30}.{1,30}.{1,30}q%03d`, i), Match: reply.MatchRegex})
		require.NoError(t, err)
	}
	_, err := e.replies.SetSpecial(ctx, acct.ID, reply.KindDefault, reply.TypeText, reply.Content{Content: "默认回复"})
	require.NoError(t, err)
	now := e.clock.Now().Unix()
	msg := textMsg(a, "oSlow", strings.Repeat("aé b1", 10<<10), now)
	q, body := signed(t, a, msg, wxemu.ModePlain, now)
	require.Greater(t, len(body), 60<<10)
	ans := post(t, e.callbackURL(a.AppID), q, body)
	require.Equal(t, 200, ans.status, string(ans.body))
	require.Less(t, ans.took, 2*time.Second)
	require.Contains(t, string(openAnswer(t, a, ans.body)), "默认回复")
	require.EqualValues(t, 1, e.count(acct.ID))
}

package apidocs_test

// The scenario's steps by capability; contract_test.go has the harness and the run.

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

func (k *contract) replies(tok string) {
	t := k.t
	p := "/apis/wxreplymanage/"
	k.do(call{name: "addReply text", method: "POST", path: p + "addReply", token: tok, want: 200,
		json: map[string]any{"type": "text", "reply": map[string]any{"content": "Hello from the contract test"}, "request": "hello"}})
	k.do(call{name: "addReply same keyword", method: "POST", path: p + "addReply", token: tok, want: 409,
		json: map[string]any{"type": "text", "reply": map[string]any{"content": "again"}, "request": "hello"}})
	k.do(call{name: "addReply without request", method: "POST", path: p + "addReply", token: tok, want: 400, breaks: true,
		json: map[string]any{"type": "text", "reply": map[string]any{"content": "x"}}})
	a := k.do(call{name: "addReply image (spec style, alias mediald, JSON as a form)", method: "POST", path: p + "addReply",
		token: tok, want: 200, indescribable: true, ctype: "application/x-www-form-urlencoded",
		raw: []byte(`{"type":"image","reply":{"mediald":"MEDIA_ID_1"},"request":"picture"}`)})
	if a.wired && a.status == 200 {
		rule, _ := a.obj(t)["rule"].(map[string]any)
		reply, _ := rule["reply"].(map[string]any)
		require.Equal(t, "MEDIA_ID_1", reply["mediaId"], "the alias mediald must be answered as mediaId")
	}
	k.do(call{name: "addReply video (wrapper, vedio)", method: "POST", path: p + "addReply", token: tok, want: 200,
		json: map[string]any{"type": "vedio", "reply": map[string]any{"type": "vedio",
			"content": map[string]any{"title": "T", "description": "D", "mediaId": "MEDIA_ID_2"}}, "request": "film"}})
	k.do(call{name: "addReply music", method: "POST", path: p + "addReply", token: tok, want: 200,
		json: map[string]any{"type": "music", "request": "music", "reply": map[string]any{"title": "Song",
			"musicUrl": "https://example.com/a.mp3", "thumbMediaId": "THUMB_1"}}})
	k.do(call{name: "addReply multitext (form fields at the top)", method: "POST", path: p + "addReply", token: tok, want: 200,
		form: url.Values{"type": {"multitext"}, "request": {"news"}, "title": {"News"}, "description": {"Today"},
			"picurl": {"https://example.com/p.png"}, "url": {"https://example.com/"}}})
	k.do(call{name: "addReply contains match", method: "POST", path: p + "addReply", token: tok, want: 200,
		json: map[string]any{"type": "text", "reply": "matched", "request": "price", "match": "contains"}})
	k.do(call{name: "listReply", method: "POST", path: p + "listReply", token: tok, want: 200})
	k.do(call{name: "listReply (GET)", method: "GET", path: p + "listReply", token: tok, want: 200})
	k.do(call{name: "updateReply rename", method: "POST", path: p + "updateReply", token: tok, want: 200,
		json: map[string]any{"request": "price", "newRequest": "prices"}})
	k.do(call{name: "updateReply unknown", method: "POST", path: p + "updateReply", token: tok, want: 404,
		json: map[string]any{"request": "no-such-keyword", "newRequest": "x"}})
	k.do(call{name: "enableReply", method: "POST", path: p + "enableReply", token: tok, want: 200,
		json: map[string]any{"request": "prices", "enabled": false}})
	k.do(call{name: "deleteReply", method: "POST", path: p + "deleteReply", token: tok, want: 200,
		json: map[string]any{"request": "prices"}})
	k.do(call{name: "deleteReply unknown", method: "POST", path: p + "deleteReply", token: tok, want: 404,
		json: map[string]any{"request": "prices"}})
	k.do(call{name: "setSubscribeReply (2 articles)", method: "POST", path: p + "setSubscribeReply", token: tok, want: 200,
		json: map[string]any{"type": "multitext", "reply": []map[string]any{
			{"title": "Welcome", "description": "1", "picurl": "https://example.com/1.png", "url": "https://example.com/1"},
			{"title": "Start here", "description": "2", "picurl": "https://example.com/2.png", "url": "https://example.com/2"}}}})
	k.do(call{name: "setDefaultReply", method: "POST", path: p + "setDefaultReply", token: tok, want: 200,
		json: map[string]any{"type": "text", "reply": map[string]any{"content": "Sorry, I did not get that."}}})
	k.do(call{name: "getSpecialReplies", method: "GET", path: p + "getSpecialReplies", token: tok, want: 200})
	k.do(call{name: "setDefaultReply empty (clears)", method: "POST", path: p + "setDefaultReply", token: tok, want: 200})
	k.do(call{name: "getSpecialReplies (POST)", method: "POST", path: p + "getSpecialReplies", token: tok, want: 200})
}

func (k *contract) followers(tok string) {
	t := k.t
	p := "/apis/wxplatform/"
	k.do(call{name: "getGroups", method: "POST", path: p + "getGroups", token: tok, want: 200})
	k.do(call{name: "getGroups (GET)", method: "GET", path: p + "getGroups", token: tok, want: 200})
	created := k.do(call{name: "createGroup", method: "POST", path: p + "createGroup", token: tok, want: 200,
		json: map[string]any{"groupName": "VIP"}})
	k.do(call{name: "createGroup taken", method: "POST", path: p + "createGroup", token: tok, want: 409,
		json: map[string]any{"groupName": "VIP"}})
	var groupID int64
	if created.wired && created.status == 200 {
		g, _ := created.obj(t)["group"].(map[string]any)
		f, _ := g["id"].(float64)
		groupID = int64(f)
	}
	k.do(call{name: "updateGroup", method: "POST", path: p + "updateGroup", token: tok, want: 200,
		json: map[string]any{"groupId": groupID, "groupName": "VIP customers"}})
	k.do(call{name: "updateGroup reserved", method: "POST", path: p + "updateGroup", token: tok, want: 403,
		json: map[string]any{"groupId": 1, "groupName": "not the blacklist"}})

	st := k.do(call{name: "syncFollowers", method: "POST", path: p + "syncFollowers", token: tok, want: 200})
	if st.wired {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			s := k.do(call{name: "syncStatus", method: "GET", path: p + "syncStatus", token: tok, want: 200})
			if state := s.str(t, "state"); state == "done" || state == "failed" {
				require.Equal(t, "done", state, "the follower sync failed: %s", s.body)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	k.do(call{name: "syncStatus (POST)", method: "POST", path: p + "syncStatus", token: tok, want: 200})
	list := k.do(call{name: "getFollowers", method: "POST", path: p + "getFollowers", token: tok, want: 200,
		json: map[string]any{"limit": 5}})
	k.do(call{name: "getFollowers (GET, search)", method: "GET", path: p + "getFollowers?q=a&groupId=0&limit=3", token: tok, want: 200})
	k.do(call{name: "getFollowers limit too large", method: "POST", path: p + "getFollowers", token: tok, want: 400, breaks: true,
		json: map[string]any{"limit": 1000}})
	openid := ""
	if list.wired && list.status == 200 {
		if fs, _ := list.obj(t)["followers"].([]any); len(fs) > 0 {
			openid, _ = fs[0].(map[string]any)["openid"].(string)
		}
	}
	if openid == "" {
		t.Logf("no follower to work with: the follower steps are skipped")
		return
	}
	k.do(call{name: "getWhichGroup", method: "POST", path: p + "getWhichGroup", token: tok, want: 200,
		json: map[string]any{"openid": openid}})
	k.do(call{name: "getWhichGroup (GET)", method: "GET", path: p + "getWhichGroup?openid=" + openid, token: tok, want: 200})
	k.do(call{name: "updateRemark", method: "POST", path: p + "updateRemark", token: tok, want: 200,
		json: map[string]any{"openid": openid, "remark": "met at the fair"}})
	k.do(call{name: "updateRemark too long", method: "POST", path: p + "updateRemark", token: tok, want: 400, breaks: true,
		json: map[string]any{"openid": openid, "remark": strings.Repeat("长", 31)}})
	k.do(call{name: "moveUserToGroup", method: "POST", path: p + "moveUserToGroup", token: tok, want: 200,
		json: map[string]any{"groupId": groupID, "openid": openid}})
	k.do(call{name: "moveUserToGroup without openid (group users)", method: "POST", path: p + "moveUserToGroup", token: tok,
		want: 200, json: map[string]any{"groupId": groupID}})
	k.do(call{name: "getGroupUsers", method: "POST", path: p + "getGroupUsers", token: tok, want: 200,
		json: map[string]any{"groupId": groupID}})
	k.do(call{name: "moveUserToGroup blacklist (openid list)", method: "POST", path: p + "moveUserToGroup", token: tok, want: 200,
		json: map[string]any{"groupId": 1, "openid": []string{openid}}})
	k.do(call{name: "getGroupUsers blacklist", method: "POST", path: p + "getGroupUsers", token: tok, want: 200,
		json: map[string]any{"groupId": 1}})
	k.do(call{name: "moveUserToGroup back to ungrouped", method: "POST", path: p + "moveUserToGroup", token: tok, want: 200,
		form: url.Values{"groupId": {"0"}, "openid": {openid}}})
	k.do(call{name: "getGroupUsers ungrouped (GET)", method: "GET", path: p + "getGroupUsers?groupId=0&limit=5", token: tok, want: 200})
	k.do(call{name: "getGroupUsers unknown group", method: "POST", path: p + "getGroupUsers", token: tok, want: 404,
		json: map[string]any{"groupId": 99999}})
	k.do(call{name: "deleteGroup", method: "POST", path: p + "deleteGroup", token: tok, want: 200,
		json: map[string]any{"groupId": groupID}})
	k.do(call{name: "deleteGroup again", method: "POST", path: p + "deleteGroup", token: tok, want: 404,
		json: map[string]any{"groupId": groupID}})
}

func (k *contract) qrcodes(tok, appid string) {
	t := k.t
	p := "/apis/wxplatform/"
	tmp := k.do(call{name: "qrcode temporary", method: "POST", path: p + "qrcode", token: tok, want: 200,
		json: map[string]any{"sceneId": 42, "expire": 600}})
	k.do(call{name: "qrcode permanent string scene", method: "POST", path: p + "qrcode", token: tok, want: 200,
		json: map[string]any{"sceneId": "spring-promo"}})
	k.do(call{name: "qrcode alias senseld (form)", method: "POST", path: p + "qrcode", token: tok, want: 200,
		form: url.Values{"senseld": {"7"}}})
	k.do(call{name: "qrcode expire too long", method: "POST", path: p + "qrcode", token: tok, want: 400, breaks: true,
		json: map[string]any{"sceneId": 1, "expire": 2592001}})
	k.do(call{name: "listQrcodes", method: "POST", path: p + "listQrcodes", token: tok, want: 200})
	k.do(call{name: "listQrcodes (GET)", method: "GET", path: p + "listQrcodes?limit=2", token: tok, want: 200})
	if tmp.wired && tmp.status == 200 {
		id := tmp.num(t, "id")
		k.do(call{name: "qrcodeImage", method: "POST", path: p + "qrcodeImage", token: tok, want: 200,
			json: map[string]any{"id": id}})
		k.do(call{name: "qrcodeImage (GET)", method: "GET", path: p + "qrcodeImage?id=" + strconv.FormatInt(id, 10), token: tok, want: 200})
	}
	k.do(call{name: "qrcodeImage unknown", method: "POST", path: p + "qrcodeImage", token: tok, want: 404,
		json: map[string]any{"id": 999999}})

	// JSSDK: with a token, and from one of the account's JS domains without one.
	k.do(call{name: "jsticket", method: "POST", path: p + "jsticket", token: tok, want: 200,
		json: map[string]any{"url": "https://example.com/page?x=1#frag"}})
	k.do(call{name: "jsticket without token, JS domain", method: "GET", want: 200,
		path:   p + "jsticket?appid=" + appid + "&url=" + url.QueryEscape("https://example.com/a"),
		header: map[string]string{"Origin": "https://example.com"}})
	k.do(call{name: "jsticket without token, foreign domain", method: "POST", path: p + "jsticket", want: 403,
		json: map[string]any{"appid": appid, "url": "https://elsewhere.example.net/"}})
	k.do(call{name: "jsticket without token, unknown appid", method: "POST", path: p + "jsticket", want: 404,
		json: map[string]any{"appid": "wx0000000000000000", "url": "https://example.com/"}})
	k.do(call{name: "jsticket without url", method: "POST", path: p + "jsticket", token: tok, want: 400, breaks: true,
		json: map[string]any{}})
	k.do(call{name: "jsticket preflight", method: "OPTIONS", path: p + "jsticket", want: 204,
		header: map[string]string{"Origin": "https://example.com", "Access-Control-Request-Method": "POST"}})
}

// tinyPNG is a valid 2×2 PNG.
func tinyPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{7, 193, 96, 255})
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

// tinyMP4 is the start of an mp4 file: an ftyp box and an empty mdat.
func tinyMP4() []byte {
	b := []byte{0, 0, 0, 0x1c}
	b = append(b, "ftypisom"...)
	b = append(b, 0, 0, 2, 0)
	b = append(b, "isomiso2mp41"...)
	b = append(b, 0, 0, 0, 8)
	b = append(b, "mdat"...)
	return b
}

func (k *contract) materials(tok, appid string) {
	t := k.t
	p := "/apis/materials/"
	pic := tinyPNG(t)
	up := k.do(call{name: "uploadMaterial image", method: "POST", path: p + "uploadMaterial", token: tok, want: 200,
		parts: []part{{name: "type", data: []byte("image")}, {name: "file", filename: "dot.png", ctype: "image/png", data: pic}}})
	k.do(call{name: "uploadMaterial wrong bytes", method: "POST", path: p + "uploadMaterial", token: tok, want: 415,
		parts: []part{{name: "type", data: []byte("image")}, {name: "file", filename: "not.png", ctype: "image/png",
			data: []byte("this is text, whatever the name says")}}})
	k.do(call{name: "uploadMaterial thumb over 64 KB", method: "POST", path: p + "uploadMaterial", token: tok, want: 413,
		parts: []part{{name: "type", data: []byte("thumb")},
			{name: "file", filename: "big.jpg", ctype: "image/jpeg", data: bytes.Repeat([]byte{0xff}, 70<<10)}}})
	k.do(call{name: "uploadMaterial without file", method: "POST", path: p + "uploadMaterial", token: tok, want: 400, breaks: true,
		parts: []part{{name: "type", data: []byte("image")}}})
	k.do(call{name: "uploadMaterial not multipart", method: "POST", path: p + "uploadMaterial", token: tok, want: 400, breaks: true,
		json: map[string]any{"type": "image"}})
	k.do(call{name: "uploadVideoMaterial (alias tile)", method: "POST", path: p + "uploadVideoMaterial", token: tok,
		parts: []part{{name: "tile", data: []byte("Clip")}, {name: "desc", data: []byte("A short clip")},
			{name: "file", filename: "clip.mp4", ctype: "video/mp4", data: tinyMP4()}}, breaks: true}) // title is required; tile stands in
	k.do(call{name: "uploadLogo (alias logolFile)", method: "POST", path: p + "uploadLogo", token: tok, want: 200,
		parts: []part{{name: "logolFile", filename: "logo.png", ctype: "image/png", data: pic}}, breaks: true}) // logoFile is required; logolFile stands in
	k.do(call{name: "own logo", method: "GET", path: p + "logo", token: tok, want: 200})
	k.do(call{name: "public logo", method: "GET", path: "/materials/logo/" + appid, want: 200})
	k.do(call{name: "public logo unknown", method: "GET", path: "/materials/logo/wx0000000000000000", want: 404})
	k.do(call{name: "getMaterialCount", method: "POST", path: p + "getMaterialCount", token: tok, want: 200})
	k.do(call{name: "getMaterialCount (GET)", method: "GET", path: p + "getMaterialCount", token: tok, want: 200})
	k.do(call{name: "getMaterialByType", method: "POST", path: p + "getMaterialByType", token: tok, want: 200,
		json: map[string]any{"type": "image", "offset": 0, "count": 20}})
	k.do(call{name: "getMaterialByType (GET)", method: "GET", path: p + "getMaterialByType?type=image&count=5", token: tok, want: 200})
	k.do(call{name: "getMaterialByType bad type", method: "POST", path: p + "getMaterialByType", token: tok, want: 400, breaks: true,
		json: map[string]any{"type": "pictures"}})
	k.do(call{name: "listLocalMaterials", method: "POST", path: p + "listLocalMaterials", token: tok, want: 200})
	k.do(call{name: "listLocalMaterials (GET)", method: "GET", path: p + "listLocalMaterials?type=image", token: tok, want: 200})
	if up.wired && up.status == 200 {
		id := up.num(t, "id")
		k.do(call{name: "material file", method: "GET", path: p + "file/" + strconv.FormatInt(id, 10), token: tok, want: 200})
		k.do(call{name: "material file range", method: "GET", path: p + "file/" + strconv.FormatInt(id, 10), token: tok, want: 206,
			header: map[string]string{"Range": "bytes=0-7"}})
		k.do(call{name: "removeMaterial (alias mediald)", method: "POST", path: p + "removeMaterial", token: tok, want: 200,
			form: url.Values{"mediald": {up.str(t, "mediaId")}}})
	}
	k.do(call{name: "material file unknown", method: "GET", path: p + "file/999999", token: tok, want: 404})
	k.do(call{name: "removeMaterial without mediaId", method: "POST", path: p + "removeMaterial", token: tok, want: 400,
		json: map[string]any{}})
}

func (k *contract) menu(tok string) {
	p := "/apis/wxplatform/"
	menu := map[string]any{"button": []any{
		map[string]any{"type": "click", "name": "Today", "key": "hello"},
		map[string]any{"name": "More", "sub_button": []any{
			map[string]any{"type": "view", "name": "Site", "url": "https://example.com/"},
			map[string]any{"type": "scancode_push", "name": "Scan", "key": "scan"}}}}}
	k.do(call{name: "getMenu (none yet)", method: "GET", path: p + "getMenu", token: tok, want: 200})
	k.do(call{name: "saveMenu", method: "POST", path: p + "saveMenu", token: tok, want: 200, json: map[string]any{"menu": menu}})
	k.do(call{name: "saveMenu (form, menu as JSON text)", method: "POST", path: p + "saveMenu", token: tok, want: 200,
		form: url.Values{"menu": {mustJSON(menu)}}})
	k.do(call{name: "saveMenu invalid", method: "POST", path: p + "saveMenu", token: tok, want: 400,
		json: map[string]any{"menu": map[string]any{"button": []any{map[string]any{"type": "view", "name": "Site", "url": "ftp://x"}}}}})
	k.do(call{name: "saveMenu without menu", method: "POST", path: p + "saveMenu", token: tok, want: 400, breaks: true})
	k.do(call{name: "publishMenu", method: "POST", path: p + "publishMenu", token: tok, want: 200})
	k.do(call{name: "getMenu", method: "POST", path: p + "getMenu", token: tok, want: 200})
	k.do(call{name: "importMenu", method: "POST", path: p + "importMenu", token: tok, want: 200})
	k.do(call{name: "menuHistory", method: "POST", path: p + "menuHistory", token: tok, want: 200, json: map[string]any{"limit": 5}})
	k.do(call{name: "menuHistory (GET)", method: "GET", path: p + "menuHistory", token: tok, want: 200})
	k.do(call{name: "deleteMenu", method: "POST", path: p + "deleteMenu", token: tok, want: 200})
	k.do(call{name: "importMenu without a live menu", method: "POST", path: p + "importMenu", token: tok})
	k.do(call{name: "publishMenu (saves and publishes)", method: "POST", path: p + "publishMenu", token: tok, want: 200,
		json: map[string]any{"menu": menu}})
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// signed answers the callback's query: WeChat's signature of token, a fresh timestamp and a nonce.
func signed(token string, extra url.Values) (url.Values, string, string) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := wxcrypto.RandomNonce()
	q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {wxcrypto.Signature(token, ts, nonce)}}
	for k, v := range extra {
		q[k] = v
	}
	return q, ts, nonce
}

func textMessage(openid, content string, msgID int64) []byte {
	return fmt.Appendf(nil, "<xml><ToUserName><![CDATA[gh_contract]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content><MsgId>%d</MsgId></xml>",
		openid, time.Now().Unix(), content, msgID)
}

func (k *contract) callback(appid, token, aesKey string) {
	t := k.t
	p := "/wxplatform/callback/" + appid
	q, _, _ := signed(token, url.Values{"echostr": {"echo-123"}})
	v := k.do(call{name: "callback verify", method: "GET", path: p + "?" + q.Encode(), want: 200})
	if v.wired {
		require.Equal(t, "echo-123", string(v.body))
	}
	q.Set("signature", "0000000000000000000000000000000000000000")
	k.do(call{name: "callback verify bad signature", method: "GET", path: p + "?" + q.Encode(), want: 403})
	q, _, _ = signed(token, nil)
	k.do(call{name: "callback verify without echostr", method: "GET", path: p + "?" + q.Encode(), want: 400, breaks: true})
	q, _, _ = signed(token, url.Values{"echostr": {"x"}})
	k.do(call{name: "callback unknown appid", method: "GET", path: "/wxplatform/callback/wx0000000000000000?" + q.Encode(), want: 404})

	const openid = "oContractFollower000000000001"
	now := time.Now().UnixNano()
	cipher, err := wxcrypto.NewCipher(aesKey, appid)
	require.NoError(t, err)
	// safe builds a safe-mode request of a text message: the account has an EncodingAESKey.
	safe := func(content string, msgID int64) (url.Values, []byte) {
		enc, err := cipher.Encrypt(textMessage(openid, content, msgID))
		require.NoError(t, err)
		q, ts, nonce := signed(token, url.Values{"openid": {openid}, "encrypt_type": {"aes"}})
		q.Set("msg_signature", wxcrypto.MsgSignature(token, ts, nonce, enc))
		return q, []byte("<xml><ToUserName><![CDATA[gh_contract]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
	}
	q, body := safe("hello", now)
	a := k.do(call{name: "callback text matching a rule", method: "POST", path: p + "?" + q.Encode(), want: 200,
		raw: body, ctype: "text/xml"})
	if a.wired {
		plain, err := cipher.OpenReply(token, a.body)
		require.NoError(t, err, string(a.body))
		require.Contains(t, string(plain), "Hello from the contract test")
	}
	q, body = safe("nothing matches this", now+1)
	k.do(call{name: "callback text matching nothing", method: "POST", path: p + "?" + q.Encode(), want: 200,
		raw: body, ctype: "text/xml"})
	// The account has an EncodingAESKey: a plaintext body, whose URL signature does not cover it, is refused.
	q, _, _ = signed(token, url.Values{"openid": {openid}})
	k.do(call{name: "callback plaintext to an account with a key", method: "POST", path: p + "?" + q.Encode(), want: 403,
		raw: textMessage(openid, "hello", now+6), ctype: "text/xml"})
	q, _, _ = signed(token, nil)
	k.do(call{name: "callback malformed XML", method: "POST", path: p + "?" + q.Encode(), want: 400,
		raw: []byte("<xml><MsgType>text"), ctype: "text/xml"})
	q.Set("signature", "0000000000000000000000000000000000000000")
	k.do(call{name: "callback bad signature", method: "POST", path: p + "?" + q.Encode(), want: 403,
		raw: textMessage(openid, "hello", now+2), ctype: "text/xml"})

	stale := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	staleQ := url.Values{"timestamp": {stale}, "nonce": {"1"}, "signature": {wxcrypto.Signature(token, stale, "1")}}
	k.do(call{name: "callback stale timestamp", method: "POST", path: p + "?" + staleQ.Encode(), want: 403,
		raw: textMessage(openid, "hello", now+4), ctype: "text/xml"})

	// Safe mode: the body is ciphertext, and so is the answer.
	enc, err := cipher.Encrypt(textMessage(openid, "news", now+3))
	require.NoError(t, err)
	q, ts, nonce := signed(token, url.Values{"openid": {openid}, "encrypt_type": {"aes"}})
	q.Set("msg_signature", wxcrypto.MsgSignature(token, ts, nonce, enc))
	// Compatible mode: the plaintext and the ciphertext in one body.
	enc2, err := cipher.Encrypt(textMessage(openid, "hello", now+5))
	require.NoError(t, err)
	q2, ts2, nonce2 := signed(token, url.Values{"openid": {openid}, "encrypt_type": {"aes"}})
	q2.Set("msg_signature", wxcrypto.MsgSignature(token, ts2, nonce2, enc2))
	compat := bytes.Replace(textMessage(openid, "hello", now+5), []byte("</xml>"), []byte("<Encrypt><![CDATA["+enc2+"]]></Encrypt></xml>"), 1)
	k.do(call{name: "callback compatible mode", method: "POST", path: p + "?" + q2.Encode(), want: 200, ctype: "text/xml", raw: compat})
	s := k.do(call{name: "callback safe mode", method: "POST", path: p + "?" + q.Encode(), want: 200, ctype: "text/xml",
		raw: []byte("<xml><ToUserName><![CDATA[gh_contract]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")})
	if s.wired {
		require.Contains(t, string(s.body), "<Encrypt>")
	}
}

func (k *contract) inbox(tok string) {
	p := "/apis/wxplatform/"
	k.do(call{name: "messages", method: "POST", path: p + "messages", token: tok, want: 200})
	k.do(call{name: "messages (GET, one follower)", method: "GET", path: p + "messages?openid=oContractFollower000000000001&limit=5",
		token: tok, want: 200})
	k.do(call{name: "messages limit too large", method: "POST", path: p + "messages", token: tok, want: 400, breaks: true,
		json: map[string]any{"limit": 1000}})
}

// failures are the answers of broken bodies and of a misbehaving WeChat.
func (k *contract) failures(tok string, console *apptest.Console) {
	emu := console.Emulator()
	p := "/apis/wxplatform/"
	k.do(call{name: "body not JSON", method: "POST", path: p + "getFollowers", token: tok, want: 400, breaks: true,
		raw: []byte(`{"limit": `), ctype: "application/json"})
	k.do(call{name: "body a JSON array", method: "POST", path: p + "getFollowers", token: tok, want: 400, breaks: true,
		raw: []byte(`[1, 2]`), ctype: "application/json"})
	k.do(call{name: "field of the wrong type", method: "POST", path: p + "getFollowers", token: tok, want: 400, breaks: true,
		json: map[string]any{"limit": "many"}})
	k.do(call{name: "getWhichGroup unknown follower", method: "POST", path: p + "getWhichGroup", token: tok,
		json: map[string]any{"openid": "oUnknownFollower00000000000001"}})
	k.do(call{name: "removeMaterial unknown", method: "POST", path: "/apis/materials/removeMaterial", token: tok,
		json: map[string]any{"mediaId": "NO_SUCH_MEDIA"}})

	emu.SetFault("/cgi-bin/material/get_materialcount", wxemu.Fault{Errcode: 45009, Times: 1})
	a := k.do(call{name: "WeChat answers an error", method: "POST", path: "/apis/materials/getMaterialCount", token: tok, want: 502})
	if a.wired {
		require.EqualValues(k.t, 45009, a.num(k.t, "wxErrcode"))
	}
	// Contract §2: WeChat not answering in time is 504 (50400). In sandbox mode this needs the in-process
	// transport (internal/app/sandbox.go, inProcess.RoundTrip) to return the request context's error when
	// the emulator gave up on a cancelled request; until then the empty answer reads as 502.
	emu.SetFault("/cgi-bin/tags/get", wxemu.Fault{Delay: 3 * time.Second, Times: 1})
	k.do(call{name: "WeChat too slow", method: "POST", path: p + "getGroups", token: tok, want: 504})
	emu.ClearFaults()

	k.do(call{name: "metrics (loopback)", method: "GET", path: "/metrics", header: map[string]string{"Accept": "text/plain"}, want: 200})
	k.do(call{name: "metrics through a proxy", method: "GET", path: "/metrics", want: 403,
		header: map[string]string{"Accept": "text/plain", "X-Forwarded-For": "203.0.113.9"}})
}

// webauth walks web authorization as WeChat's browser does, through the emulator's consent page.
func (k *contract) webauth(appid string) {
	t := k.t
	start := k.do(call{name: "webauth start", method: "GET", path: "/wxplatform/webauth?appid=" + appid + "&scope=snsapi_userinfo",
		want: 302})
	k.do(call{name: "webauth bad scope", method: "GET", path: "/wxplatform/webauth?appid=" + appid + "&scope=all", want: 400, breaks: true})
	k.do(call{name: "webauth unknown appid", method: "GET", path: "/wxplatform/webauth?appid=wx0000000000000000&scope=snsapi_base", want: 404})
	k.do(call{name: "webauth unknown appid (browser)", method: "GET", want: 404,
		path:   "/wxplatform/webauth?appid=wx0000000000000000&scope=snsapi_base",
		header: map[string]string{"Accept": "text/html"}})
	k.do(call{name: "webauth declined", method: "GET", path: "/wxplatform/webauth?appid=" + appid + "&scope=snsapi_base&state=abc", want: 403})
	k.do(call{name: "webauth redirect outside the JS domains", method: "GET", want: 400,
		path: "/wxplatform/webauth?appid=" + appid + "&scope=snsapi_base&redirect=" + url.QueryEscape("https://evil.example.net/")})
	if start.wired && start.status == 302 {
		back := k.consent(start.header.Get("Location"))
		if back != "" {
			k.do(call{name: "webauth back from WeChat", method: "GET", path: back, want: 200})
			k.do(call{name: "webauth state used twice", method: "GET", path: back, want: 400})
		}
	}
	withRedirect := k.do(call{name: "webauth start with redirect", method: "GET", want: 302,
		path: "/wxplatform/webauth?appid=" + appid + "&scope=snsapi_base&redirect=" + url.QueryEscape("https://example.com/after")})
	if withRedirect.wired && withRedirect.status == 302 {
		if back := k.consent(withRedirect.header.Get("Location")); back != "" {
			end := k.do(call{name: "webauth back, to the redirect", method: "GET", path: back, want: 302})
			loc, err := url.Parse(end.header.Get("Location"))
			require.NoError(t, err)
			ticket := loc.Query().Get("ticket")
			require.NotEmpty(t, ticket, "the redirect has no ticket: %s", loc)
			k.do(call{name: "webauth ticket", method: "POST", path: "/wxplatform/webauth/ticket", want: 200,
				json: map[string]any{"ticket": ticket}})
			k.do(call{name: "webauth ticket used", method: "GET", path: "/wxplatform/webauth/ticket?ticket=" + url.QueryEscape(ticket), want: 401})
		}
	}
	k.do(call{name: "webauth ticket missing", method: "POST", path: "/wxplatform/webauth/ticket", want: 400, breaks: true,
		json: map[string]any{}})
}

// consent plays the person in WeChat's browser on the emulator's consent page, allowing; it answers the
// console path WeChat sends the browser back to, with code and state.
func (k *contract) consent(authorize string) string {
	t := k.t
	u, err := url.Parse(authorize)
	require.NoError(t, err)
	q := u.Query()
	form := url.Values{"appid": {q.Get("appid")}, "redirect_uri": {q.Get("redirect_uri")}, "response_type": {"code"},
		"scope": {q.Get("scope")}, "state": {q.Get("state")}, "openid": {""}, "action": {"allow"}}
	consentURL := u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/authorize") + "/consent"
	res, err := k.client.PostForm(consentURL, form)
	require.NoError(t, err)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Errorf("the emulator's consent answered %d", res.StatusCode)
		return ""
	}
	back, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, strings.TrimPrefix(k.base, "http://"), back.Host)
	return back.RequestURI()
}

func (k *contract) msdk(tok, appid string) {
	t := k.t
	acc := k.do(call{name: "account (msdkKey)", method: "GET", path: "/apis/wxplatform/account", token: tok, want: 200})
	key := ""
	if acc.wired {
		for _, a := range acc.obj(t)["accounts"].([]any) {
			if m := a.(map[string]any); m["appid"] == appid {
				key, _ = m["msdkKey"].(string)
			}
		}
	}
	query := func(sig string, ext string) string {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		if sig == "" {
			sig = md5hex(key + ts)
		}
		q := url.Values{"timestamp": {ts}, "appid": {appid}, "sig": {sig}, "openid": {"oContractFollower000000000001"}, "encode": {"1"}}
		if ext != "" {
			q.Set("msdkExtInfo", ext)
		}
		return q.Encode()
	}
	body := map[string]any{"accessToken": "not-a-token", "openid": "oContractFollower000000000001"}
	k.do(call{name: "msdk check_token bad sig", method: "POST", path: "/auth/check_token?" + query("0123456789abcdef0123456789abcdef", "req_1"),
		json: body, want: 200})
	k.do(call{name: "msdk check_token (WeChat refuses the token)", method: "POST", path: "/auth/check_token/?" + query("", "req_2"),
		raw: []byte(mustJSON(body)), ctype: "application/x-www-form-urlencoded", indescribable: true, want: 200})
	k.do(call{name: "msdk check_token under /wxoauth (GET)", method: "GET", path: "/wxoauth/check_token?" + query("", ""),
		json: body, want: 200})
	k.do(call{name: "msdk refresh_token (WeChat refuses)", method: "POST", path: "/auth/refresh_token?" + query("", "req_3"),
		json: map[string]any{"appid": appid, "refreshToken": "not-a-refresh-token"}, want: 200})
	k.do(call{name: "msdk refresh_token under /wxoauth/", method: "POST", path: "/wxoauth/refresh_token/?" + query("", ""),
		form: url.Values{"refreshToken": {"not-a-refresh-token"}}, want: 200})
	k.do(call{name: "msdk stale timestamp (GET)", method: "GET", want: 200,
		path: "/auth/refresh_token?timestamp=1&appid=" + appid + "&sig=" + md5hex(key+"1"),
		json: map[string]any{"refreshToken": "x"}})
	k.do(call{name: "msdk unknown appid", method: "POST", path: "/wxoauth/check_token/?timestamp=1&appid=wx0000000000000000&sig=x",
		json: body, want: 200})
	k.do(call{name: "msdk body not JSON", method: "POST", path: "/auth/check_token?" + query("", ""),
		raw: []byte("{broken"), ctype: "application/json", want: 400, breaks: true})
}

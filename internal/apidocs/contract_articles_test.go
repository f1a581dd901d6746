package apidocs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// TestContractArticles drives the drafts and publishing endpoints (contract §17) as a script would, on a
// console of its own, validating every request and answer against openapi.yaml.
func TestContractArticles(t *testing.T) {
	k, console := newContract(t)
	k.t = t
	tok := k.do(call{name: "login demo", method: "POST", path: "/apis/user/login", want: 200,
		json: map[string]any{"username": "demo", "password": "demo-password"}}).str(t, "access_token")
	require.NotEmpty(t, tok)
	p := "/apis/articles/"
	pic := tinyPNG(t)

	cover := k.do(call{name: "uploadMaterial cover", method: "POST", path: "/apis/materials/uploadMaterial", token: tok, want: 200,
		parts: []part{{name: "type", data: []byte("image")}, {name: "file", filename: "cover.png", ctype: "image/png", data: pic}}}).str(t, "mediaId")
	img := k.do(call{name: "uploadArticleImage", method: "POST", path: p + "uploadArticleImage", token: tok, want: 200,
		parts: []part{{name: "file", filename: "in.png", ctype: "image/png", data: pic}}})
	k.do(call{name: "uploadArticleImage gif", method: "POST", path: p + "uploadArticleImage", token: tok, want: 415,
		parts: []part{{name: "file", filename: "a.gif", ctype: "image/gif", data: []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")}}})
	k.do(call{name: "uploadArticleImage over 1 MB", method: "POST", path: p + "uploadArticleImage", token: tok, want: 413,
		parts: []part{{name: "file", filename: "big.png", ctype: "image/png", data: append(pic, make([]byte, 1<<20)...)}}})
	k.do(call{name: "article image", method: "GET", path: img.str(t, "localUrl"), token: tok, want: 200})

	article := func(title, content string) map[string]any {
		return map[string]any{"title": title, "author": "作者", "digest": "摘要", "content": content, "thumbMediaId": cover,
			"needOpenComment": true}
	}
	saved := k.do(call{name: "saveDraft", method: "POST", path: p + "saveDraft", token: tok, want: 200,
		json: map[string]any{"articles": []any{
			article("一", `<p>正文<img src="`+img.str(t, "url")+`"></p><script>alert(1)</script>`),
			article("二", "<p>第二篇</p>")}}})
	mediaID := saved.str(t, "mediaId")
	require.Contains(t, string(saved.body), `"kind":"element"`)
	k.do(call{name: "saveDraft one article by index", method: "POST", path: p + "saveDraft", token: tok, want: 200,
		json: map[string]any{"mediaId": mediaID, "index": 1, "articles": article("二改", "<p>改</p>")}})
	nine := []any{}
	for range 9 {
		nine = append(nine, article("t", "<p>x</p>"))
	}
	k.do(call{name: "saveDraft 9 articles", method: "POST", path: p + "saveDraft", token: tok, want: 400, json: map[string]any{"articles": nine}})
	bad := article("t", "<p>x</p>")
	bad["thumbMediaId"] = "unknown"
	k.do(call{name: "saveDraft unknown cover", method: "POST", path: p + "saveDraft", token: tok, want: 404,
		json: map[string]any{"articles": []any{bad}}})
	k.do(call{name: "saveDraft 2 MB content", method: "POST", path: p + "saveDraft", token: tok, want: 413,
		json: map[string]any{"articles": []any{article("t", strings.Repeat("x", 2<<20))}}})
	k.do(call{name: "listDrafts", method: "POST", path: p + "listDrafts", token: tok, want: 200, json: map[string]any{"count": 10}})
	k.do(call{name: "listDrafts (GET)", method: "GET", path: p + "listDrafts?count=5", token: tok, want: 200})
	k.do(call{name: "getDraft", method: "POST", path: p + "getDraft", token: tok, want: 200, json: map[string]any{"mediaId": mediaID}})
	k.do(call{name: "getDraft (GET)", method: "GET", path: p + "getDraft?mediaId=" + mediaID, token: tok, want: 200})
	k.do(call{name: "getDraft unknown", method: "POST", path: p + "getDraft", token: tok, want: 404, json: map[string]any{"mediaId": "nope"}})
	k.do(call{name: "syncDrafts", method: "POST", path: p + "syncDrafts", token: tok, want: 200})

	pub := k.do(call{name: "publishDraft", method: "POST", path: p + "publishDraft", token: tok, want: 200,
		json: map[string]any{"mediaId": mediaID}})
	publishID := pub.str(t, "publishId")
	k.do(call{name: "publishDraft again", method: "POST", path: p + "publishDraft", token: tok, want: 409,
		json: map[string]any{"mediaId": mediaID}})
	require.Eventually(t, func() bool {
		a := k.do(call{name: "getPublish", method: "POST", path: p + "getPublish", token: tok, want: 200,
			json: map[string]any{"publishId": publishID}})
		return strings.Contains(string(a.body), `"status":"published"`)
	}, 20*time.Second, 500*time.Millisecond)
	k.do(call{name: "getPublish (GET)", method: "GET", path: p + "getPublish?publishId=" + publishID, token: tok, want: 200})
	published := k.do(call{name: "listPublished", method: "POST", path: p + "listPublished", token: tok, want: 200})
	k.do(call{name: "listPublished (GET)", method: "GET", path: p + "listPublished?count=5", token: tok, want: 200})
	k.do(call{name: "listPublishJobs", method: "POST", path: p + "listPublishJobs", token: tok, want: 200})
	k.do(call{name: "listPublishJobs (GET)", method: "GET", path: p + "listPublishJobs", token: tok, want: 200})
	require.Contains(t, string(published.body), "articleId")

	// WeChat's refusal of an unverified account: 502 with WeChat's code.
	console.Emulator().SetFault("/cgi-bin/freepublish/submit", wxemuFault48001())
	other := k.do(call{name: "saveDraft another", method: "POST", path: p + "saveDraft", token: tok, want: 200,
		json: map[string]any{"articles": []any{article("三", "<p>3</p>")}}}).str(t, "mediaId")
	refused := k.do(call{name: "publishDraft unverified", method: "POST", path: p + "publishDraft", token: tok, want: 502,
		json: map[string]any{"mediaId": other}})
	require.Contains(t, string(refused.body), `"wxErrcode":48001`)
	k.do(call{name: "deleteDraft", method: "POST", path: p + "deleteDraft", token: tok, want: 200, json: map[string]any{"mediaId": other}})
	k.do(call{name: "deletePublished unknown", method: "POST", path: p + "deletePublished", token: tok, want: 404,
		json: map[string]any{"articleId": "nope"}})
}

func wxemuFault48001() wxemu.Fault { return wxemu.Fault{Errcode: 48001, Times: 1} }

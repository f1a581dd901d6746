package pages

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4))))
	return buf.Bytes()
}

func TestMaterialsUploadListDelete(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	doc := requirePage(t, e.get("/console/materials"), LangZH)
	form := doc.Find("form[data-upload]")
	require.Equal(t, 1, form.Length())
	action, _ := form.Attr("action")
	require.Contains(t, action, "appid="+e.acct.AppID, "the account is chosen by the query, not by reading the upload")
	enc, _ := form.Attr("enctype")
	require.Equal(t, "multipart/form-data", enc)
	require.Equal(t, 1, form.Find("progress[hidden]").Length())
	require.Equal(t, 1, form.Find("output").Length())
	require.Equal(t, "0", strings.TrimSpace(doc.Find("#counts .stat").First().Text()))

	p := e.multipartPost(action, map[string]string{"type": "image"}, "file", "logo.png", pngBytes(t))
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	doc = requirePage(t, e.get(p.Location), LangZH)
	require.Contains(t, flashText(doc), "已上传")
	item := doc.Find("#materials article")
	require.Equal(t, 1, item.Length())
	src, _ := item.Find("img").Attr("src")
	require.True(t, strings.HasPrefix(src, "/apis/materials/file/"), src)
	mediaID := strings.TrimSpace(item.Find(".mono").Text())
	require.NotEmpty(t, mediaID)
	require.Equal(t, "1", strings.TrimSpace(doc.Find("#counts .stat").First().Text()))

	// Another tab is empty.
	doc = requirePage(t, e.get("/console/materials?type=voice"), LangZH)
	require.Equal(t, 1, doc.Find("#materials-empty").Length())

	// Errors come back next to their fields, also after the redirect the upload script follows.
	p = e.multipartPost(action, map[string]string{"type": "image"}, "file", "notes.txt", []byte("plain text, not an image"))
	require.Equal(t, http.StatusSeeOther, p.Status)
	doc = requirePage(t, e.get(p.Location), LangZH)
	requireFieldError(t, doc, "f-file", "不支持")
	require.Equal(t, "", strings.TrimSpace(flashText(doc)), "carried as a field error, not a flash")

	p = e.multipartPost(action, map[string]string{"type": "video", "desc": "no title"}, "file", "v.mp4", []byte("x"))
	require.Equal(t, http.StatusSeeOther, p.Status)
	doc = requirePage(t, e.get(p.Location), LangZH)
	requireFieldError(t, doc, "f-file", "")
	require.Equal(t, "no title", doc.Find("#f-desc").Text(), "what was typed stays")
	sel, _ := doc.Find("#f-type option[selected]").Attr("value")
	require.Equal(t, "video", sel)

	p = e.multipartPost(action, map[string]string{"type": "image"}, "", "", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	requireFieldError(t, requirePage(t, e.get(p.Location), LangZH), "f-file", "file")

	p = e.multipartPost(action, map[string]string{"type": "sticker"}, "file", "a.png", pngBytes(t))
	require.Equal(t, http.StatusSeeOther, p.Status)
	requireFieldError(t, requirePage(t, e.get(p.Location), LangZH), "f-type", "type")

	doc = requirePage(t, e.submit("/console/materials/delete", url.Values{"mediaId": {mediaID}, "back": {"/console/materials?type=image"}}), LangZH)
	require.Contains(t, flashText(doc), "素材已删除")
	require.Equal(t, 1, doc.Find("#materials-empty").Length())
}

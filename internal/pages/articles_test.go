package pages

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// The editor works as a plain form: two articles saved without JavaScript, the removals reported, the
// draft published, WeChat's refusal explained in the operator's language.
func TestArticlesEditorWithoutScript(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	mats := materials.NewService(e.DB, e.WX, nil)
	cover, err := mats.Upload(context.Background(), e.acct, e.userID, materials.Upload{Kind: materials.Image, Filename: "c.png", Data: pngBytes(t)})
	require.NoError(t, err)

	doc := requirePage(t, e.get("/console/articles"), LangZH)
	require.Equal(t, 1, doc.Find("#drafts-empty").Length())
	doc = requirePage(t, e.get("/console/articles/edit"), LangZH)
	require.Equal(t, 1, doc.Find("form#draft-form fieldset.article-editor").Length(), "a new draft offers one article")
	require.Equal(t, 1, doc.Find(`#f-thumb-0 option[value="`+cover.MediaID+`"]`).Length(), "the cover picker lists the images")
	require.Equal(t, 1, doc.Find(`textarea#f-content-0[name="content"]`).Length(), "without script, the content is a textarea")

	form := url.Values{
		"appid":              {e.acct.AppID},
		"title":              {"第一篇", "第二篇", ""},
		"author":             {"作者", "", ""},
		"digest":             {"", "", ""},
		"content":            {`<p>正文</p><script>alert(1)</script>`, "<h2>二</h2><p>内容</p>", ""},
		"contentSourceUrl":   {"", "", ""},
		"thumbMediaId":       {cover.MediaID, cover.MediaID, ""},
		"needOpenComment":    {"1"},
		"onlyFansCanComment": {},
	}
	doc = requirePage(t, e.submit("/console/articles/save", form), LangZH)
	flashes := flashText(doc)
	require.Contains(t, flashes, "草稿已保存")
	require.Contains(t, flashes, "已去掉 <script> 元素")
	drafts := e.Emu.Drafts(e.acct.AppID)
	require.Len(t, drafts, 1)
	require.Len(t, drafts[0].Articles, 2)
	require.Equal(t, "<p>正文</p>", drafts[0].Articles[0].Content)
	require.Equal(t, 0, drafts[0].Articles[0].NeedOpenComment)
	require.Equal(t, 1, drafts[0].Articles[1].NeedOpenComment)
	mediaID, _ := doc.Find("#f-mediaId").Attr("value")
	require.Equal(t, drafts[0].MediaID, mediaID)
	require.Contains(t, doc.Find("#preview").Text(), "第二篇")
	require.Equal(t, 3, doc.Find("fieldset.article-editor").Length(), "two articles and room for one more")

	// A refusal keeps what was typed.
	bad := url.Values{"appid": {e.acct.AppID}, "mediaId": {mediaID}, "title": {strings.Repeat("长", 33)}, "content": {"<p>x</p>"},
		"thumbMediaId": {cover.MediaID}}
	p := e.post("/console/articles/save", bad)
	require.Equal(t, http.StatusBadRequest, p.Status)
	doc = p.Doc(t)
	require.Contains(t, doc.Find("#form-error").Text(), "title")
	v, _ := doc.Find("#f-title-0").Attr("value")
	require.Equal(t, strings.Repeat("长", 33), v)

	// Publishing: WeChat's 48001 explained in Chinese, then a job that runs.
	e.Emu.SetFault("/cgi-bin/freepublish/submit", wxemu.Fault{Errcode: 48001, Times: 1})
	doc = requirePage(t, e.submit("/console/articles/publish", url.Values{"appid": {e.acct.AppID}, "mediaId": {mediaID}}), LangZH)
	require.Contains(t, flashText(doc), "认证")
	require.Contains(t, flashText(doc), "48001")
	doc = requirePage(t, e.submit("/console/articles/publish", url.Values{"appid": {e.acct.AppID}, "mediaId": {mediaID}}), LangZH)
	require.Contains(t, flashText(doc), "已提交发布")
	require.Equal(t, "publishing", doc.Find("#publish-status").AttrOr("data-state", ""))
	require.NotEmpty(t, doc.Find("#publish-status").AttrOr("data-status-url", ""))

	doc = requirePage(t, e.get("/console/articles"), LangZH)
	require.Equal(t, 1, doc.Find("#drafts tbody tr").Length())
	require.Contains(t, doc.Find("#jobs").Text(), "发布中")
}

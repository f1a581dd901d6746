package pages

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/reply"
)

func TestRepliesAddEditEnableDelete(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	appid := e.acct.AppID

	doc := requirePage(t, e.submit("/console/replies", url.Values{"appid": {appid}, "request": {"你好"}, "match": {"exact"},
		"type": {"text"}, "content": {"欢迎！"}}), LangZH)
	require.Contains(t, flashText(doc), "已添加关键词「你好」的规则")
	row := doc.Find("#rules tbody tr")
	require.Equal(t, 1, row.Length())
	require.Contains(t, row.Text(), "你好")
	require.Contains(t, row.Text(), "欢迎！")
	require.Contains(t, row.Text(), "已启用")

	rules, err := e.replies.List(context.Background(), e.acct.ID)
	require.NoError(t, err)
	require.Len(t, rules, 1)
	id := strconv.FormatInt(rules[0].ID, 10)

	// The edit form is the same form, filled with the rule.
	doc = requirePage(t, e.get("/console/replies?edit="+id), LangZH)
	action, _ := doc.Find("#rule-form form").Attr("action")
	require.Equal(t, "/console/replies/rule/"+id, action)
	v, _ := doc.Find("#r-request").Attr("value")
	require.Equal(t, "你好", v)
	require.Equal(t, "欢迎！", doc.Find("#r-content").Text())

	doc = requirePage(t, e.submit("/console/replies/rule/"+id, url.Values{"request": {"hello"}, "match": {"contains"},
		"type": {"multitext"}, "title": {"T"}, "description": {"D"}, "picurl": {"https://example.com/p.png"},
		"url": {"https://example.com/a"}}), LangZH)
	require.Contains(t, flashText(doc), "hello")
	r, err := e.replies.Get(context.Background(), e.acct.ID, reply.Selector{ID: rules[0].ID})
	require.NoError(t, err)
	require.Equal(t, reply.TypeMultitext, r.Type)
	require.Equal(t, reply.MatchContains, r.Match)
	require.Equal(t, "https://example.com/a", r.Reply.Articles[0].URL)

	doc = requirePage(t, e.submit("/console/replies/rule/"+id+"/enable", url.Values{"enabled": {"false"}}), LangZH)
	require.Contains(t, doc.Find("#rules tbody tr").Text(), "已停用")
	doc = requirePage(t, e.submit("/console/replies/rule/"+id+"/enable", url.Values{"enabled": {"true"}}), LangZH)
	require.Contains(t, doc.Find("#rules tbody tr").Text(), "已启用")

	confirm, ok := doc.Find(`form[action="/console/replies/rule/` + id + `/delete"]`).Attr("data-confirm")
	require.True(t, ok)
	require.Contains(t, confirm, "hello")
	doc = requirePage(t, e.submit("/console/replies/rule/"+id+"/delete", url.Values{}), LangZH)
	require.Contains(t, flashText(doc), "规则已删除")
	require.Equal(t, 1, doc.Find("#rules-empty").Length())
}

func TestRepliesFormErrorsNextToTheirFields(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	e.lang = LangEN

	p := e.post("/console/replies", url.Values{"request": {""}, "type": {"text"}, "content": {"x"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	doc := p.Doc(t)
	requireFieldError(t, doc, "r-request", "request")
	require.Empty(t, missingKey.FindAllString(p.Body, -1))

	// The reply service names the reply's fields reply.content, reply.musicUrl: the form's are bare.
	p = e.post("/console/replies", url.Values{"request": {"k"}, "type": {"text"}, "content": {"  "}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	doc = p.Doc(t)
	requireFieldError(t, doc, "r-content", "content")
	v, _ := doc.Find("#r-request").Attr("value")
	require.Equal(t, "k", v, "what was typed stays")

	p = e.post("/console/replies", url.Values{"request": {"m"}, "type": {"music"}, "title": {"Song"},
		"musicUrl": {"ftp://x"}, "thumbMediaId": {"t1"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	doc = p.Doc(t)
	requireFieldError(t, doc, "r-musicUrl", "http")
	sel, _ := doc.Find("#r-type option[selected]").Attr("value")
	require.Equal(t, "music", sel)

	p = e.post("/console/replies", url.Values{"request": {"(oops"}, "match": {"regex"}, "type": {"text"}, "content": {"x"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "r-request", "regular expression")

	// A keyword taken is named on the keyword.
	e.submit("/console/replies", url.Values{"request": {"dup"}, "type": {"text"}, "content": {"x"}})
	p = e.post("/console/replies", url.Values{"request": {"DUP"}, "type": {"text"}, "content": {"y"}})
	require.Equal(t, http.StatusConflict, p.Status)
	require.Contains(t, p.Doc(t).Find("#form-error").Text(), "already exists")

	// An error of the subscribe form shows in that form only.
	p = e.post("/console/replies/special/subscribe", url.Values{"type": {"image"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	doc = p.Doc(t)
	requireFieldError(t, doc, "s-mediaId", "mediaId")
	_, bad := doc.Find("#r-mediaId").Attr("aria-invalid")
	require.False(t, bad)
	_, bad = doc.Find("#d-mediaId").Attr("aria-invalid")
	require.False(t, bad)
}

func TestRepliesSubscribeAndDefault(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	e.lang = LangEN
	doc := requirePage(t, e.submit("/console/replies/special/subscribe", url.Values{"type": {"text"}, "content": {"Thanks for following"}}), LangEN)
	require.Contains(t, flashText(doc), "subscribe reply is saved")
	require.Equal(t, "Thanks for following", doc.Find("#s-content").Text())
	require.Equal(t, 1, doc.Find(`#subscribe button[name="clear"]`).Length())

	doc = requirePage(t, e.submit("/console/replies/special/default", url.Values{"type": {"text"}, "content": {"Sorry?"}}), LangEN)
	require.Equal(t, "Sorry?", doc.Find("#d-content").Text())
	sub, def, err := e.replies.Specials(context.Background(), e.acct.ID)
	require.NoError(t, err)
	require.Equal(t, "Thanks for following", sub.Reply.Content)
	require.Equal(t, "Sorry?", def.Reply.Content)

	doc = requirePage(t, e.submit("/console/replies/special/subscribe", url.Values{"clear": {"1"}, "type": {"text"}}), LangEN)
	require.Contains(t, flashText(doc), "cleared")
	require.Equal(t, 0, doc.Find(`#subscribe button[name="clear"]`).Length())
	require.True(t, strings.Contains(doc.Find("#subscribe").Text(), "not set"))
}

package wxemu

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

func article(thumb, title string) map[string]any {
	return map[string]any{"title": title, "author": "作者", "digest": "摘要", "content": "<p>正文</p>",
		"content_source_url": "", "thumb_media_id": thumb, "need_open_comment": 1, "only_fans_can_comment": 0}
}

func TestDraftBox(t *testing.T) {
	v := newEnv(t, Options{PublishDelay: -1})
	thumb := v.upload("image", "c.png", pngBytes, nil)["media_id"].(string)
	voice := v.upload("voice", "v.mp3", mp3Bytes, nil)["media_id"].(string)

	requireErrcode(t, v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": []any{}}), codeEmptyNews)
	nine := []any{}
	for range 9 {
		nine = append(nine, article(thumb, "t"))
	}
	requireErrcode(t, v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": nine}), codeArticleCount)
	requireErrcode(t, v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": []any{article(voice, "t")}}), codeInvalidMediaID)
	requireErrcode(t, v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": []any{article("nope", "t")}}), codeInvalidMediaID)
	requireErrcode(t, v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": []any{article(thumb, strings.Repeat("长", 33))}}), codeTitleSize)
	bad := article(thumb, "t")
	bad["content"] = `<a href="javascript:alert(1)">x</a>`
	requireErrcode(t, v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": []any{bad}}), codeInvalidContent)
	big := article(thumb, "t")
	big["content"] = strings.Repeat("字", 20000)
	requireErrcode(t, v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": []any{big}}), codeContentSize)

	js := article(thumb, "一")
	js["content"] = `<p>a</p><script>alert(1)</script><p>b</p>`
	added := v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": []any{js, article(thumb, "二")}})
	require.Len(t, added, 1, "draft/add answers media_id only: %v", added)
	mediaID := added["media_id"].(string)

	got := v.post("/cgi-bin/draft/get", v.q(), map[string]any{"media_id": mediaID})
	items := got["news_item"].([]any)
	require.Len(t, items, 2)
	first := items[0].(map[string]any)
	require.Equal(t, "一", first["title"])
	require.Equal(t, "<p>a</p><p>b</p>", first["content"], "WeChat removes scripts")
	require.Equal(t, json.Number("1"), first["need_open_comment"])
	require.Contains(t, first["thumb_url"], "mmbiz.qpic.cn")

	upd := article(thumb, "改")
	requireOK(t, v.post("/cgi-bin/draft/update", v.q(), map[string]any{"media_id": mediaID, "index": 1, "articles": upd}))
	requireErrcode(t, v.post("/cgi-bin/draft/update", v.q(), map[string]any{"media_id": mediaID, "index": 2, "articles": upd}), codeInvalidArgs)
	requireErrcode(t, v.post("/cgi-bin/draft/update", v.q(), map[string]any{"media_id": "x", "index": 0, "articles": upd}), codeInvalidMediaID)
	require.Equal(t, "改", v.emu.Drafts(v.demo.AppID)[0].Articles[1].Title)

	require.Equal(t, json.Number("1"), v.get("/cgi-bin/draft/count", v.q())["total_count"])
	list := v.post("/cgi-bin/draft/batchget", v.q(), map[string]any{"offset": 0, "count": 20, "no_content": 1})
	require.Equal(t, json.Number("1"), list["total_count"])
	it := list["item"].([]any)[0].(map[string]any)
	require.Equal(t, mediaID, it["media_id"])
	require.Equal(t, "", it["content"].(map[string]any)["news_item"].([]any)[0].(map[string]any)["content"])
	requireErrcode(t, v.post("/cgi-bin/draft/batchget", v.q(), map[string]any{"offset": 0, "count": 21}), codeInvalidArgs)

	other := v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": []any{article(thumb, "x")}})["media_id"].(string)
	requireOK(t, v.post("/cgi-bin/draft/delete", v.q(), map[string]any{"media_id": other}))
	requireErrcode(t, v.post("/cgi-bin/draft/delete", v.q(), map[string]any{"media_id": other}), codeInvalidMediaID)
}

// callbackRecorder is an account's server: it keeps what WeChat pushed.
func callbackRecorder(t *testing.T) (*httptest.Server, chan []byte) {
	got := make(chan []byte, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
		_, _ = w.Write([]byte("success"))
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestFreePublish(t *testing.T) {
	v := newEnv(t, Options{PublishDelay: 50 * time.Millisecond})
	cb, pushed := callbackRecorder(t)
	v.emu.SetCallback(v.demo.AppID, cb.URL, ModePlain)
	thumb := v.upload("image", "c.png", pngBytes, nil)["media_id"].(string)
	mediaID := v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": []any{article(thumb, "一"), article(thumb, "二")}})["media_id"].(string)

	requireErrcode(t, v.post("/cgi-bin/freepublish/submit", v.q(), map[string]any{"media_id": "nope"}), codeInvalidMediaID)
	sub := v.post("/cgi-bin/freepublish/submit", v.q(), map[string]any{"media_id": mediaID})
	require.Equal(t, json.Number("0"), sub["errcode"])
	require.Equal(t, "ok", sub["errmsg"])
	require.Contains(t, sub, "msg_data_id")
	publishID := sub["publish_id"].(string)
	require.Equal(t, json.Number("1"), v.post("/cgi-bin/freepublish/get", v.q(), map[string]any{"publish_id": publishID})["publish_status"])

	var raw []byte
	select {
	case raw = <-pushed:
	case <-time.After(5 * time.Second):
		t.Fatal("no PUBLISHJOBFINISH")
	}
	require.Contains(t, string(raw), "<Event><![CDATA[PUBLISHJOBFINISH]]></Event>")
	msg, err := wxcrypto.ParseMessage(raw)
	require.NoError(t, err)
	info := msg.PublishEventInfo
	require.NotNil(t, info)
	require.Equal(t, publishID, info.PublishID)
	require.Equal(t, 0, info.PublishStatus)
	require.Len(t, info.Items, 2)
	require.Equal(t, v.demo.OriginalID, msg.ToUserName)

	st := v.post("/cgi-bin/freepublish/get", v.q(), map[string]any{"publish_id": publishID})
	require.Equal(t, json.Number("0"), st["publish_status"])
	require.Equal(t, info.ArticleID, st["article_id"])
	detail := st["article_detail"].(map[string]any)
	require.Equal(t, json.Number("2"), detail["count"])
	require.Equal(t, info.Items[1].ArticleURL, detail["item"].([]any)[1].(map[string]any)["article_url"])
	require.Empty(t, v.emu.Drafts(v.demo.AppID), "a published draft leaves the draft box")

	art := v.post("/cgi-bin/freepublish/getarticle", v.q(), map[string]any{"article_id": info.ArticleID})
	require.Equal(t, false, art["news_item"].([]any)[0].(map[string]any)["is_deleted"])
	list := v.post("/cgi-bin/freepublish/batchget", v.q(), map[string]any{"offset": 0, "count": 10, "no_content": 0})
	require.Equal(t, json.Number("1"), list["total_count"])
	require.Equal(t, info.ArticleID, list["item"].([]any)[0].(map[string]any)["article_id"])

	requireOK(t, v.post("/cgi-bin/freepublish/delete", v.q(), map[string]any{"article_id": info.ArticleID, "index": 2}))
	requireErrcode(t, v.post("/cgi-bin/freepublish/delete", v.q(), map[string]any{"article_id": info.ArticleID, "index": 3}), codeInvalidArticleID)
	requireOK(t, v.post("/cgi-bin/freepublish/delete", v.q(), map[string]any{"article_id": info.ArticleID}))
	require.Equal(t, json.Number("5"), v.post("/cgi-bin/freepublish/get", v.q(), map[string]any{"publish_id": publishID})["publish_status"])
	requireErrcode(t, v.post("/cgi-bin/freepublish/getarticle", v.q(), map[string]any{"article_id": "nope"}), codeInvalidArticleID)

	// Rejected by review: status 4, every article failed.
	v.emu.SetPublishOutcome(v.demo.AppID, PublishOutcome{Status: PublishRejected})
	mediaID = v.post("/cgi-bin/draft/add", v.q(), map[string]any{"articles": []any{article(thumb, "三")}})["media_id"].(string)
	publishID = v.post("/cgi-bin/freepublish/submit", v.q(), map[string]any{"media_id": mediaID})["publish_id"].(string)
	raw = <-pushed
	require.Contains(t, string(raw), "<publish_status>4</publish_status>")
	require.Contains(t, string(raw), "<fail_idx>1</fail_idx>")
	st = v.post("/cgi-bin/freepublish/get", v.q(), map[string]any{"publish_id": publishID})
	require.Equal(t, json.Number("4"), st["publish_status"])
	require.Equal(t, []any{json.Number("1")}, st["fail_idx"])
	require.NotContains(t, st, "article_id")

	// An unverified account may not publish.
	v.emu.SetFault("/cgi-bin/freepublish/submit", Fault{Errcode: 48001, Times: 1})
	requireErrcode(t, v.post("/cgi-bin/freepublish/submit", v.q(), map[string]any{"media_id": mediaID}), codeAPIUnauthorized)
}

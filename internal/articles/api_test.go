package articles

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

var (
	pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), bytes.Repeat([]byte{1}, 200)...)
	jpgBytes = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), bytes.Repeat([]byte{2}, 200)...)
	gifBytes = append([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00"), bytes.Repeat([]byte{3}, 100)...)
)

type env struct {
	*wxtest.Env
	t     *testing.T
	svc   *Service
	srv   *httptest.Server
	token string
	appid string
	cover string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1, PublishDelay: -1}, Logger: log})
	mats := materials.NewService(w.DB, w.WX, log)
	svc := NewService(Options{DB: w.DB, WeChat: w.WX, Covers: mats, Logger: log})
	engine := httpapi.NewEngine(log)
	h := &Handler{Service: svc, Accounts: w.Accounts}
	g := w.APIGroup(engine, "/apis/articles", w.Tokens.RequireAuth())
	g.Scoped = true
	h.Routes(g)
	h.UploadRoutes(httpapi.Group{IRouter: engine.Group("/apis/articles", w.Tokens.RequireAuth())})
	srv := httptest.NewServer(engine)
	t.Cleanup(srv.Close)
	id := w.Operator("ed")
	acct := w.Bind(id, w.Emu.NewAccount("ed's account"))
	w.Tokens.Give("tok-ed", httpapi.Principal{UserID: id, Username: "ed"})
	m, err := mats.Upload(context.Background(), acct, id, materials.Upload{Kind: materials.Image, Filename: "cover.png", Data: pngBytes})
	require.NoError(t, err)
	return &env{Env: w, t: t, svc: svc, srv: srv, token: "tok-ed", appid: acct.AppID, cover: m.MediaID}
}

type answer struct {
	status int
	body   map[string]any
}

func (a answer) code() int {
	n, _ := a.body["errcode"].(float64)
	return int(n)
}

func (e *env) call(path string, body any) answer {
	e.t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(e.t, err)
	return e.send(path, "application/json", bytes.NewReader(raw))
}

func (e *env) send(path, ct string, body io.Reader) answer {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/apis/articles/"+path+"?access_token="+e.token, body)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", ct)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	require.NoError(e.t, json.Unmarshal(b, &m), "answer: %s", b)
	return answer{status: resp.StatusCode, body: m}
}

func (e *env) upload(filename string, data []byte) answer {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	w, err := mw.CreatePart(h)
	require.NoError(e.t, err)
	_, _ = w.Write(data)
	require.NoError(e.t, mw.Close())
	return e.send("uploadArticleImage", mw.FormDataContentType(), &buf)
}

func (e *env) article(title, content string) map[string]any {
	return map[string]any{"title": title, "author": "编辑", "digest": "摘要", "content": content,
		"thumbMediaId": e.cover, "needOpenComment": true}
}

func TestDraftLifecycle(t *testing.T) {
	e := newEnv(t)

	img := e.upload("photo.jpg", jpgBytes)
	require.Equal(t, 0, img.code(), "%v", img.body)
	wxURL := img.body["url"].(string)
	local := img.body["localUrl"].(string)
	require.Contains(t, wxURL, "mmbiz.qpic.cn")
	require.Len(t, e.Emu.UploadedImages(e.appid), 1)

	content := `<h2>第一篇</h2><p onclick="x()">正文<img src="` + local + `"></p><script>alert(1)</script><img src="https://evil.example/a.png">`
	saved := e.call("saveDraft", map[string]any{"articles": []any{e.article("一", content), e.article("二", "<p>第二篇</p>")}})
	require.Equal(t, 0, saved.code(), "%v", saved.body)
	mediaID := saved.body["mediaId"].(string)
	removed := saved.body["removed"].([]any)
	kinds := []string{}
	for _, r := range removed {
		m := r.(map[string]any)
		kinds = append(kinds, m["kind"].(string)+":"+m["detail"].(string))
	}
	require.ElementsMatch(t, []string{"attribute:onclick", "element:script", "image:https://evil.example/a.png"}, kinds)

	drafts := e.Emu.Drafts(e.appid)
	require.Len(t, drafts, 1)
	require.Equal(t, mediaID, drafts[0].MediaID)
	require.Len(t, drafts[0].Articles, 2)
	require.Equal(t, `<h2>第一篇</h2><p>正文<img src="`+wxURL+`"></p>`, drafts[0].Articles[0].Content,
		"WeChat gets its own picture address and no script")
	require.Equal(t, 1, drafts[0].Articles[0].NeedOpenComment)

	// Update one article by index.
	upd := e.call("saveDraft", map[string]any{"mediaId": mediaID, "index": 1, "articles": e.article("二改", "<p>改过</p>")})
	require.Equal(t, 0, upd.code(), "%v", upd.body)
	require.Equal(t, mediaID, upd.body["mediaId"])
	require.Equal(t, "二改", e.Emu.Drafts(e.appid)[0].Articles[1].Title)
	require.Equal(t, "一", e.Emu.Drafts(e.appid)[0].Articles[0].Title)

	got := e.call("getDraft", map[string]any{"mediaId": mediaID})
	require.Equal(t, 0, got.code())
	require.Len(t, got.body["history"], 2)
	arts := got.body["articles"].([]any)
	require.Equal(t, "二改", arts[1].(map[string]any)["title"])
	require.NotEmpty(t, arts[0].(map[string]any)["thumbUrl"])

	list := e.call("listDrafts", map[string]any{"count": 20})
	require.Equal(t, float64(1), list.body["total"])

	// A third article: WeChat's update cannot add one, so the draft is added again under a new media_id.
	three := e.call("saveDraft", map[string]any{"mediaId": mediaID, "articles": []any{e.article("一", "<p>1</p>"), e.article("二", "<p>2</p>"), e.article("三", "<p>3</p>")}})
	require.Equal(t, 0, three.code(), "%v", three.body)
	newID := three.body["mediaId"].(string)
	require.NotEqual(t, mediaID, newID)
	require.Len(t, e.Emu.Drafts(e.appid), 1)
	require.Len(t, e.call("getDraft", map[string]any{"mediaId": newID}).body["history"], 3)

	// Import a draft made in WeChat's admin.
	e.Emu.AddDraft(e.appid, []wxemu.DraftArticle{{Title: "后台写的", Content: `<p>x</p><img src="http://mmbiz.qpic.cn/sz_mmbiz_png/q/0?wx_fmt=png">`, ThumbMediaID: e.cover}})
	sync := e.call("syncDrafts", map[string]any{})
	require.Equal(t, float64(1), sync.body["imported"], "%v", sync.body)
	require.Equal(t, float64(2), e.call("listDrafts", map[string]any{}).body["total"])
	again := e.call("syncDrafts", map[string]any{})
	require.Equal(t, float64(0), again.body["imported"])

	del := e.call("deleteDraft", map[string]any{"mediaId": newID})
	require.Equal(t, 0, del.code())
	require.Len(t, e.Emu.Drafts(e.appid), 1)
	require.Equal(t, 40400, e.call("getDraft", map[string]any{"mediaId": newID}).code())
}

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	nine := []any{}
	for range 9 {
		nine = append(nine, e.article("t", "<p>x</p>"))
	}
	a := e.call("saveDraft", map[string]any{"articles": nine})
	require.Equal(t, 400, a.status)
	require.Equal(t, 40000, a.code())

	bad := e.article("t", "<p>x</p>")
	bad["thumbMediaId"] = "unknown"
	a = e.call("saveDraft", map[string]any{"articles": []any{bad}})
	require.Equal(t, 404, a.status)
	require.Equal(t, 40400, a.code())
	require.Contains(t, a.body["msg"], "articles[0].thumbMediaId")

	a = e.call("saveDraft", map[string]any{"articles": []any{e.article("t", strings.Repeat("字", 2<<20/3))}})
	require.Equal(t, 413, a.status)
	require.Equal(t, 41300, a.code())

	a = e.call("saveDraft", map[string]any{"articles": []any{e.article("t", strings.Repeat("字", 20000))}})
	require.Equal(t, 40000, a.code())
	a = e.call("saveDraft", map[string]any{"articles": []any{e.article(strings.Repeat("长", 33), "<p>x</p>")}})
	require.Equal(t, 40000, a.code())
	require.Contains(t, a.body["msg"], "articles[0].title")
	a = e.call("saveDraft", map[string]any{"articles": []any{}})
	require.Equal(t, 40000, a.code())

	big := append(bytes.Clone(jpgBytes), bytes.Repeat([]byte{9}, 1<<20)...)
	a = e.upload("big.jpg", big)
	require.Equal(t, 41300, a.code())
	a = e.upload("anim.gif", gifBytes)
	require.Equal(t, 41500, a.code())
	a = e.upload("fake.png", []byte("not a picture at all"))
	require.Equal(t, 41500, a.code())
	require.Empty(t, e.Emu.UploadedImages(e.appid), "nothing reached WeChat")
	require.Empty(t, e.Emu.Drafts(e.appid))
}

func TestPublishing(t *testing.T) {
	e := newEnv(t)
	mediaID := e.call("saveDraft", map[string]any{"articles": []any{e.article("一", "<p>1</p>"), e.article("二", "<p>2</p>")}}).body["mediaId"].(string)

	e.Emu.SetFault("/cgi-bin/freepublish/submit", wxemu.Fault{Errcode: 48001, Times: 1})
	a := e.call("publishDraft", map[string]any{"mediaId": mediaID})
	require.Equal(t, 502, a.status)
	require.Equal(t, 50200, a.code())
	require.Equal(t, float64(48001), a.body["wxErrcode"])
	require.Contains(t, a.body["msg"], "verified")
	e.Emu.SetFault("/cgi-bin/freepublish/submit", wxemu.Fault{Errcode: 53503, Times: 1})
	a = e.call("publishDraft", map[string]any{"mediaId": mediaID})
	require.Equal(t, float64(53503), a.body["wxErrcode"])

	pub := e.call("publishDraft", map[string]any{"mediaId": mediaID})
	require.Equal(t, 0, pub.code(), "%v", pub.body)
	publishID := pub.body["publishId"].(string)
	require.Equal(t, "publishing", pub.body["status"])
	// A second publish while the first runs is refused without asking WeChat.
	require.Equal(t, 40900, e.call("publishDraft", map[string]any{"mediaId": mediaID}).code())
	require.Len(t, e.Requests("/cgi-bin/freepublish/submit"), 3)

	st := e.call("getPublish", map[string]any{"publishId": publishID})
	require.Equal(t, "publishing", st.body["status"])

	// WeChat finishes; the callback hands the event over.
	require.True(t, e.Emu.CompletePublishing(e.appid, publishID))
	r, err := e.svc.store.publishByWxID(context.Background(), 0, publishID)
	require.Nil(t, r)
	require.Error(t, err)
	var acctID int64
	require.NoError(t, e.DB.Raw(`SELECT account_id FROM article_publishes WHERE publish_id = ?`, publishID).Scan(&acctID).Error)
	e.svc.OnEvent(context.Background(), acctID, &wxcrypto.Message{MsgType: "event", Event: "PUBLISHJOBFINISH",
		PublishEventInfo: &wxcrypto.PublishEventInfo{PublishID: publishID, PublishStatus: 0, ArticleID: "ART",
			Count: 2, Items: []wxcrypto.PublishedArticle{{Idx: 1, ArticleURL: "http://mp.weixin.qq.com/s/1"}, {Idx: 2, ArticleURL: "http://mp.weixin.qq.com/s/2"}}}})
	st = e.call("getPublish", map[string]any{"publishId": publishID})
	require.Equal(t, "published", st.body["status"], "%v", st.body)
	require.Equal(t, "ART", st.body["articleId"])
	require.Equal(t, []any{map[string]any{"idx": float64(1), "url": "http://mp.weixin.qq.com/s/1"}, map[string]any{"idx": float64(2), "url": "http://mp.weixin.qq.com/s/2"}}, st.body["articles"])
	require.Equal(t, "published", e.call("getDraft", map[string]any{"mediaId": mediaID}).body["state"])
	require.Equal(t, 40900, e.call("publishDraft", map[string]any{"mediaId": mediaID}).code(), "a published draft is out of the draft box")

	// Polling brings the outcome when no event comes: a rejected job.
	e.Emu.SetPublishOutcome(e.appid, wxemu.PublishOutcome{Status: wxemu.PublishRejected})
	m2 := e.call("saveDraft", map[string]any{"articles": []any{e.article("三", "<p>3</p>")}}).body["mediaId"].(string)
	p2 := e.call("publishDraft", map[string]any{"mediaId": m2}).body["publishId"].(string)
	require.True(t, e.Emu.CompletePublishing(e.appid, p2))
	var rowID int64
	require.NoError(t, e.DB.Raw(`SELECT id FROM article_publishes WHERE publish_id = ?`, p2).Scan(&rowID).Error)
	done, _, err := e.svc.PollOnce(context.Background(), rowID)
	require.NoError(t, err)
	require.True(t, done)
	st = e.call("getPublish", map[string]any{"publishId": p2})
	require.Equal(t, "rejected", st.body["status"])
	require.Equal(t, []any{float64(1)}, st.body["failIdx"])

	// The published list comes from WeChat; deleting a group marks the job deleted.
	list := e.call("listPublished", map[string]any{})
	require.Equal(t, 0, list.code(), "%v", list.body)
	require.Equal(t, float64(1), list.body["total"])
	wxArticle := list.body["published"].([]any)[0].(map[string]any)["articleId"].(string)
	require.Equal(t, 40400, e.call("deletePublished", map[string]any{"articleId": "nope"}).code())
	require.Equal(t, 0, e.call("deletePublished", map[string]any{"articleId": wxArticle}).code())
	require.Equal(t, 40400, e.call("getPublish", map[string]any{"publishId": "999"}).code())

	// A job made outside the console is answered as WeChat reports it.
	e.Emu.SetPublishOutcome(e.appid, wxemu.PublishOutcome{})
	other := e.Emu.AddDraft(e.appid, []wxemu.DraftArticle{{Title: "后台", Content: "<p>x</p>", ThumbMediaID: e.cover}})
	ext, err := e.WX.SubmitPublish(context.Background(), e.appid, other)
	require.NoError(t, err)
	st = e.call("getPublish", map[string]any{"publishId": ext.PublishID})
	require.Equal(t, "publishing", st.body["status"], "%v", st.body)

	// No answer from WeChat: the claim stays, so the draft is not submitted twice.
	m3 := e.call("saveDraft", map[string]any{"articles": []any{e.article("四", "<p>4</p>")}}).body["mediaId"].(string)
	e.Emu.SetFault("/cgi-bin/freepublish/submit", wxemu.Fault{Delay: 6 * time.Second, Times: 1}) // the client gives up after 5 s
	require.Equal(t, 50400, e.call("publishDraft", map[string]any{"mediaId": m3}).code())
	require.Equal(t, 40900, e.call("publishDraft", map[string]any{"mediaId": m3}).code())
}

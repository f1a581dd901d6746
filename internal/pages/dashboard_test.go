package pages

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"github.com/socialinzen/socialinzen/internal/broadcasts"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/articles"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/jobs/jobstest"
	"github.com/socialinzen/socialinzen/internal/mail"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/stats"
	"github.com/socialinzen/socialinzen/internal/user"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/conversations"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/qrcode"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// The fixture of the console pages' tests: a fresh database, the WeChat emulator over HTTP and the real
// WeChat client, every capability's real service, and the console's router with the callback and the
// pages. One operator is logged in (by an access token in the cookie, as after /login) with one bound
// account in safe mode.

// consoleEnv is one console under test, on the shared WeChat fixture.
type consoleEnv struct {
	*wxtest.Env
	t       *testing.T
	replies *reply.Service
	fol     *followers.Service
	menus   *menu.Service
	cb      *callback.Handler
	msgs    *messages.Store
	stats   *stats.Service
	bc      *broadcasts.Service
	handler http.Handler
	userID  int64
	token   string
	emuAcct wxemu.Account
	acct    *accounts.Account
	jar     http.CookieJar
	lang    string
}

var testBase, _ = url.Parse("http://console.test")

func newConsole(t *testing.T, emuFollowers int) *consoleEnv {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1, AutoConsent: true}, BaseURL: testBase.String(),
		Logger: log})
	gdb, wx, accts := w.DB, w.WX, w.Accounts

	users := user.NewService(gdb, mail.NewLog(log), user.Options{BaseURL: testBase.String(), Logger: log})
	replies := reply.NewService(gdb, reply.Options{Logger: log})
	t.Cleanup(replies.Close)
	q := jobstest.New(t, gdb, w.DBURL)
	fol := followers.NewService(gdb, followers.Options{WeChat: wx, Jobs: q, Logger: log})
	bc, err := broadcasts.New(gdb, broadcasts.Options{WeChat: wx, Jobs: q, Logger: log, TemplateRate: 1000})
	require.NoError(t, err)
	qrs := qrcode.NewService(gdb, wx, messages.NewStore(gdb))
	require.NoError(t, qrs.RegisterJobs(q))
	require.NoError(t, q.Start(context.Background()))
	t.Cleanup(fol.Close)
	cb := callback.New(callback.Options{DB: gdb, Accounts: accts, Replies: qrs.Answering(replies),
		Observer: callback.Observers{fol.Observer(), qrs}, Logger: log,
		JobFinish: map[string]callback.JobFinishHook{broadcasts.EventMassFinish: bc, broadcasts.EventTemplateFinish: bc}})
	ctx, cancel := context.WithCancel(context.Background())
	cb.Start(ctx)
	t.Cleanup(func() { cancel(); cb.Close() })
	menus := menu.NewService(gdb, wx, log)
	msgs := messages.NewStore(gdb)

	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	st := stats.NewService(gdb, stats.Options{WeChat: wx, Console: msgs, Location: shanghai, Logger: log})

	e := httpapi.NewEngine(log)
	cb.Routes(e)
	mats := materials.NewService(gdb, wx, log)
	convs, err := conversations.NewService(gdb, conversations.Options{WeChat: wx, Logger: log})
	require.NoError(t, err)
	pg, err := New(gdb, w.Box, Deps{Users: users, Accounts: accts, Logger: log,
		Replies: replies, Inbox: msgs, Materials: mats, Followers: fol,
		QRCodes: qrs, Menus: menus, JSTickets: wx, Router: e, Stats: st, Conversations: convs, Broadcasts: bc,
		Audit:    audit.NewService(gdb, shanghai),
		Articles: articles.NewService(articles.Options{DB: gdb, WeChat: wx, Covers: mats, Logger: log})})
	require.NoError(t, err)
	pg.Routes(e)

	env := &consoleEnv{Env: w, t: t, replies: replies, fol: fol, menus: menus, cb: cb, msgs: msgs, stats: st, handler: e, lang: LangZH, bc: bc}
	env.jar, _ = cookiejar.New(nil)
	env.userID = w.Operator("op")
	env.token = "test-token-" + t.Name()
	sum := sha256.Sum256([]byte(env.token))
	require.NoError(t, gdb.Exec(`INSERT INTO access_tokens (token_hash, user_id, expires_at)
		VALUES (decode(?, 'hex'), ?, now() + interval '1 day')`, hex.EncodeToString(sum[:]), env.userID).Error)
	env.emuAcct = w.Emu.NewAccount("测试号")
	if emuFollowers > 0 {
		w.Emu.AddFollowers(env.emuAcct.AppID, emuFollowers)
	}
	env.acct = w.Bind(env.userID, env.emuAcct)
	return env
}

// page is an answer of the console.
type page struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
	doc      *goquery.Document
}

func (p *page) Doc(t *testing.T) *goquery.Document {
	t.Helper()
	if p.doc == nil {
		d, err := goquery.NewDocumentFromReader(strings.NewReader(p.Body))
		require.NoError(t, err)
		p.doc = d
	}
	return p.doc
}

// do sends a request as the logged-in operator, with the session cookies the console set before.
func (e *consoleEnv) do(req *http.Request) *page {
	e.t.Helper()
	req.AddCookie(&http.Cookie{Name: httpapi.TokenCookie, Value: e.token})
	req.AddCookie(&http.Cookie{Name: LangCookie, Value: e.lang})
	for _, c := range e.jar.Cookies(testBase) {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	res := w.Result()
	e.jar.SetCookies(testBase, res.Cookies())
	body, _ := io.ReadAll(res.Body)
	return &page{Status: res.StatusCode, Header: res.Header, Body: string(body), Location: res.Header.Get("Location")}
}

func (e *consoleEnv) get(path string) *page {
	e.t.Helper()
	path, _, _ = strings.Cut(path, "#") // a browser never sends the fragment
	return e.do(httptest.NewRequest(http.MethodGet, testBase.String()+path, nil))
}

// post sends a form as a browser does, without following the redirect.
func (e *consoleEnv) post(path string, form url.Values) *page {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, testBase.String()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	return e.do(req)
}

// submit posts a form, expects 303 and answers the page it leads to.
func (e *consoleEnv) submit(path string, form url.Values) *page {
	e.t.Helper()
	p := e.post(path, form)
	require.Equal(e.t, http.StatusSeeOther, p.Status, "POST %s answered:\n%s", path, p.Body)
	return e.get(p.Location)
}

// multipartPost sends fields and one file as a multipart form.
func (e *consoleEnv) multipartPost(path string, fields map[string]string, fileField, filename string, data []byte) *page {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(e.t, mw.WriteField(k, v))
	}
	if fileField != "" {
		fw, err := mw.CreateFormFile(fileField, filename)
		require.NoError(e.t, err)
		_, _ = fw.Write(data)
	}
	require.NoError(e.t, mw.Close())
	req := httptest.NewRequest(http.MethodPost, testBase.String()+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.do(req)
}

// missingKey is how a key without a translation shows on a page.
var missingKey = regexp.MustCompile(`\[[a-z]+(\.[a-zA-Z0-9_]+)+\]`)

// requirePage checks a page rendered whole: 200, the language, a title, and no key left untranslated.
func requirePage(t *testing.T, p *page, lang string) *goquery.Document {
	t.Helper()
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Empty(t, missingKey.FindAllString(p.Body, -1), "untranslated keys")
	doc := p.Doc(t)
	want := "zh-CN"
	if lang == LangEN {
		want = "en"
	}
	htmlLang, _ := doc.Find("html").Attr("lang")
	require.Equal(t, want, htmlLang)
	require.NotEmpty(t, strings.TrimSpace(doc.Find("main h1").First().Text()))
	return doc
}

// requireFieldError checks that the element with id carries an error, shown next to it.
func requireFieldError(t *testing.T, doc *goquery.Document, id, contains string) {
	t.Helper()
	field := doc.Find(`[id="` + id + `"]`)
	require.Equal(t, 1, field.Length(), "field #%s", id)
	invalid, _ := field.Attr("aria-invalid")
	require.Equal(t, "true", invalid, "field #%s is not marked invalid", id)
	errID, ok := field.Attr("aria-describedby")
	require.True(t, ok, "field #%s names no error", id)
	msg := doc.Find(`[id="` + errID + `"]`)
	require.Equal(t, 1, msg.Length(), "error #%s", errID)
	require.Contains(t, msg.Text(), contains)
	require.True(t, msg.HasClass("error"))
}

func flashText(doc *goquery.Document) string {
	return doc.Find(".flash").Text()
}

// consolePages are every page of the console.
var consolePages = []string{"/console", "/console/replies", "/console/followers", "/console/qrcodes",
	"/console/materials", "/console/menu", "/console/jssdk", "/console/inbox", "/console/settings", "/console/articles"}

// TestPagesRenderInBothLanguages opens every page of a fresh account in Chinese and English: each renders
// whole, translated, and says what to do next where there is nothing to show.
func TestPagesRenderInBothLanguages(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	empty := map[string]string{
		"/console":           "#messages-empty",
		"/console/replies":   "#rules-empty",
		"/console/followers": "#followers-empty",
		"/console/qrcodes":   "#qrcodes-empty",
		"/console/materials": "#materials-empty",
		"/console/menu":      "#menu-empty",
		"/console/jssdk":     "#jssdk-empty",
		"/console/inbox":     "#inbox-empty",
		"/console/settings":  "#logo-empty",
		"/console/articles":  "#drafts-empty",
	}
	for _, lang := range []string{LangZH, LangEN} {
		e.lang = lang
		for _, path := range consolePages {
			doc := requirePage(t, e.get(path), lang)
			sel := empty[path]
			require.Equal(t, 1, doc.Find(sel).Length(), "%s (%s) has no empty state %s", path, lang, sel)
			require.NotEmpty(t, strings.TrimSpace(doc.Find(sel).Text()))
			current, _ := doc.Find(`.mainnav a[aria-current="page"]`).Attr("href")
			require.Equal(t, path, current, "navigation of %s", path)
		}
	}
	e.lang = LangEN
	doc := e.get("/console").Doc(t)
	require.Contains(t, doc.Find("h1").Text(), "Dashboard")
	e.lang = LangZH
	doc = e.get("/console").Doc(t)
	require.Contains(t, doc.Find("h1").Text(), "概览")
}

func TestConsoleNeedsLoginAndAccount(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	req := httptest.NewRequest(http.MethodGet, "/console/replies", nil)
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	require.Equal(t, http.StatusSeeOther, w.Code)
	require.Equal(t, "/login", w.Header().Get("Location"))

	require.NoError(t, e.Accounts.Unbind(context.Background(), e.userID, e.acct.AppID))
	p := e.get("/console/menu")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/authorize", p.Location)
}

// TestDashboardCountsWhatTheCallbackStored checks the dashboard's figures and charts after a follow and
// a few messages.
func TestDashboardCountsWhatTheCallbackStored(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	for _, text := range []string{"one", "two"} {
		p := e.post("/console/replies/simulate", url.Values{"content": {text}})
		require.Equal(t, http.StatusOK, p.Status, p.Body)
	}
	p := e.post("/console/replies/simulate", url.Values{"event": {"subscribe"}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	_, err := e.replies.Add(context.Background(), e.acct.ID, reply.Input{Type: reply.TypeText, Request: "k",
		Content: reply.Content{Content: "v"}})
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		doc := requirePage(t, e.get("/console"), LangZH)
		return strings.TrimSpace(doc.Find("#stat-today .stat").Text()) == "2"
	}, 5*time.Second, 50*time.Millisecond)
	doc := e.get("/console").Doc(t)
	require.Equal(t, "1", strings.TrimSpace(doc.Find("#stat-rules .stat").Text()))
	require.Equal(t, 0, doc.Find("#messages-empty").Length())
	require.Equal(t, 2, doc.Find(".chart svg").Length(), "both charts")
	label, _ := doc.Find(".chart svg").First().Attr("aria-label")
	require.Equal(t, "近 30 天每日消息数", label)
	require.Equal(t, 30, doc.Find(".chart svg").First().Find("rect.bar").Length(), "a bar per day")
	require.Contains(t, doc.Find("#stat-token").Text(), "正常")
	// The simulated follow reached the follower mirror through the callback's observer.
	require.Eventually(t, func() bool {
		return strings.TrimSpace(e.get("/console").Doc(t).Find("#stat-followers .stat").Text()) == "1"
	}, 5*time.Second, 50*time.Millisecond)
}

func TestDailyCounts(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	now := time.Now()
	ins := func(at time.Time, typ, event string, msgID any) {
		require.NoError(t, e.DB.Exec(`INSERT INTO wx_messages (account_id, msg_id, from_user, create_time, msg_type, event, received_at)
			VALUES (?, ?, 'o1', ?, ?, ?, ?)`, e.acct.ID, msgID, at.Unix(), typ, event, at).Error)
	}
	ins(now, "text", "", 1)
	ins(now, "text", "", 2)
	ins(now.AddDate(0, 0, -1), "event", "subscribe", nil)
	ins(now.AddDate(0, 0, -1), "event", "unsubscribe", nil)
	ins(now.AddDate(0, 0, -40), "text", "", 3) // outside the window
	days, err := e.msgs.DailyCounts(context.Background(), e.acct.ID, now, 30)
	require.NoError(t, err)
	require.Len(t, days, 30)
	require.Equal(t, 2, days[29].Messages)
	require.Equal(t, 1, days[28].Follows)
	require.Equal(t, 1, days[28].Unfollows)
	total := 0
	for _, d := range days {
		total += d.Messages
	}
	require.Equal(t, 2, total)
	require.Equal(t, now.Day(), days[29].Day.Day())
}

// TestPagesWithDataRenderInBothLanguages fills every page and renders it in both languages: the branches
// that only show with data are translated and render too.
func TestPagesWithDataRenderInBothLanguages(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 3)
	e.submit("/console/replies", url.Values{"request": {"hi"}, "type": {"text"}, "content": {"hello"}})
	e.submit("/console/replies/special/subscribe", url.Values{"type": {"text"}, "content": {"welcome"}})
	e.submit("/console/menu", url.Values{"button[0].name": {"News"}, "button[0].type": {"click"}, "button[0].key": {"hi"},
		"button[1].name": {"More"}, "button[1].sub_button[0].name": {"Site"}, "button[1].sub_button[0].type": {"view"},
		"button[1].sub_button[0].url": {"https://example.com/"}, "action": {"save"}})
	e.submit("/console/qrcodes", url.Values{"sceneId": {"7"}, "expire": {"3600"}})
	p := e.multipartPost("/console/materials/upload?appid="+e.acct.AppID, map[string]string{"type": "image"}, "file", "a.png", pngBytes(t))
	require.Equal(t, http.StatusSeeOther, p.Status)
	e.submit("/console/articles/save", url.Values{"title": {"标题"}, "content": {"<p>正文</p>"},
		"thumbMediaId": {e.Emu.Materials(e.acct.AppID)[0].MediaID}})
	e.post("/console/replies/simulate", url.Values{"content": {"hi"}})
	e.post("/console/replies/simulate", url.Values{"event": {"subscribe"}})
	e.syncFollowers()
	for _, lang := range []string{LangZH, LangEN} {
		e.lang = lang
		for _, path := range append(consolePages, "/console/replies?edit=1", "/console/jssdk?url=https%3A%2F%2Fexample.com%2F",
			"/console/materials?type=image") {
			doc := requirePage(t, e.get(path), lang)
			require.Equal(t, 0, doc.Find(".empty[id$='-empty']").Length()-emptyAllowed(path), "%s (%s) shows an empty state", path, lang)
		}
	}
}

// emptyAllowed counts the empty states a filled page still shows (sections without data in this test).
func emptyAllowed(path string) int {
	switch path {
	case "/console/settings", "/console/jssdk": // no logo uploaded; no URL signed
		return 1
	case "/console/menu": // no conditional menu
		return 1
	}
	return 0
}

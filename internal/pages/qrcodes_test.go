package pages

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

func TestQRCodesCreateListAndImage(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	appid := e.acct.AppID

	p := e.post("/console/qrcodes", url.Values{"sceneId": {""}, "expire": {"86400"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "f-sceneId", "sceneId")
	p = e.post("/console/qrcodes", url.Values{"sceneId": {"200000"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "f-sceneId", "100000")
	p = e.post("/console/qrcodes", url.Values{"sceneId": {"promo"}, "expire": {"9999999"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	doc := p.Doc(t)
	requireFieldError(t, doc, "f-expire", "expire")
	v, _ := doc.Find("#f-sceneId").Attr("value")
	require.Equal(t, "promo", v)

	doc = requirePage(t, e.submit("/console/qrcodes", url.Values{"sceneId": {"promo"}, "expire": {"86400"}}), LangZH)
	require.Contains(t, flashText(doc), "promo")
	card := doc.Find("#qrcodes article")
	require.Equal(t, 1, card.Length())
	require.Contains(t, card.Text(), "promo")
	require.Contains(t, card.Find(".scans").Text(), "0")
	src, _ := card.Find("img").Attr("src")
	require.True(t, strings.HasPrefix(src, "/console/qrcodes/"), src)

	img := e.get(src)
	require.Equal(t, http.StatusOK, img.Status)
	require.Equal(t, "image/png", img.Header.Get("Content-Type"))
	require.True(t, bytes.HasPrefix([]byte(img.Body), []byte("\x89PNG")))
	require.Equal(t, http.StatusNotFound, e.get("/console/qrcodes/999999.png").Status)
	require.Equal(t, http.StatusNotFound, e.get("/console/qrcodes/nope").Status)

	// A scan by a new user through WeChat's callback counts as a scan that followed.
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	e.Emu.SetCallback(appid, srv.URL+"/wxplatform/callback/"+appid, wxemu.ModeSafe)
	codes := e.Emu.QRCodes(appid)
	require.Len(t, codes, 1)
	_, err := e.Emu.Scan(context.Background(), appid, "", codes[0].Ticket)
	require.NoError(t, err)
	doc = requirePage(t, e.get("/console/qrcodes"), LangZH)
	require.Equal(t, "1", strings.TrimSpace(doc.Find("#qrcodes .subscribes").Text()))

	e.lang = LangEN
	doc = requirePage(t, e.submit("/console/qrcodes", url.Values{"sceneId": {"42"}}), LangEN)
	require.Equal(t, 2, doc.Find("#qrcodes article").Length())
	require.Contains(t, doc.Find("#qrcodes article").First().Text(), "permanent")
}

// TestQRCodeActionsPage: the form makes a code with a tag and a text reply; the list shows both; a scan
// through the callback answers the reply; a tag the account lacks is refused.
func TestQRCodeActionsPage(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	appid := e.acct.AppID
	tag, err := e.WX.CreateTag(context.Background(), appid, "海报")
	require.NoError(t, err)
	id := strconv.Itoa(tag.ID)

	doc := requirePage(t, e.get("/console/qrcodes"), LangZH)
	require.Equal(t, 1, doc.Find(`#qr-tags input[name="tagIds"][value="`+id+`"]`).Length())

	p := e.post("/console/qrcodes", url.Values{"sceneId": {"poster"}, "tagIds": {"9999"}})
	require.Equal(t, http.StatusNotFound, p.Status)
	require.Contains(t, p.Body, "9999")
	p = e.post("/console/qrcodes", url.Values{"sceneId": {"poster"}, "replyType": {"text"}, "replyContent": {""}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	require.Equal(t, 1, p.Doc(t).Find("#e-reply").Length())

	doc = requirePage(t, e.submit("/console/qrcodes", url.Values{"sceneId": {"poster"}, "tagIds": {id},
		"replyType": {"text"}, "replyContent": {"欢迎扫码"}}), LangZH)
	card := doc.Find("#qrcodes article").First()
	require.Contains(t, card.Find(".tags").Text(), "海报")
	require.Contains(t, card.Find(".reply").Text(), "欢迎扫码")

	// The card's "try" button scans the code in the console's simulator, through the real callback.
	form := url.Values{}
	card.Find("form.qr-try input[type=hidden]").Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		value, _ := in.Attr("value")
		form.Set(name, value)
	})
	require.Equal(t, "SCAN", form.Get("event"))
	tried := requirePage(t, e.post("/console/replies/simulate", form), LangZH)
	require.Contains(t, tried.Find(`[data-testid="sim-reply"]`).Text(), "欢迎扫码")

	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	e.Emu.SetCallback(appid, srv.URL+"/wxplatform/callback/"+appid, wxemu.ModeSafe)
	codes := e.Emu.QRCodes(appid)
	d, err := e.Emu.Scan(context.Background(), appid, "", codes[len(codes)-1].Ticket)
	require.NoError(t, err)
	require.NotNil(t, d.Reply)
	require.Equal(t, "欢迎扫码", d.Reply.Content)
	require.Eventually(t, func() bool {
		return len(e.Emu.FollowerTags(appid, d.Message.FromUserName)) == 1
	}, 10*time.Second, 50*time.Millisecond)
}

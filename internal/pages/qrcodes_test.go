package pages

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

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

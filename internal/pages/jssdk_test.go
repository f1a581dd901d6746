package pages

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/jssdk"
)

func TestJSSDKSignsAPageURL(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	p := e.get("/console/jssdk?url=" + url.QueryEscape("https://shop.example.com/item?id=7#reviews"))
	doc := requirePage(t, p, LangZH)
	text := func(id string) string { return strings.TrimSpace(doc.Find(id).Text()) }
	require.Equal(t, "https://shop.example.com/item?id=7", text("#cfg-url"), "signed without the fragment")
	require.Equal(t, e.acct.AppID, text("#cfg-appid"))
	ts, err := strconv.ParseInt(text("#cfg-timestamp"), 10, 64)
	require.NoError(t, err)
	ticket, err := e.WX.JSAPITicket(context.Background(), e.acct.AppID)
	require.NoError(t, err)
	require.Equal(t, jssdk.Sign(ticket, text("#cfg-nonce"), ts, text("#cfg-url")), text("#cfg-signature"))

	snippet := text("#wxconfig")
	require.Contains(t, snippet, "wx.config({")
	require.Contains(t, snippet, `appId: "`+e.acct.AppID+`"`)
	require.Contains(t, snippet, `signature: "`+text("#cfg-signature")+`"`)
	require.Equal(t, 1, doc.Find(`button[data-copy="#wxconfig"]`).Length())
	require.Equal(t, 1, doc.Find("#jssdk-domain-warning").Length(), "the host is not a JS domain")

	p = e.get("/console/jssdk?url=" + url.QueryEscape("ftp://example.com/"))
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "f-url", "url")
}

package pages

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

func TestSettingsDomainsKeyLogoAndUnbind(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	ctx := context.Background()
	doc := requirePage(t, e.get("/console/settings"), LangZH)
	require.Contains(t, doc.Find("#accounts").Text(), e.acct.AppID)
	require.Equal(t, 1, doc.Find(`#accounts a[href="/authorize"]`).Length())
	oldKey := strings.TrimSpace(doc.Find("#msdk-key").Text())
	require.Equal(t, e.acct.MsdkKey, oldKey)
	require.Equal(t, 1, doc.Find("#f-lang").Length())

	// JS domains.
	p := e.post("/console/settings/jsdomains", url.Values{"jsDomains": {"good.example.com\nnot a domain!"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "f-jsDomains", "jsDomains")
	require.Contains(t, p.Doc(t).Find("#f-jsDomains").Text(), "not a domain!", "what was typed stays")
	doc = requirePage(t, e.submit("/console/settings/jsdomains", url.Values{"jsDomains": {"https://Shop.example.com/\nm.example.com, api.example.com"}}), LangZH)
	require.Contains(t, flashText(doc), "JS 安全域名已保存")
	require.Equal(t, "shop.example.com\nm.example.com\napi.example.com", doc.Find("#f-jsDomains").Text())
	a, err := e.Accounts.ByAppID(ctx, e.acct.AppID)
	require.NoError(t, err)
	require.Equal(t, []string{"shop.example.com", "m.example.com", "api.example.com"}, a.JSDomains)

	// The MSDK key.
	doc = requirePage(t, e.submit("/console/settings/msdk", url.Values{}), LangZH)
	newKey := strings.TrimSpace(doc.Find("#msdk-key").Text())
	require.NotEqual(t, oldKey, newKey)
	require.Len(t, newKey, 32)

	// The logo.
	form := doc.Find("#logo form")
	action, _ := form.Attr("action")
	p = e.multipartPost(action, nil, "logoFile", "logo.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	require.Equal(t, http.StatusSeeOther, p.Status)
	requireFieldError(t, requirePage(t, e.get(p.Location), LangZH), "f-logoFile", "")
	p = e.multipartPost(action, nil, "logoFile", "logo.png", pngBytes(t))
	require.Equal(t, http.StatusSeeOther, p.Status)
	doc = requirePage(t, e.get(p.Location), LangZH)
	require.Contains(t, flashText(doc), "标志已更新")
	src, _ := doc.Find("#logo-preview").Attr("src")
	require.True(t, strings.HasPrefix(src, "/materials/logo/"+e.acct.AppID), src)

	// Unbinding a second account keeps the first.
	other := e.Emu.NewAccount("第二个号")
	_, err = e.Accounts.Bind(ctx, e.userID, accounts.BindInput{AppID: other.AppID, Secret: other.Secret, Token: other.Token, Name: other.Name})
	require.NoError(t, err)
	doc = requirePage(t, e.get("/console/settings"), LangZH)
	require.Equal(t, 2, doc.Find("#accounts tbody tr").Length())
	doc = requirePage(t, e.submit("/console/settings/unbind", url.Values{"appid": {other.AppID}}), LangZH)
	require.Contains(t, flashText(doc), "第二个号")
	require.Equal(t, 1, doc.Find("#accounts tbody tr").Length())
	_, err = e.Accounts.ByAppID(ctx, other.AppID)
	require.ErrorIs(t, err, accounts.ErrNotFound)
	// An appid that is not the operator's is refused; nothing is unbound (not the first account either).
	p = e.post("/console/settings/unbind", url.Values{"appid": {"wx0000000000000000"}})
	require.Equal(t, http.StatusForbidden, p.Status)
	_, err = e.Accounts.ByAppID(ctx, e.acct.AppID)
	require.NoError(t, err)
}

func TestSettingsLanguageSwitch(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	doc := requirePage(t, e.get("/console/settings"), LangZH)
	back, _ := doc.Find(`#language input[name="back"]`).Attr("value")
	require.Equal(t, "/console/settings", back)
	p := e.post("/lang", url.Values{"lang": {"en"}, "back": {back}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/console/settings", p.Location)
	var chosen string
	for _, c := range p.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, LangCookie+"=") {
			chosen = strings.TrimPrefix(strings.SplitN(c, ";", 2)[0], LangCookie+"=")
		}
	}
	require.Equal(t, LangEN, chosen)
}

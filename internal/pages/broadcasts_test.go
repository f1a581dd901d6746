package pages

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

func TestBroadcastsPages(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 6)
	ids := e.Emu.Followers(e.emuAcct.AppID)
	for _, f := range ids {
		require.NoError(t, e.DB.Exec(`INSERT INTO wx_followers (account_id, openid) VALUES (?, ?)`, e.acct.ID, f.OpenID).Error)
	}

	// WeChat's JOBFINISH events reach the console's callback, which hands them to broadcasts.
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	e.Emu.SetCallback(e.emuAcct.AppID, srv.URL+"/wxplatform/callback/"+e.emuAcct.AppID, wxemu.ModeSafe)

	doc := requirePage(t, e.get("/console/broadcasts"), LangZH)
	require.Equal(t, "6", strings.TrimSpace(doc.Find("#count-all").Text()), "the target's count comes from the mirror")
	require.Equal(t, 1, doc.Find("#broadcasts-empty").Length())
	// The default target's reach, server-rendered (broadcasts.js follows the operator's changes).
	require.Equal(t, "6", strings.TrimSpace(doc.Find("#bc-reach-n").Text()))
	require.Equal(t, 1, doc.Find(`script[src*="broadcasts.js"]`).Length())

	// Bad input stays on the form with the error beside its field.
	p := e.post("/console/broadcasts/mass", url.Values{"target": {"openids"}, "openids": {""}, "type": {"text"}, "content": {"x"}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	require.Contains(t, p.Doc(t).Find("#e-openids").Text(), "target.openids")
	require.Equal(t, "0", strings.TrimSpace(p.Doc(t).Find("#bc-reach-n").Text()), "the reach of the target posted")
	p = e.post("/console/broadcasts/mass", url.Values{"target": {"all"}, "type": {"text"}, "content": {""}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "f-content", "content")

	// A text to two openids: its page shows the progress and the recipients.
	list := ids[0].OpenID + "\n" + ids[1].OpenID
	doc = requirePage(t, e.submit("/console/broadcasts/mass", url.Values{"target": {"openids"}, "openids": {list}, "type": {"text"}, "content": {"周末活动"}}), LangZH)
	require.Contains(t, flashText(doc), "#")
	path := ""
	require.Eventually(t, func() bool {
		p := e.get("/console/broadcasts")
		href, _ := p.Doc(t).Find("#broadcasts tbody tr a").Attr("href")
		path = href
		return strings.Contains(p.Doc(t).Find("#broadcasts .state").Text(), "已发送")
	}, 20*time.Second, 100*time.Millisecond)
	doc = requirePage(t, e.get(path), LangZH)
	require.Equal(t, "2/2", doc.Find("#bc-done").Text())
	require.Equal(t, 2, doc.Find("#recipients tbody tr").Length())
	doc = requirePage(t, e.get(path+"&status=failed"), LangZH)
	require.Equal(t, 1, doc.Find("#recipients-empty").Length())
	// MASSSENDJOBFINISH comes 2 s later: the counts and WeChat's status are stored, the recipients delivered.
	require.Eventually(t, func() bool {
		doc := e.get(path + "&status=delivered").Doc(t)
		return doc.Find("#recipients tbody tr").Length() == 2 && strings.TrimSpace(doc.Find("#bc-counts .sent").Text()) == "2"
	}, 20*time.Second, 200*time.Millisecond, "MASSSENDJOBFINISH applied")

	// Templates: add one, and its send form has one input per field; sending to one follower answers a msgid.
	doc = requirePage(t, e.submit("/console/broadcasts/templates/add", url.Values{"shortId": {"TM00015"}, "keywordNames": {"订单号, 状态"}}), LangZH)
	form := doc.Find("form.tpl-send")
	require.Equal(t, 1, form.Length())
	var names []string
	form.Find(`input[name^="data."]`).Each(func(_ int, s *goquery.Selection) { n, _ := s.Attr("name"); names = append(names, n) })
	require.Equal(t, []string{"data.first", "data.keyword1", "data.keyword2", "data.remark"}, names)
	tplID, _ := form.Find(`input[name="templateId"]`).Attr("value")
	doc = requirePage(t, e.submit("/console/broadcasts/templates/send", url.Values{"templateId": {tplID}, "target": {"openid"},
		"openid": {ids[2].OpenID}, "data.first": {"a"}, "data.keyword1": {"b"}, "data.keyword2": {"c"}, "data.remark": {"d"}}), LangZH)
	require.Contains(t, flashText(doc), "msgid")
	// A missing field is named.
	doc = requirePage(t, e.submit("/console/broadcasts/templates/send", url.Values{"templateId": {tplID}, "target": {"openid"},
		"openid": {ids[2].OpenID}, "data.first": {"a"}}), LangZH)
	require.Contains(t, flashText(doc), "data.keyword")

	// English.
	e.lang = LangEN
	doc = requirePage(t, e.get("/console/broadcasts"), LangEN)
	require.Contains(t, doc.Find("h1").Text(), "Broadcasts")
}

package pages

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConversationsPageWithoutScript: the two panes work with plain links and forms: the list, the open
// conversation with the rule's answer, the window indicator, a send WeChat refuses shown as failed with
// its reason and a retry button, read state, assignment and quick replies.
func TestConversationsPageWithoutScript(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	e.submit("/console/replies", url.Values{"request": {"价格"}, "type": {"text"}, "content": {"价格表见官网"}})
	require.Equal(t, http.StatusOK, e.post("/console/replies/simulate", url.Values{"content": {"价格"}}).Status)
	openid := "o_simulator_" + itoa(int(e.userID))

	doc := requirePage(t, e.get("/console/conversations"), LangZH)
	items := doc.Find("#conv-items li")
	require.Equal(t, 1, items.Length())
	require.Equal(t, "1", strings.TrimSpace(items.Find(".unread-count").Text()))
	require.Contains(t, items.Find(".preview").Text(), "价格")
	require.Equal(t, 1, doc.Find("#conv-pick").Length(), "no conversation open yet")
	href, _ := items.Find("a").Attr("href")
	require.Contains(t, href, "openid="+openid)
	require.Equal(t, 1, doc.Find("#reload").Length(), "a reload link for browsers without script")

	doc = requirePage(t, e.get(href), LangZH)
	msgs := doc.Find("#timeline .msg")
	require.Equal(t, 2, msgs.Length())
	require.True(t, msgs.Eq(0).HasClass("in"))
	require.Contains(t, msgs.Eq(0).Text(), "价格")
	require.True(t, msgs.Eq(1).HasClass("auto"))
	require.Contains(t, msgs.Eq(1).Text(), "价格表见官网")
	require.Contains(t, msgs.Eq(1).Text(), "«价格»")
	require.True(t, doc.Find("#window").HasClass("open"))
	require.Contains(t, doc.Find("#window").Text(), "还可发送 5 条")
	require.Equal(t, 1, doc.Find("#composer textarea[name=content]").Length())

	// The simulator's follower is not a follower at WeChat: WeChat refuses (40003); the page says so and
	// keeps the message as failed with a retry button.
	p := e.post("/console/conversations/send", url.Values{"appid": {e.acct.AppID}, "openid": {openid}, "content": {"您好"}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	doc = requirePage(t, e.get(p.Location), LangZH)
	require.NotEmpty(t, doc.Find(".flash-error").Text())
	failed := doc.Find("#timeline .msg.failed")
	require.Equal(t, 1, failed.Length())
	require.Contains(t, failed.Text(), "40003")
	require.Equal(t, 1, failed.Find("form.retry button").Length())

	// Read and assignment.
	doc = requirePage(t, e.submit("/console/conversations/read", url.Values{"appid": {e.acct.AppID}, "openid": {openid}}), LangZH)
	require.Equal(t, 0, doc.Find("#conv-items .unread-count").Length())
	doc = requirePage(t, e.submit("/console/conversations/assign", url.Values{"appid": {e.acct.AppID}, "openid": {openid}, "userId": {itoa(int(e.userID))}}), LangZH)
	sel, _ := doc.Find("#assign-user option[selected]").Attr("value")
	require.Equal(t, itoa(int(e.userID)), sel)
	doc = requirePage(t, e.get("/console/conversations?filter=none"), LangZH)
	require.Equal(t, 1, doc.Find("#conv-empty").Length())
	doc = requirePage(t, e.get("/console/conversations?filter=mine"), LangZH)
	require.Equal(t, 1, doc.Find("#conv-items li[data-openid]").Length())

	// Quick replies.
	doc = requirePage(t, e.submit("/console/conversations/quick", url.Values{"appid": {e.acct.AppID}, "openid": {openid},
		"title": {"问候"}, "content": {"您好，有什么可以帮您？"}}), LangZH)
	require.Contains(t, doc.Find("#quick-id").Text(), "问候")
	require.Contains(t, doc.Find("#quick-replies").Text(), "您好，有什么可以帮您？")

	// English.
	e.lang = LangEN
	doc = requirePage(t, e.get(href), LangEN)
	require.Contains(t, doc.Find("#composer").Text(), "Reply")
}

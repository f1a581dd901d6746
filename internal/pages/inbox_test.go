package pages

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestInboxListsMessagesWithTheirRules(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	e.submit("/console/replies", url.Values{"request": {"价格"}, "type": {"text"}, "content": {"价格表见官网"}})
	for _, text := range []string{"价格", "随便说说"} {
		require.Equal(t, http.StatusOK, e.post("/console/replies/simulate", url.Values{"content": {text}}).Status)
	}
	doc := requirePage(t, e.get("/console/inbox"), LangZH)
	rows := doc.Find("#inbox tbody tr")
	require.Equal(t, 2, rows.Length())
	require.Contains(t, rows.Eq(0).Text(), "随便说说", "newest first")
	require.Contains(t, rows.Eq(0).Find(".rule").Text(), "无")
	require.Contains(t, rows.Eq(1).Find(".rule").Text(), "价格")
	require.Contains(t, rows.Eq(1).Text(), "text: 价格表见官网")

	openid := "o_simulator_" + itoa(int(e.userID))
	doc = requirePage(t, e.get("/console/inbox?openid="+openid), LangZH)
	require.Equal(t, 2, doc.Find("#inbox tbody tr").Length())
	v, _ := doc.Find("#f-openid").Attr("value")
	require.Equal(t, openid, v)
	doc = requirePage(t, e.get("/console/inbox?openid=o_nobody"), LangZH)
	require.Equal(t, 1, doc.Find("#inbox-empty").Length())

	// Paging.
	for i := range 35 {
		require.NoError(t, e.DB.Exec(`INSERT INTO wx_messages (account_id, msg_id, from_user, create_time, msg_type, content, received_at)
			VALUES (?, ?, 'o_many', ?, 'text', 'hi', ?)`, e.acct.ID, 1000+i, time.Now().Unix(), time.Now().Add(-time.Hour)).Error)
	}
	doc = requirePage(t, e.get("/console/inbox?openid=o_many"), LangZH)
	require.Equal(t, inboxPerPage, doc.Find("#inbox tbody tr").Length())
	next, ok := doc.Find(`.pager a[rel="next"]`).Attr("href")
	require.True(t, ok)
	require.True(t, strings.Contains(next, "offset=30") && strings.Contains(next, "openid=o_many"), next)
	doc = requirePage(t, e.get("/console/inbox"+next), LangZH)
	require.Equal(t, 5, doc.Find("#inbox tbody tr").Length())
}

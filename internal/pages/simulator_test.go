package pages

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
)

// simulateJSON posts to the simulator as the page's script does.
func (e *consoleEnv) simulateJSON(form url.Values) (int, map[string]any) {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, testBase.String()+"/console/replies/simulate", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	p := e.do(req)
	var out map[string]any
	require.NoError(e.t, json.Unmarshal([]byte(p.Body), &out), p.Body)
	return p.Status, out
}

// TestSimulatorAnswersThroughTheCallbackInSafeMode sends a follower's message the way WeChat does
// (signed and AES-encrypted, the account being in safe mode) through the real callback, and reads the
// decrypted passive reply of the matching rule.
func TestSimulatorAnswersThroughTheCallbackInSafeMode(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	require.NotEmpty(t, e.acct.EncodingAESKey, "the account is in safe mode")
	e.submit("/console/replies", url.Values{"request": {"hello"}, "type": {"text"}, "content": {"Hi from the rule"}})

	status, out := e.simulateJSON(url.Values{"content": {"hello"}})
	require.Equal(t, http.StatusOK, status, out)
	r := out["reply"].(map[string]any)
	require.Equal(t, "text", r["MsgType"])
	require.Equal(t, "Hi from the rule", r["Content"])
	require.Equal(t, "o_simulator_"+itoa(int(e.userID)), r["ToUserName"])
	require.Contains(t, out["raw"], "<Encrypt>", "the answer came encrypted")
	require.NotContains(t, out["raw"], "Hi from the rule")
	require.Contains(t, out["plain"], "Hi from the rule")

	// Nothing matches: the callback answers success.
	status, out = e.simulateJSON(url.Values{"content": {"nothing matches this"}})
	require.Equal(t, http.StatusOK, status)
	require.Nil(t, out["reply"])
	require.NotEmpty(t, out["none"])

	// Empty text is the operator's to fix.
	status, out = e.simulateJSON(url.Values{"content": {" "}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, out["error"], "content")

	// The message went the real way: it is in the inbox with its rule.
	page, err := e.msgs.Inbox(context.Background(), messages.InboxQuery{AccountID: e.acct.ID})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(page.Messages), 2)
	var matched bool
	for _, m := range page.Messages {
		if m.Content == "hello" && m.Rule != nil && *m.Rule == "hello" {
			matched = true
		}
	}
	require.True(t, matched, "the inbox holds the message with its rule: %+v", page.Messages)
}

func TestSimulatorEventsAndWithoutScript(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	ctx := context.Background()
	_, err := e.replies.SetSpecial(ctx, e.acct.ID, reply.KindSubscribe, reply.TypeText, reply.Content{Content: "Welcome aboard"})
	require.NoError(t, err)
	_, err = e.replies.Add(ctx, e.acct.ID, reply.Input{Type: reply.TypeText, Request: "MENU_NEWS", Content: reply.Content{Content: "Today's news"}})
	require.NoError(t, err)

	_, out := e.simulateJSON(url.Values{"event": {"subscribe"}})
	require.Equal(t, "Welcome aboard", out["reply"].(map[string]any)["Content"])
	_, out = e.simulateJSON(url.Values{"event": {"CLICK"}, "eventKey": {"MENU_NEWS"}})
	require.Equal(t, "Today's news", out["reply"].(map[string]any)["Content"])
	status, out := e.simulateJSON(url.Values{"event": {"CLICK"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, out["error"], "eventKey")

	// Without script the form posts and the page shows the exchange.
	p := e.post("/console/replies/simulate", url.Values{"content": {"MENU_NEWS"}})
	doc := requirePage(t, p, LangZH)
	require.Equal(t, "MENU_NEWS", strings.TrimSpace(doc.Find("#chat .bubble.me").Text()))
	require.Contains(t, doc.Find(`#chat [data-testid="sim-reply"]`).Text(), "Today's news")

	p = e.post("/console/replies/simulate", url.Values{"content": {""}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	requireFieldError(t, p.Doc(t), "sim-content", "content")
}

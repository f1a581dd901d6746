package conversations_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// TestConversationJourney follows one follower's conversation through the API: the message and the
// rule's answer in one timeline, unread counts, answering within WeChat's window (the follower receives
// it), the window's quota refused locally, read state, assignment and bad input.
func TestConversationJourney(t *testing.T) {
	c := start(t)
	code, out := c.post("/apis/wxreplymanage/addReply", map[string]any{"type": "text", "request": "hello", "reply": map[string]string{"content": "你好！"}})
	require.Equal(t, 200, code, "%v", out)
	alice := c.follower(0)
	c.say(alice, "hello")
	c.say(alice, "我想问一下退货")

	conv := c.conversation(alice)
	require.EqualValues(t, 2, conv["unread"])
	require.Equal(t, "我想问一下退货", conv["lastMessage"])
	require.Nil(t, conv["assignee"])
	win := conv["window"].(map[string]any)
	require.Equal(t, true, win["open"])
	require.EqualValues(t, 5, win["remaining"])
	closes, err := time.Parse(time.RFC3339, win["closesAt"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(48*time.Hour), closes, time.Minute)

	tl := c.timeline(alice)
	require.Len(t, tl, 3, "the message, the rule's answer, the second message: %v", tl)
	require.Equal(t, "in", tl[0]["direction"])
	require.Equal(t, "hello", tl[0]["content"])
	require.Equal(t, "hello", tl[0]["rule"])
	require.Equal(t, "out", tl[1]["direction"])
	require.Equal(t, "你好！", tl[1]["content"])
	require.Equal(t, "hello", tl[1]["rule"])
	require.Nil(t, tl[1]["operator"])
	require.Equal(t, "in", tl[2]["direction"])

	// An operator answers: through custom/send, received by the follower, stored as out with the operator.
	out = c.ok("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": map[string]string{"content": "您好，请提供订单号"}})
	msg := out["message"].(map[string]any)
	require.Equal(t, "out", msg["direction"])
	require.Equal(t, "sent", msg["status"])
	require.Equal(t, "demo", msg["operator"])
	got := c.emu.Received(c.appid, alice)
	require.Len(t, got, 1)
	require.Equal(t, "text", got[0].MsgType)
	require.JSONEq(t, `{"content":"您好，请提供订单号"}`, string(got[0].Body))
	tl = c.timeline(alice)
	require.Len(t, tl, 4)
	require.Equal(t, "您好，请提供订单号", tl[3]["content"])
	require.Equal(t, "demo", tl[3]["operator"])
	conv = c.conversation(alice)
	require.EqualValues(t, 4, conv["window"].(map[string]any)["remaining"])
	require.Equal(t, "out", conv["lastDirection"])
	require.EqualValues(t, 0, conv["unread"], "answering reads the conversation")

	// A menu message in WeChat's msgmenu format.
	c.ok("sendMessage", map[string]any{"openid": alice, "type": "msgmenu", "reply": map[string]any{
		"head": "您对本次服务是否满意？", "items": []map[string]any{{"id": "101", "content": "满意"}, {"id": "102", "content": "不满意"}}, "tail": "欢迎再次光临"}})
	got = c.emu.Received(c.appid, alice)
	require.Len(t, got, 2)
	require.Equal(t, "msgmenu", got[1].MsgType)
	require.JSONEq(t, `{"head_content":"您对本次服务是否满意？","list":[{"id":"101","content":"满意"},{"id":"102","content":"不满意"}],"tail_content":"欢迎再次光临"}`, string(got[1].Body))

	// News: one article; two are refused before WeChat is asked.
	c.ok("sendMessage", map[string]any{"openid": alice, "type": "news", "reply": map[string]any{"title": "退货说明", "description": "七天无理由", "url": "https://example.com/r", "picurl": "https://example.com/p.png"}})
	got = c.emu.Received(c.appid, alice)
	require.Equal(t, "news", got[2].MsgType)
	require.Contains(t, string(got[2].Body), `"articles":[{"title":"退货说明"`)
	before := c.sends()
	c.fail("sendMessage", map[string]any{"openid": alice, "type": "multitext", "reply": []map[string]any{
		{"title": "a", "url": "https://example.com/a"}, {"title": "b", "url": "https://example.com/b"}}}, 400, 40000)

	// Bad input, refused before WeChat is asked.
	out = c.fail("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": map[string]string{"content": strings.Repeat("长", 683)}}, 400, 40000)
	require.Contains(t, out["msg"], "2048")
	c.fail("sendMessage", map[string]any{"openid": "o_nobody_at_all_xxxxxxxxxxxx", "type": "text", "reply": map[string]string{"content": "hi"}}, 404, 40400)
	c.fail("sendMessage", map[string]any{"openid": alice, "type": "image", "reply": map[string]string{"mediaId": "not-a-material"}}, 404, 40400)
	c.fail("sendMessage", map[string]any{"openid": alice, "type": "text"}, 400, 40000)
	c.fail("sendMessage", map[string]any{"type": "text", "reply": map[string]string{"content": "hi"}}, 400, 40000)
	c.fail("sendMessage", map[string]any{"openid": alice, "type": "sticker", "reply": map[string]string{"content": "hi"}}, 400, 40000)
	require.Equal(t, before, c.sends(), "nothing reached WeChat")

	// An image from the materials.
	media := c.uploadImage()
	c.ok("sendMessage", map[string]any{"openid": alice, "type": "image", "reply": map[string]string{"mediaId": media}})
	got = c.emu.Received(c.appid, alice)
	require.JSONEq(t, `{"media_id":"`+media+`"}`, string(got[3].Body))

	// One message left of five; then the console refuses without asking WeChat.
	c.ok("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": "最后一条"})
	before = c.sends()
	out = c.fail("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": map[string]string{"content": "第六条"}}, 403, 40301)
	require.EqualValues(t, 0, out["remaining"])
	require.Contains(t, out, "windowClosesAt")
	require.Equal(t, before, c.sends(), "40301 is answered without calling WeChat")
	require.Len(t, c.emu.Received(c.appid, alice), 5)
	// A new message from the follower opens five more.
	c.say(alice, "好的")
	require.EqualValues(t, 5, c.conversation(alice)["window"].(map[string]any)["remaining"])

	// Read state and assignment.
	require.EqualValues(t, 1, c.conversation(alice)["unread"])
	c.ok("markRead", map[string]any{"openid": alice})
	require.EqualValues(t, 0, c.conversation(alice)["unread"])
	out = c.ok("listConversations", map[string]any{"unread": true})
	require.EqualValues(t, 0, out["total"])
	c.fail("markRead", map[string]any{"openid": "o_nobody_at_all_xxxxxxxxxxxx"}, 404, 40400)

	c.ok("assignConversation", map[string]any{"openid": alice, "userId": c.uid})
	require.EqualValues(t, c.uid, c.conversation(alice)["assignee"])
	require.EqualValues(t, 1, c.ok("listConversations", map[string]any{"assignee": "me"})["total"])
	require.EqualValues(t, 0, c.ok("listConversations", map[string]any{"assignee": "none"})["total"])
	c.fail("assignConversation", map[string]any{"openid": alice, "userId": 999999}, 400, 40000)
	c.ok("assignConversation", map[string]any{"openid": alice, "userId": nil})
	require.Nil(t, c.conversation(alice)["assignee"])
	require.EqualValues(t, 1, c.ok("listConversations", map[string]any{"assignee": "none"})["total"])

	// Typing, best effort, reaches the follower.
	c.ok("typing", map[string]any{"openid": alice})
	require.True(t, c.emu.Typing(c.appid, alice))

	// A second follower: newest first; the search finds by openid.
	bob := c.follower(1)
	c.say(bob, "在吗")
	out = c.ok("listConversations", nil)
	require.EqualValues(t, 2, out["total"])
	require.Equal(t, bob, out["conversations"].([]any)[0].(map[string]any)["openid"])
	out = c.ok("listConversations", map[string]any{"q": alice[len(alice)-8:]})
	require.EqualValues(t, 1, out["total"])
	require.Equal(t, alice, out["conversations"].([]any)[0].(map[string]any)["openid"])
	c.fail("listConversations", map[string]any{"limit": 1000}, 400, 40000)
	c.fail("listConversations", map[string]any{"assignee": "someone"}, 400, 40000)
}

// TestTimelinePaging pages a long conversation backwards with before: every message once, in order.
func TestTimelinePaging(t *testing.T) {
	c := start(t)
	alice := c.follower(0)
	for i := range 7 {
		c.say(alice, "m"+string(rune('0'+i)))
	}
	c.ok("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": "answer"})
	var seen []string
	var before any
	for range 10 {
		body := map[string]any{"openid": alice, "limit": 3}
		if before != nil {
			body["before"] = before
		}
		out := c.ok("getConversation", body)
		page := out["messages"].([]any)
		var texts []string
		for _, m := range page {
			texts = append(texts, m.(map[string]any)["content"].(string))
		}
		seen = append(texts, seen...)
		if out["hasMore"] != true {
			break
		}
		before = out["before"]
		require.NotNil(t, before)
	}
	require.Equal(t, []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "answer"}, seen)
	c.fail("getConversation", map[string]any{"openid": alice, "before": 999999}, 400, 40000)
	c.fail("getConversation", map[string]any{"openid": "o_nobody_at_all_xxxxxxxxxxxx"}, 404, 40400)
}

// TestWindowCorrectedByWeChat: when the console believes the window open but WeChat says 45015 (or 45047),
// the operator gets 40301, the message is kept as failed with WeChat's code, and the window is corrected.
func TestWindowCorrectedByWeChat(t *testing.T) {
	c := start(t)
	alice := c.follower(0)
	c.say(alice, "hi")
	// WeChat's window closed meanwhile (the console's clock and WeChat's disagree, a message lost…).
	c.emu.SetFault("/cgi-bin/message/custom/send", wxemu.Fault{Errcode: 45015, Times: 1})
	out := c.fail("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": "hello"}, 403, 40301)
	require.EqualValues(t, 0, out["remaining"])
	win := c.conversation(alice)["window"].(map[string]any)
	require.Equal(t, false, win["open"])
	tl := c.timeline(alice)
	last := tl[len(tl)-1]
	require.Equal(t, "failed", last["status"])
	require.EqualValues(t, 45015, last["wxErrcode"])
	// Closed now: refused locally.
	n := c.sends()
	c.fail("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": "hello"}, 403, 40301)
	require.Equal(t, n, c.sends())

	// 45047: the quota is used up.
	bob := c.follower(1)
	c.say(bob, "hi")
	c.emu.SetFault("/cgi-bin/message/custom/send", wxemu.Fault{Errcode: 45047, Times: 1})
	c.fail("sendMessage", map[string]any{"openid": bob, "type": "text", "reply": "hello"}, 403, 40301)
	win = c.conversation(bob)["window"].(map[string]any)
	require.Equal(t, false, win["open"])
	require.EqualValues(t, 0, win["remaining"])
}

// TestWeChatFailureKeepsTheMessage: another WeChat error answers 50200 with WeChat's code; the message is
// in the timeline as failed with the reason, and retrying it sends the same message.
func TestWeChatFailureKeepsTheMessage(t *testing.T) {
	c := start(t)
	alice := c.follower(0)
	c.say(alice, "hi")
	c.emu.SetFault("/cgi-bin/message/custom/send", wxemu.Fault{Errcode: 48001, Times: 1})
	out := c.fail("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": "hello"}, 502, 50200)
	require.EqualValues(t, 48001, out["wxErrcode"])
	tl := c.timeline(alice)
	failed := tl[len(tl)-1]
	require.Equal(t, "failed", failed["status"])
	require.EqualValues(t, 48001, failed["wxErrcode"])
	require.Contains(t, failed["wxErrmsg"], "api unauthorized")
	require.EqualValues(t, 5, c.conversation(alice)["window"].(map[string]any)["remaining"], "the failed send spent nothing")

	out = c.ok("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": "hello", "retryOf": failed["id"]})
	require.Equal(t, failed["id"], out["id"])
	tl = c.timeline(alice)
	require.Len(t, tl, 2, "the retry is the same message")
	require.Equal(t, "sent", tl[1]["status"])
	require.Len(t, c.emu.Received(c.appid, alice), 1)
	c.fail("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": "again", "retryOf": failed["id"]}, 400, 40000)
}

// TestEventWindow: a menu click opens 3 messages for one minute; a location report opens nothing.
func TestEventWindow(t *testing.T) {
	c := start(t)
	alice := c.follower(0)
	_, err := c.emu.SendEvent(context.Background(), c.appid, alice, "CLICK", "K1")
	require.NoError(t, err)
	win := c.conversation(alice)["window"].(map[string]any)
	require.Equal(t, true, win["open"])
	require.EqualValues(t, 3, win["remaining"])
	closes, err := time.Parse(time.RFC3339, win["closesAt"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(time.Minute), closes, 10*time.Second)
	require.EqualValues(t, 0, c.conversation(alice)["unread"], "an event is not an unread message")

	bob := c.follower(1)
	_, err = c.emu.SendEvent(context.Background(), c.appid, bob, "LOCATION", "")
	require.NoError(t, err)
	out := c.ok("listConversations", nil)
	require.EqualValues(t, 1, out["total"], "a location report starts no conversation")
	// Known to the console only once the mirror has them: until then an unknown openid.
	c.fail("sendMessage", map[string]any{"openid": bob, "type": "text", "reply": "hi"}, 404, 40400)
}

// TestQuickReplies saves, lists, updates and deletes quick replies, validated like messages.
func TestQuickReplies(t *testing.T) {
	c := start(t)
	out := c.ok("saveQuickReply", map[string]any{"title": "问候", "type": "text", "reply": map[string]string{"content": "您好，有什么可以帮您？"}})
	id := out["id"]
	c.ok("saveQuickReply", map[string]any{"title": "满意度", "type": "msgmenu", "reply": map[string]any{"head": "满意吗", "items": []any{map[string]any{"id": "1", "content": "满意"}}}})
	list := c.ok("listQuickReplies", nil)["quickReplies"].([]any)
	require.Len(t, list, 2)
	require.Equal(t, "问候", list[0].(map[string]any)["title"])
	c.ok("saveQuickReply", map[string]any{"id": id, "title": "问候语", "type": "text", "reply": "您好"})
	list = c.ok("listQuickReplies", nil)["quickReplies"].([]any)
	require.Equal(t, "问候语", list[0].(map[string]any)["title"])
	require.Equal(t, map[string]any{"content": "您好"}, list[0].(map[string]any)["reply"])
	c.fail("saveQuickReply", map[string]any{"title": "", "type": "text", "reply": "x"}, 400, 40000)
	c.fail("saveQuickReply", map[string]any{"title": "图", "type": "image", "reply": map[string]string{"mediaId": "nope"}}, 404, 40400)
	c.fail("saveQuickReply", map[string]any{"id": 999999, "title": "x", "type": "text", "reply": "x"}, 404, 40400)
	c.ok("deleteQuickReply", map[string]any{"id": id})
	c.fail("deleteQuickReply", map[string]any{"id": id}, 404, 40400)
	require.Len(t, c.ok("listQuickReplies", nil)["quickReplies"].([]any), 1)
}

// uploadImage adds an image material through the console (kept locally and at WeChat).
func (c *console) uploadImage() string {
	c.t.Helper()
	var img bytes.Buffer
	require.NoError(c.t, png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 4, 4))))
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(c.t, mw.WriteField("type", "image"))
	fw, err := mw.CreateFormFile("file", "a.png")
	require.NoError(c.t, err)
	_, _ = fw.Write(img.Bytes())
	require.NoError(c.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, c.con.URL+"/apis/materials/uploadMaterial?access_token="+url.QueryEscape(c.token), &body)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	require.NoError(c.t, json.Unmarshal(raw, &out))
	require.Equal(c.t, 200, resp.StatusCode, "%s", raw)
	return out["mediaId"].(string)
}

// TestSendOnceByClientMsgID: the same clientMsgId twice (a double click, a script retrying after a timeout)
// sends one message and answers it both times.
func TestSendOnceByClientMsgID(t *testing.T) {
	c := start(t)
	alice := c.follower(0)
	c.say(alice, "hi")
	body := map[string]any{"openid": alice, "type": "text", "reply": "只发一次", "clientMsgId": "k-123"}
	first := c.ok("sendMessage", body)
	second := c.ok("sendMessage", body)
	require.Equal(t, first["id"], second["id"])
	require.Len(t, c.emu.Received(c.appid, alice), 1)
	require.Len(t, c.timeline(alice), 2)
	require.EqualValues(t, 4, c.conversation(alice)["window"].(map[string]any)["remaining"])
	c.fail("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": "x", "clientMsgId": strings.Repeat("k", 65)}, 400, 40000)
}

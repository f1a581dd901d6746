package apidocs_test

import (
	"context"
	"strings"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
)

// conversations exercises contract §16 (the live stream, which never ends, is covered by the
// conversations package's tests).
func (k *contract) conversations(tok string, console *apptest.Console) {
	t := k.t
	p := "/apis/wxplatform/"
	emu := console.Emulator()
	demo := emu.Demo()
	follower := emu.Followers(demo.AppID)[0].OpenID
	_, err := emu.SendText(context.Background(), demo.AppID, follower, "contract: 你好")
	require.NoError(t, err)

	k.do(call{name: "listConversations", method: "POST", path: p + "listConversations", token: tok, want: 200})
	k.do(call{name: "listConversations (GET, unread, mine)", method: "GET", path: p + "listConversations?unread=true&assignee=me",
		token: tok, want: 200})
	k.do(call{name: "listConversations bad assignee", method: "POST", path: p + "listConversations", token: tok, want: 400,
		json: map[string]any{"assignee": "somebody"}})
	k.do(call{name: "getConversation", method: "POST", path: p + "getConversation", token: tok, want: 200,
		json: map[string]any{"openid": follower, "limit": 10}})
	k.do(call{name: "getConversation (GET, the contract follower)", method: "GET",
		path: p + "getConversation?openid=oContractFollower000000000001", token: tok, want: 200})
	k.do(call{name: "getConversation unknown openid", method: "POST", path: p + "getConversation", token: tok, want: 404,
		json: map[string]any{"openid": "oNobodyNobodyNobodyNobody0001"}})
	k.do(call{name: "getConversation without openid", method: "POST", path: p + "getConversation", token: tok, want: 400,
		breaks: true, json: map[string]any{}})

	k.do(call{name: "sendMessage text", method: "POST", path: p + "sendMessage", token: tok, want: 200,
		json: map[string]any{"openid": follower, "type": "text", "reply": map[string]any{"content": "contract: 您好"}}})
	k.do(call{name: "sendMessage msgmenu", method: "POST", path: p + "sendMessage", token: tok, want: 200,
		json: map[string]any{"openid": follower, "type": "msgmenu", "reply": map[string]any{"head": "满意吗",
			"items": []any{map[string]any{"id": "1", "content": "满意"}}, "tail": "谢谢"}}})
	k.do(call{name: "sendMessage text too long", method: "POST", path: p + "sendMessage", token: tok, want: 400,
		json: map[string]any{"openid": follower, "type": "text", "reply": map[string]any{"content": strings.Repeat("字", 700)}}})
	k.do(call{name: "sendMessage media not in the materials", method: "POST", path: p + "sendMessage", token: tok, want: 404,
		json: map[string]any{"openid": follower, "type": "image", "reply": map[string]any{"mediaId": "nope"}}})
	k.do(call{name: "sendMessage unknown openid", method: "POST", path: p + "sendMessage", token: tok, want: 404,
		json: map[string]any{"openid": "oNobodyNobodyNobodyNobody0001", "type": "text", "reply": "hi"}})
	k.do(call{name: "sendMessage WeChat refuses (not its follower)", method: "POST", path: p + "sendMessage", token: tok, want: 502,
		json: map[string]any{"openid": "oContractFollower000000000001", "type": "text", "reply": "hi"}})
	for range 3 {
		k.do(call{name: "sendMessage within the quota", method: "POST", path: p + "sendMessage", token: tok, want: 200,
			json: map[string]any{"openid": follower, "type": "text", "reply": "ok"}})
	}
	k.do(call{name: "sendMessage past the quota", method: "POST", path: p + "sendMessage", token: tok, want: 403,
		json: map[string]any{"openid": follower, "type": "text", "reply": "sixth"}})

	k.do(call{name: "markRead", method: "POST", path: p + "markRead", token: tok, want: 200, json: map[string]any{"openid": follower}})
	k.do(call{name: "markRead unknown", method: "POST", path: p + "markRead", token: tok, want: 404,
		json: map[string]any{"openid": "oNobodyNobodyNobodyNobody0001"}})
	k.do(call{name: "assignConversation me", method: "POST", path: p + "assignConversation", token: tok, want: 200,
		json: map[string]any{"openid": follower, "userId": "me"}})
	k.do(call{name: "assignConversation nobody", method: "POST", path: p + "assignConversation", token: tok, want: 200,
		json: map[string]any{"openid": follower, "userId": nil}})
	k.do(call{name: "assignConversation a stranger", method: "POST", path: p + "assignConversation", token: tok, want: 400,
		json: map[string]any{"openid": follower, "userId": 987654}})
	k.do(call{name: "typing", method: "POST", path: p + "typing", token: tok, want: 200, json: map[string]any{"openid": follower}})

	q := k.do(call{name: "saveQuickReply", method: "POST", path: p + "saveQuickReply", token: tok, want: 200,
		json: map[string]any{"title": "问候", "type": "text", "reply": map[string]any{"content": "您好"}}})
	k.do(call{name: "listQuickReplies", method: "POST", path: p + "listQuickReplies", token: tok, want: 200})
	k.do(call{name: "listQuickReplies (GET)", method: "GET", path: p + "listQuickReplies", token: tok, want: 200})
	k.do(call{name: "saveQuickReply without title", method: "POST", path: p + "saveQuickReply", token: tok, want: 400, breaks: true,
		json: map[string]any{"type": "text", "reply": "x"}})
	if q.wired {
		k.do(call{name: "deleteQuickReply", method: "POST", path: p + "deleteQuickReply", token: tok, want: 200,
			json: map[string]any{"id": q.num(t, "id")}})
	}
	k.do(call{name: "deleteQuickReply unknown", method: "POST", path: p + "deleteQuickReply", token: tok, want: 404,
		json: map[string]any{"id": 987654}})
}

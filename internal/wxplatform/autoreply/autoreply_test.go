package autoreply_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// console is a whole console in sandbox mode: the emulator's demo account bound to the demo operator, its
// follower simulator delivering to the real callback in safe mode (AES), the API called over HTTP.
type console struct {
	t     *testing.T
	con   *apptest.Console
	emu   *wxemu.Emulator
	appid string
	token string
	http  *http.Client
}

func start(t *testing.T) *console {
	t.Helper()
	con := apptest.Start(t, apptest.Options{})
	c := &console{t: t, con: con, emu: con.Emulator(), http: &http.Client{Timeout: 30 * time.Second}}
	c.appid = c.emu.Demo().AppID
	code, out := c.post("/apis/user/login", map[string]any{"username": "demo", "password": "demo-password"})
	require.Equal(t, 200, code, "%v", out)
	c.token = out.(map[string]any)["access_token"].(string)
	return c
}

func (c *console) post(path string, body any) (int, any) {
	c.t.Helper()
	data, err := json.Marshal(body)
	require.NoError(c.t, err)
	u := c.con.URL + path
	if c.token != "" {
		u += "?access_token=" + url.QueryEscape(c.token)
	}
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(data))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out any
	require.NoError(c.t, json.Unmarshal(raw, &out), "%s", raw)
	return resp.StatusCode, out
}

// addRule calls addReply and answers the rule's id.
func (c *console) addRule(body map[string]any) int64 {
	c.t.Helper()
	code, out := c.post("/apis/wxreplymanage/addReply", body)
	require.Equal(c.t, 200, code, "%v", out)
	return int64(out.(map[string]any)["id"].(float64))
}

func (c *console) rules() map[int64]map[string]any {
	c.t.Helper()
	code, out := c.post("/apis/wxreplymanage/listReply", map[string]any{})
	require.Equal(c.t, 200, code, "%v", out)
	rules := map[int64]map[string]any{}
	for _, v := range out.([]any) {
		m := v.(map[string]any)
		rules[int64(m["id"].(float64))] = m
	}
	return rules
}

// say has the follower send text through the emulator's delivery (signed and encrypted as WeChat does).
func (c *console) say(openid, text string) *wxemu.Delivery {
	c.t.Helper()
	d, err := c.emu.SendText(context.Background(), c.appid, openid, text)
	require.NoError(c.t, err)
	require.Equal(c.t, 200, d.Status, "%s", d.Body)
	return d
}

// retry delivers the same message again, as WeChat does when it got no answer in time.
func (c *console) retry(d *wxemu.Delivery) *wxemu.Delivery {
	c.t.Helper()
	again, err := c.emu.Deliver(context.Background(), c.appid, d.Message)
	require.NoError(c.t, err)
	require.Equal(c.t, 200, again.Status, "%s", again.Body)
	return again
}

// customTexts answers the texts the emulator received through message/custom/send for openid, in order.
func (c *console) customTexts(openid string) []string {
	var out []string
	for _, r := range c.emu.Requests() {
		if r.Path != "/cgi-bin/message/custom/send" {
			continue
		}
		var m struct {
			ToUser  string `json:"touser"`
			MsgType string `json:"msgtype"`
			Text    struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		if json.Unmarshal(r.Body, &m) == nil && m.ToUser == openid {
			out = append(out, m.MsgType+":"+m.Text.Content)
		}
	}
	return out
}

func text(d *wxemu.Delivery) string {
	if d.Reply == nil {
		return ""
	}
	return d.Reply.Content
}

func TestRulesThroughTheCallback(t *testing.T) {
	c := start(t)
	openid := c.emu.Followers(c.appid)[0].OpenID
	other := c.emu.Followers(c.appid)[1].OpenID
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)

	// Several keywords, each matched in the rule's mode; "all": the first reply passively, the others by
	// customer-service messages right after.
	all := c.addRule(map[string]any{"request": []string{"营业时间", "hours", "OPEN"}, "replyMode": "all",
		"replies": []map[string]any{
			{"type": "text", "reply": map[string]any{"content": "9:00-18:00"}},
			{"type": "text", "reply": map[string]any{"content": "周末休息"}},
			{"type": "text", "reply": map[string]any{"content": "欢迎光临"}},
		}})
	// Outside its hours (a window two hours from now, in TIMEZONE) and outside its dates: no match.
	now := time.Now().In(shanghai)
	later := now.Add(2*time.Hour).Format("15:04") + "-" + now.Add(3*time.Hour).Format("15:04")
	closed := c.addRule(map[string]any{"request": "促销", "type": "text", "reply": "八折", "hours": later})
	c.addRule(map[string]any{"request": "旧活动", "type": "text", "reply": "已结束",
		"activeFrom": "2020-01-01", "activeTo": "2020-01-31"})
	// Within its hours (around now, overnight ranges included) it answers.
	around := now.Add(-time.Hour).Format("15:04") + "-" + now.Add(time.Hour).Format("15:04")
	open := c.addRule(map[string]any{"request": "现在", "match": "contains", "type": "text", "reply": "在的",
		"hours": around, "activeFrom": now.AddDate(0, 0, -1).Format(time.DateOnly)})
	// A closed exact rule lets a contains rule answer the same text.
	c.addRule(map[string]any{"request": "促", "match": "contains", "type": "text", "reply": "促销请看菜单"})

	d := c.say(openid, "hours")
	require.Equal(t, "9:00-18:00", text(d), "the passive reply of the all rule, decrypted")
	require.True(t, bytes.Contains(d.Body, []byte("<Encrypt>")), "safe mode answers encrypted: %s", d.Body)
	require.Eventually(t, func() bool { return len(c.customTexts(openid)) == 2 }, 20*time.Second, 50*time.Millisecond)
	require.Equal(t, []string{"text:周末休息", "text:欢迎光临"}, c.customTexts(openid))

	// WeChat retries the same message: same passive answer, nothing sent again, not counted again.
	again := c.retry(d)
	require.Equal(t, "9:00-18:00", text(again))
	d2 := c.say(openid, "open") // another keyword of the same rule, another message
	require.Equal(t, "9:00-18:00", text(d2))
	require.Eventually(t, func() bool { return len(c.customTexts(openid)) == 4 }, 20*time.Second, 50*time.Millisecond)
	c.retry(d2)
	c.retry(d)
	time.Sleep(1500 * time.Millisecond) // time for a wrong second job to run
	require.Len(t, c.customTexts(openid), 4, "each message's follow-ups are sent exactly once")

	require.Equal(t, "促销请看菜单", text(c.say(other, "促销")), "outside its hours the exact rule does not match")
	require.Equal(t, "", text(c.say(other, "旧活动")), "outside its dates the rule does not match")
	require.Equal(t, "在的", text(c.say(other, "现在几点")))

	rules := c.rules()
	require.EqualValues(t, 2, rules[all]["hits"], "two messages, each counted once despite the retries")
	require.NotNil(t, rules[all]["lastHitAt"])
	require.Equal(t, []any{"营业时间", "hours", "OPEN"}, rules[all]["request"])
	require.Equal(t, "all", rules[all]["replyMode"])
	require.Len(t, rules[all]["replies"], 3)
	require.EqualValues(t, 0, rules[closed]["hits"])
	require.Nil(t, rules[closed]["lastHitAt"])
	require.Equal(t, later, rules[closed]["hours"])
	require.EqualValues(t, 1, rules[open]["hits"])

	// The follow-ups are in the conversation as out messages.
	code, out := c.post("/apis/wxplatform/getConversation", map[string]any{"openid": openid, "limit": 100})
	require.Equal(t, 200, code, "%v", out)
	var outs []string
	for _, v := range out.(map[string]any)["messages"].([]any) {
		m := v.(map[string]any)
		if m["direction"] == "out" && m["status"] == "sent" {
			if s, ok := m["content"].(string); ok {
				outs = append(outs, s)
			}
		}
	}
	require.Contains(t, outs, "周末休息")
	require.Contains(t, outs, "欢迎光临")
}

// TestRandomReplies: a rule in random mode answers one of its replies.
func TestRandomReplies(t *testing.T) {
	c := start(t)
	openid := c.emu.Followers(c.appid)[0].OpenID
	c.addRule(map[string]any{"request": "抽奖", "replies": []map[string]any{
		{"type": "text", "reply": map[string]any{"content": "一等奖"}},
		{"type": "text", "reply": map[string]any{"content": "二等奖"}},
	}})
	seen := map[string]bool{}
	for range 12 {
		seen[text(c.say(openid, "抽奖"))] = true
	}
	require.Subset(t, []string{"一等奖", "二等奖"}, keys(seen))
	require.Empty(t, c.customTexts(openid), "random mode sends nothing after the passive reply")
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

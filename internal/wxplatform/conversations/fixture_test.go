package conversations_test

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

// console is a whole console in sandbox mode (the emulator's demo account bound to the demo operator, its
// follower simulator pointed at the real callback in safe mode), called over HTTP as a script would.
type console struct {
	t     *testing.T
	con   *apptest.Console
	emu   *wxemu.Emulator
	appid string
	token string
	uid   int64
	http  *http.Client
}

func start(t *testing.T) *console {
	t.Helper()
	con := apptest.Start(t, apptest.Options{})
	c := &console{t: t, con: con, emu: con.Emulator(), http: &http.Client{Timeout: 30 * time.Second}}
	c.appid = c.emu.Demo().AppID
	code, out := c.post("/apis/user/login", map[string]string{"username": "demo", "password": "demo-password"})
	require.Equal(t, 200, code, "%v", out)
	c.token = out["access_token"].(string)
	c.uid = int64(out["user_id"].(float64))
	return c
}

// post sends JSON the way the spec does (under a form Content-Type) with the demo operator's token.
func (c *console) post(path string, body any) (int, map[string]any) {
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
	var out map[string]any
	require.NoError(c.t, json.Unmarshal(raw, &out), "%s", raw)
	return resp.StatusCode, out
}

// api calls /apis/wxplatform/<name>.
func (c *console) api(name string, body any) (int, map[string]any) {
	c.t.Helper()
	return c.post("/apis/wxplatform/"+name, body)
}

func (c *console) ok(name string, body any) map[string]any {
	c.t.Helper()
	code, out := c.api(name, body)
	require.Equal(c.t, 200, code, "%s: %v", name, out)
	require.EqualValues(c.t, 0, out["errcode"], "%s: %v", name, out)
	return out
}

func (c *console) fail(name string, body any, status, errcode int) map[string]any {
	c.t.Helper()
	code, out := c.api(name, body)
	require.Equal(c.t, status, code, "%s: %v", name, out)
	require.EqualValues(c.t, errcode, out["errcode"], "%s: %v", name, out)
	return out
}

// follower is the demo account's n-th follower.
func (c *console) follower(n int) string {
	return c.emu.Followers(c.appid)[n].OpenID
}

// say has the follower send a text through WeChat's (the emulator's) callback delivery.
func (c *console) say(openid, text string) {
	c.t.Helper()
	d, err := c.emu.SendText(context.Background(), c.appid, openid, text)
	require.NoError(c.t, err)
	require.Equal(c.t, 200, d.Status, "%s", d.Body)
}

// conversation answers openid's entry of listConversations.
func (c *console) conversation(openid string) map[string]any {
	c.t.Helper()
	out := c.ok("listConversations", map[string]any{"limit": 100})
	for _, v := range out["conversations"].([]any) {
		m := v.(map[string]any)
		if m["openid"] == openid {
			return m
		}
	}
	c.t.Fatalf("no conversation with %s in %v", openid, out)
	return nil
}

func (c *console) timeline(openid string) []map[string]any {
	c.t.Helper()
	out := c.ok("getConversation", map[string]any{"openid": openid, "limit": 100})
	var list []map[string]any
	for _, v := range out["messages"].([]any) {
		list = append(list, v.(map[string]any))
	}
	return list
}

// sends counts the emulator's custom/send requests.
func (c *console) sends() int {
	n := 0
	for _, r := range c.emu.Requests() {
		if r.Path == "/cgi-bin/message/custom/send" {
			n++
		}
	}
	return n
}

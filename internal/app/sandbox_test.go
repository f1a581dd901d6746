package app_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
)

// TestSandboxDemoData: `make run`'s sandbox (SANDBOX_DEMO_DATA=true) greets a newcomer with a living
// account: keyword rules, the followers synced, and messages from followers in the inbox, delivered through
// the callback and answered by the rules.
func TestSandboxDemoData(t *testing.T) {
	t.Parallel()
	con := apptest.Start(t, apptest.Options{Env: map[string]string{"SANDBOX_DEMO_DATA": "true"}})
	c := newClient(t, con.URL)
	_, out := c.postJSON("/apis/user/login", map[string]string{"username": "demo", "password": "demo-password"}, nil)
	tok := url.QueryEscape(out["access_token"].(string))
	appid := con.App.Emulator().Demo().AppID
	q := "?access_token=" + tok + "&appid=" + appid

	deadline := time.Now().Add(60 * time.Second)
	var sync, msgs map[string]any
	for {
		_, sync = c.postJSON("/apis/wxplatform/syncStatus"+q, nil, nil)
		_, msgs = c.postJSON("/apis/wxplatform/messages"+q, nil, nil)
		if sync["state"] == "done" && msgs["total"] != nil && msgs["total"].(float64) >= 5 {
			break
		}
		require.True(t, time.Now().Before(deadline), "sync %v, messages %v", sync, msgs["total"])
		time.Sleep(100 * time.Millisecond)
	}
	require.EqualValues(t, 200, sync["total"])
	require.EqualValues(t, 200, sync["done"])
	code, _, body := c.do("POST", "/apis/wxreplymanage/listReply"+q, nil, nil)
	require.Equal(t, 200, code)
	require.Contains(t, string(body), "营业时间")
	require.Contains(t, string(body), "你好")
	require.Contains(t, string(body), `"help"`)

	// A second start on the same database adds nothing twice.
	again := apptest.Start(t, apptest.Options{DBURL: con.DBURL, Env: map[string]string{"SANDBOX_DEMO_DATA": "true"}})
	_ = again
	time.Sleep(2 * time.Second)
	_, msgs2 := c.postJSON("/apis/wxplatform/messages"+q, nil, nil)
	require.Equal(t, msgs["total"], msgs2["total"])
}

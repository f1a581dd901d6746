package proof

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
)

// TestBroadcastSurvivesSIGKILL starts a template broadcast to 200 followers on one console process,
// SIGKILLs it mid-broadcast, starts another, and counts at the emulator: every follower got the message
// exactly once, and the console's recipients and counters agree.
func TestBroadcastSurvivesSIGKILL(t *testing.T) {
	skipShort(t)
	dbURL := dbtest.NewURL(t)
	w := newWorld(t)
	env := w.env(dbURL)
	env["TEMPLATE_RATE"] = "25"
	env["BROADCAST_LEASE"] = "2s"
	p1 := startConsole(t, "sender1", env)
	c := newClient(t)
	gdb := openDB(t, dbURL)

	op := registerOperator(t, c, w.mail, p1.url, p1.url, p1.url)
	acct := w.emu.NewAccount("群发公众号 Proof")
	const followers = 200
	openids := w.emu.AddFollowers(acct.AppID, followers)
	bindAccount(t, c, p1.url, op, acct)

	// The mirror of the followers, which a template broadcast to all goes to.
	c.mustOK(p1.url, "/apis/wxplatform/syncFollowers", op.token, nil)
	require.Eventually(t, func() bool {
		var n int64
		return gdb.Raw(`SELECT count(*) FROM wx_followers WHERE subscribed`).Scan(&n).Error == nil && n == followers
	}, 60*time.Second, 200*time.Millisecond, "the follower sync mirrors 200 followers")

	r := c.mustOK(p1.url, "/apis/broadcasts/addTemplate", op.token, map[string]any{"shortId": "TM00015", "keywordNames": []string{"订单号", "状态"}})
	tplID, _ := r.obj["templateId"].(string)
	require.NotEmpty(t, tplID, "%s", r)
	r = c.mustOK(p1.url, "/apis/broadcasts/listTemplates", op.token, nil)
	require.Contains(t, r.String(), `"keyword1"`, "fields parsed from the content: %s", r)

	r = c.mustOK(p1.url, "/apis/broadcasts/sendTemplate", op.token, map[string]any{"templateId": tplID,
		"target": map[string]any{"all": true},
		"data":   map[string]string{"first": "您的订单已发货", "keyword1": "A-1001", "keyword2": "已发货", "remark": "谢谢"}})
	id, _ := r.obj["broadcastId"].(float64)
	require.NotZero(t, id, "%s", r)

	// Kill the sender once some, not all, recipients are done.
	var done int64
	require.Eventually(t, func() bool {
		return gdb.Raw(`SELECT done FROM broadcasts WHERE id = ?`, int64(id)).Scan(&done).Error == nil && done >= 40
	}, 60*time.Second, 20*time.Millisecond, "the broadcast makes progress")
	require.NoError(t, p1.cmd.Process.Kill())
	<-p1.done
	require.Less(t, done, int64(followers), "killed mid-broadcast")
	sentBeforeKill := len(w.emu.Deliveries(acct.AppID))
	t.Logf("SIGKILL after %d recipients committed, %d delivered at the emulator", done, sentBeforeKill)

	p2 := startConsole(t, "sender2", env)
	require.Eventually(t, func() bool {
		r := c.mustOK(p2.url, "/apis/broadcasts/getBroadcast", op.token, map[string]any{"broadcastId": id})
		return r.obj["state"] == "sent"
	}, 120*time.Second, 250*time.Millisecond, "the second process finishes the broadcast")

	deliveries := w.emu.Deliveries(acct.AppID)
	require.Len(t, deliveries, followers, "every follower reached")
	reached := map[string]bool{}
	for k, n := range deliveries {
		require.Equal(t, 1, n, "%s delivered %d times", k.OpenID, n)
		require.True(t, strings.HasPrefix(k.ClientMsgID, "sz"), "client_msg_id %q", k.ClientMsgID)
		reached[k.OpenID] = true
	}
	for _, o := range openids {
		require.True(t, reached[o], "follower %s reached", o)
	}
	r = c.mustOK(p2.url, "/apis/broadcasts/getBroadcast", op.token, map[string]any{"broadcastId": id})
	require.EqualValues(t, followers, r.obj["total"], "%s", r)
	require.EqualValues(t, followers, r.obj["done"], "%s", r)
	counts, _ := r.obj["counts"].(map[string]any)
	require.EqualValues(t, followers, counts["sent"], "%s", r)
	var pending int64
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = ? AND status NOT IN ('sent', 'delivered')`, int64(id)).Scan(&pending).Error)
	require.Zero(t, pending)
}

package proof

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
)

// TestMassBroadcastSurvivesSIGKILL is TestBroadcastSurvivesSIGKILL for a mass message to an openid list
// sent in several mass/send chunks (MASS_CHUNK_SIZE 4: 12 followers, 3 chunks). The emulator answers each
// chunk 3 s after WeChat accepted it; the sender is SIGKILLed in that gap on the second chunk, after the
// first was committed. Another process resumes: the second chunk is sent again with its clientmsgid,
// WeChat answers 45065 (already sent) and the console takes the earlier msg_id; the third goes out. At
// the emulator every follower got the message exactly once, one clientmsgid per chunk.
func TestMassBroadcastSurvivesSIGKILL(t *testing.T) {
	skipShort(t)
	dbURL := dbtest.NewURL(t)
	w := newWorld(t)
	env := w.env(dbURL)
	env["MASS_CHUNK_SIZE"] = "4"
	env["BROADCAST_LEASE"] = "2s"
	p1 := startConsole(t, "mass1", env)
	c := newClient(t)
	gdb := openDB(t, dbURL)

	op := registerOperator(t, c, w.mail, p1.url, p1.url, p1.url)
	acct := w.emu.NewAccount("群发图文 Proof")
	const followers = 12
	openids := w.emu.AddFollowers(acct.AppID, followers)
	bindAccount(t, c, p1.url, op, acct)
	w.emu.SetMassDelay(acct.AppID, 3*time.Second)

	r := c.mustOK(p1.url, "/apis/broadcasts/massSend", op.token, map[string]any{"target": map[string]any{"openids": openids},
		"type": "text", "content": "周末活动：全场八折"})
	id, _ := r.obj["broadcastId"].(float64)
	require.NotZero(t, id, "%s", r)

	// Kill the sender once the first chunk is committed and WeChat accepted the second, before its answer.
	var done int64
	require.Eventually(t, func() bool {
		if gdb.Raw(`SELECT done FROM broadcasts WHERE id = ?`, int64(id)).Scan(&done).Error != nil {
			return false
		}
		return done >= 4 && len(w.emu.Deliveries(acct.AppID)) >= 8
	}, 60*time.Second, 10*time.Millisecond, "the broadcast sends its second chunk")
	require.NoError(t, p1.cmd.Process.Kill())
	<-p1.done
	require.NoError(t, gdb.Raw(`SELECT done FROM broadcasts WHERE id = ?`, int64(id)).Scan(&done).Error)
	require.EqualValues(t, 4, done, "killed before the second chunk's answer was committed")
	require.Len(t, w.emu.Deliveries(acct.AppID), 8, "WeChat had accepted the second chunk")
	w.emu.SetMassDelay(acct.AppID, 0)

	p2 := startConsole(t, "mass2", env)
	require.Eventually(t, func() bool {
		r := c.mustOK(p2.url, "/apis/broadcasts/getBroadcast", op.token, map[string]any{"broadcastId": id})
		return r.obj["state"] == "sent"
	}, 120*time.Second, 250*time.Millisecond, "the second process finishes the broadcast")

	deliveries := w.emu.Deliveries(acct.AppID)
	require.Len(t, deliveries, followers, "every follower reached once")
	chunks := map[string]int{}
	reached := map[string]bool{}
	for k, n := range deliveries {
		require.Equal(t, 1, n, "%s delivered %d times", k.OpenID, n)
		require.True(t, strings.HasPrefix(k.ClientMsgID, "sz"), "clientmsgid %q", k.ClientMsgID)
		require.False(t, reached[k.OpenID], "%s reached by two chunks", k.OpenID)
		reached[k.OpenID] = true
		chunks[k.ClientMsgID]++
	}
	require.Len(t, chunks, 3, "one clientmsgid per chunk: %v", chunks)
	for _, o := range openids {
		require.True(t, reached[o], "follower %s reached", o)
	}
	r = c.mustOK(p2.url, "/apis/broadcasts/getBroadcast", op.token, map[string]any{"broadcastId": id})
	require.EqualValues(t, followers, r.obj["total"], "%s", r)
	require.EqualValues(t, followers, r.obj["done"], "%s", r)
	var sent, msgIDs, jobs int64
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM broadcast_chunks WHERE broadcast_id = ? AND state = 'sent' AND msg_id IS NOT NULL`, int64(id)).Scan(&sent).Error)
	require.EqualValues(t, 3, sent, "every chunk has WeChat's msg_id, the resent one from 45065")
	require.NoError(t, gdb.Raw(`SELECT count(DISTINCT msg_id) FROM broadcast_chunks WHERE broadcast_id = ?`, int64(id)).Scan(&msgIDs).Error)
	jobs = int64(len(w.emu.MassJobs(acct.AppID)))
	require.EqualValues(t, jobs, msgIDs, "the console's msg_ids are WeChat's jobs, none twice")
	var pending int64
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = ? AND status NOT IN ('sent', 'delivered')`, int64(id)).Scan(&pending).Error)
	require.Zero(t, pending)
}

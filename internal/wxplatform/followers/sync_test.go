package followers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

var _ callback.EventObserver = (*followers.Observer)(nil)

func (f *fixture) countRows(cond string, args ...any) int {
	f.t.Helper()
	var n int
	require.NoError(f.t, f.DB.Raw(`SELECT count(*) FROM wx_followers WHERE account_id = ? AND `+cond,
		append([]any{f.acct.ID}, args...)...).Scan(&n).Error)
	return n
}

func TestSync250(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 250, followers.Options{})
	app := f.acct.AppID
	fl := f.emuFollowers()
	_, out := f.call("createGroup", `{"groupName":"VIP"}`)
	require.EqualValues(t, 0, out["errcode"], "%v", out)
	var vip, black []string
	for _, x := range fl[:5] {
		vip = append(vip, x.OpenID)
	}
	for _, x := range fl[5:8] {
		black = append(black, x.OpenID)
	}
	_, out = f.call("moveUserToGroup", map[string]any{"groupId": 100, "openid": vip})
	require.EqualValues(t, 0, out["errcode"], "%v", out)
	_, out = f.call("moveUserToGroup", map[string]any{"groupId": 1, "openid": black})
	require.EqualValues(t, 0, out["errcode"], "%v", out)
	_, out = f.call("updateRemark", map[string]any{"openid": fl[9].OpenID, "remark": "Zhang San 老客户"})
	require.EqualValues(t, 0, out["errcode"], "%v", out)

	status, out := f.call("syncStatus", nil)
	require.Equal(t, 200, status)
	require.Equal(t, "idle", out["state"])

	status, out = f.call("syncFollowers", nil)
	require.Equal(t, 200, status, "%v", out)
	require.Contains(t, []any{"running", "done"}, out["state"])
	st := f.waitSync(30 * time.Second)
	require.Equal(t, followers.StateDone, st.State, "%+v", st)
	require.Equal(t, 250, st.Done)
	require.Equal(t, 250, st.Total)
	require.Empty(t, st.Error)
	_, out = f.call("syncStatus", nil)
	require.Equal(t, map[string]any{"errcode": 0.0, "msg": "ok", "state": "done", "done": 250.0, "total": 250.0,
		"startedAt": out["startedAt"], "finishedAt": out["finishedAt"]}, out)
	require.NotEmpty(t, out["finishedAt"])

	require.Equal(t, 250, f.countRows("subscribed"))
	require.Equal(t, 3, f.countRows("subscribed AND blacklisted AND groupid = 1"))
	require.Equal(t, 5, f.countRows("subscribed AND tagid_list = '{100}' AND groupid = 100"))
	require.Equal(t, 242, f.countRows("subscribed AND groupid = 0"))

	// What WeChat received: one user/get page (and the empty one that ends the list), batchget by 100.
	require.Len(t, f.Requests("/cgi-bin/user/get"), 2)
	gets := f.Requests("/cgi-bin/user/info/batchget")
	require.Len(t, gets, 3)
	for _, r := range gets {
		var body struct {
			UserList []struct{ OpenID string } `json:"user_list"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &body))
		require.LessOrEqual(t, len(body.UserList), 100)
	}

	// getFollowers: paging, search, groups.
	_, out = f.call("getFollowers", nil)
	require.EqualValues(t, 250, out["total"])
	list := out["followers"].([]any)
	require.Len(t, list, 20)
	first := list[0].(map[string]any)
	require.ElementsMatch(t, []string{"openid", "nickname", "remark", "groupid", "tagid_list", "subscribe_time"}, keys(first))
	require.Equal(t, fl[len(fl)-1].OpenID, first["openid"], "newest first")

	_, out = f.call("getFollowers", map[string]any{"offset": 240, "limit": 100})
	require.EqualValues(t, 250, out["total"])
	require.Len(t, out["followers"].([]any), 10)

	_, out = f.call("getFollowers", map[string]any{"q": strings.ToUpper(fl[42].OpenID[8:20])})
	require.EqualValues(t, 1, out["total"], "openid, any case")
	require.Equal(t, fl[42].OpenID, out["followers"].([]any)[0].(map[string]any)["openid"])

	_, out = f.call("getFollowers", map[string]any{"q": "zhang san 老"})
	require.EqualValues(t, 1, out["total"], "remark")

	nick := fl[100].Nickname
	want := 0
	for _, x := range fl {
		if strings.Contains(strings.ToLower(x.Nickname+"\x1f"+x.Remark+"\x1f"+x.OpenID), strings.ToLower(nick)) ||
			(x.OpenID == fl[9].OpenID && strings.Contains(strings.ToLower("Zhang San 老客户"), strings.ToLower(nick))) {
			want++
		}
	}
	_, out = f.call("getFollowers", map[string]any{"q": strings.ToUpper(nick), "limit": 100})
	require.EqualValues(t, want, out["total"], "nickname %q", nick)

	// Terms of one or two characters match characters of nicknames and remarks (not openids).
	for _, term := range []string{firstRunes(fl[7].Nickname, 2), firstRunes(fl[8].Nickname, 1), "Zh", "o"} {
		want := 0
		for _, x := range fl {
			remark := x.Remark
			if x.OpenID == fl[9].OpenID {
				remark = "Zhang San 老客户"
			}
			if strings.Contains(strings.ToLower(x.Nickname+"\x1f"+remark), strings.ToLower(term)) {
				want++
			}
		}
		_, out = f.call("getFollowers", map[string]any{"q": term})
		require.EqualValues(t, want, out["total"], "term %q", term)
		require.NotZero(t, want, "term %q", term)
	}

	_, out = f.call("getFollowers", map[string]any{"groupId": 1})
	require.EqualValues(t, 3, out["total"])
	for _, x := range out["followers"].([]any) {
		require.EqualValues(t, 1, x.(map[string]any)["groupid"])
	}
	_, out = f.call("getFollowers", map[string]any{"groupId": 100, "q": vip[0][3:12]})
	require.EqualValues(t, 1, out["total"])
	require.Equal(t, []any{100.0}, out["followers"].([]any)[0].(map[string]any)["tagid_list"])
	_, out = f.call("getFollowers", map[string]any{"groupId": 0})
	require.EqualValues(t, 242, out["total"])
	_, out = f.call("getFollowers", map[string]any{"q": "100%_\\"})
	require.EqualValues(t, 0, out["total"], "LIKE's characters are literal")

	for _, tc := range []struct{ body, field string }{
		{`{"limit":0}`, "limit"}, {`{"limit":101}`, "limit"}, {`{"offset":-1}`, "offset"},
		{`{"groupId":"x"}`, "groupId"}, {`{"q":"` + strings.Repeat("x", 65) + `"}`, "q"}, {`{"q":["a"]}`, "q"},
	} {
		status, out := f.call("getFollowers", tc.body)
		requireFail(t, status, out, 400, 40000, tc.field)
	}

	// Between syncs, followers leave and come; a new sync sees it.
	for _, x := range fl[200:202] {
		_, err := f.Emu.SendEvent(t.Context(), app, x.OpenID, "unsubscribe", "")
		require.ErrorIs(t, err, wxemu.ErrNoCallback)
	}
	f.Emu.AddFollowers(app, 5)
	_, out = f.call("syncFollowers", nil)
	require.EqualValues(t, 0, out["errcode"])
	st = f.waitSync(30 * time.Second)
	require.Equal(t, followers.StateDone, st.State, "%+v", st)
	require.Equal(t, 253, st.Done)
	require.Equal(t, 253, st.Total)
	require.Equal(t, 253, f.countRows("subscribed"))
	require.Equal(t, 2, f.countRows("NOT subscribed AND unsubscribed_at IS NOT NULL"))
	_, out = f.call("getFollowers", nil)
	require.EqualValues(t, 253, out["total"])
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSyncOnePerAccount runs two services ("processes") on one database: while one syncs, the other
// neither starts a second sync nor takes the lease over.
func TestSyncOnePerAccount(t *testing.T) {
	t.Parallel()
	opts := followers.Options{Lease: time.Second, SyncConcurrency: 1}
	f := newFixture(t, 300, opts)
	other := f.process(opts)
	// Three batchget calls of 700 ms one after the other: the sync runs past its 1 s lease, which only
	// the heartbeat keeps.
	f.Emu.SetFault("/cgi-bin/user/info/batchget", wxemu.Fault{Delay: 700 * time.Millisecond})

	st, err := f.svc.StartSync(t.Context(), f.acct)
	require.NoError(t, err)
	require.Equal(t, followers.StateRunning, st.State)
	for range 8 {
		time.Sleep(200 * time.Millisecond)
		st, err = other.StartSync(t.Context(), f.acct)
		require.NoError(t, err)
		require.Equal(t, followers.StateRunning, st.State)
		require.NoError(t, other.ResumeStale(t.Context()))
		_, err = f.svc.StartSync(t.Context(), f.acct)
		require.NoError(t, err)
	}
	st = f.waitSync(30 * time.Second)
	require.Equal(t, followers.StateDone, st.State, "%+v", st)
	require.Equal(t, 300, st.Done)
	require.Len(t, f.Requests("/cgi-bin/user/get"), 2, "one sync only")
	require.Len(t, f.Requests("/cgi-bin/user/info/batchget"), 3)
}

// TestSyncFailsAndResumes: WeChat refuses a batchget, the sync fails with WeChat's code, and the next
// start resumes it.
func TestSyncFailsAndResumes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 120, followers.Options{})
	f.Emu.SetFault("/cgi-bin/user/info/batchget", wxemu.Fault{Errcode: 45009})
	_, err := f.svc.StartSync(t.Context(), f.acct)
	require.NoError(t, err)
	st := f.waitSync(30 * time.Second)
	require.Equal(t, followers.StateFailed, st.State)
	require.Contains(t, st.Error, "45009")
	_, out := f.call("syncStatus", nil)
	require.Equal(t, "failed", out["state"])
	require.Contains(t, out["error"], "45009")

	f.Emu.ClearFaults()
	_, err = f.svc.StartSync(t.Context(), f.acct)
	require.NoError(t, err)
	st = f.waitSync(30 * time.Second)
	require.Equal(t, followers.StateDone, st.State, "%+v", st)
	require.Equal(t, 120, st.Done)
	var gen int
	require.NoError(t, f.DB.Raw(`SELECT gen FROM wx_follower_syncs WHERE account_id = ?`, f.acct.ID).Scan(&gen).Error)
	require.Equal(t, 1, gen, "the failed run was resumed, not restarted")
}

// TestSyncResumesFromCursor plays a process that died after storing the first user/get page: its
// sync row is left running with a stale heartbeat and a cursor. Another process resumes from the cursor.
func TestSyncResumesFromCursor(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10050, followers.Options{Lease: time.Second})
	fl := f.emuFollowers()
	cursor := fl[9999].OpenID
	require.NoError(t, f.DB.Exec(`INSERT INTO wx_follower_syncs (account_id, state, gen, done, total, next_openid,
		cursor_done, owner, heartbeat_at, started_at) VALUES (?, 'running', 1, 10020, 10050, ?, 10000, 'dead/1', now() - interval '1 minute', now())`,
		f.acct.ID, cursor).Error)

	st, err := f.svc.SyncStatus(t.Context(), f.acct)
	require.NoError(t, err)
	require.Equal(t, followers.StateRunning, st.State)
	require.NoError(t, f.svc.ResumeStale(t.Context()))
	st = f.waitSync(30 * time.Second)
	require.Equal(t, followers.StateDone, st.State, "%+v", st)
	require.Equal(t, 10050, st.Done)
	require.Equal(t, 10050, st.Total)
	gets := f.Requests("/cgi-bin/user/get")
	require.NotEmpty(t, gets)
	require.Equal(t, cursor, gets[0].Query.Get("next_openid"), "resumed at the cursor")
	require.Len(t, f.Requests("/cgi-bin/user/info/batchget"), 1, "only the 50 followers after the cursor")
	require.Equal(t, 50, f.countRows("subscribed"))
}

// TestSyncInterruptedResumes stops the job queue of the process running a sync half-way (a restart), then
// starts another process: the same sync (same generation) resumes and finishes, nothing counted twice.
func TestSyncInterruptedResumes(t *testing.T) {
	t.Parallel()
	opts := followers.Options{SyncConcurrency: 1}
	f := newFixture(t, 2500, opts)
	f.Emu.SetFault("/cgi-bin/user/info/batchget", wxemu.Fault{Delay: 60 * time.Millisecond})
	_, err := f.svc.StartSync(t.Context(), f.acct)
	require.NoError(t, err)
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := f.svc.SyncStatus(t.Context(), f.acct)
		require.NoError(t, err)
		if st.Done >= 300 {
			break
		}
		require.Equal(t, followers.StateRunning, st.State, "%+v", st)
		require.True(t, time.Now().Before(deadline), "no progress: %+v", st)
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, f.queue.Stop(t.Context()))
	st, err := f.svc.SyncStatus(t.Context(), f.acct)
	require.NoError(t, err)
	require.Equal(t, followers.StateRunning, st.State, "interrupted, not failed: %+v", st)
	require.Less(t, st.Done, 2500)
	var jobState string
	require.NoError(t, f.DB.Raw(`SELECT state FROM river_job WHERE kind = 'follower_sync'`).Scan(&jobState).Error)
	require.Equal(t, "available", jobState, "the job is ready for the next process")

	f.Emu.ClearFaults()
	f.process(opts) // the console restarted
	st = f.waitSync(30 * time.Second)
	require.Equal(t, followers.StateDone, st.State, "%+v", st)
	require.Equal(t, 2500, st.Done)
	require.Equal(t, 2500, st.Total)
	require.Equal(t, 2500, f.countRows("subscribed"))
	var gen int
	require.NoError(t, f.DB.Raw(`SELECT gen FROM wx_follower_syncs WHERE account_id = ?`, f.acct.ID).Scan(&gen).Error)
	require.Equal(t, 1, gen, "the interrupted sync was resumed, not started again")
}

// TestSyncRunsInSlices: with a tiny run budget each job run stores one user/get page and snoozes; the
// next run goes on from the saved cursor.
func TestSyncRunsInSlices(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 10050, followers.Options{RunBudget: time.Nanosecond})
	fl := f.emuFollowers()
	_, err := f.svc.StartSync(t.Context(), f.acct)
	require.NoError(t, err)
	st := f.waitSync(60 * time.Second)
	require.Equal(t, followers.StateDone, st.State, "%+v", st)
	require.Equal(t, 10050, st.Done)
	require.Equal(t, 10050, f.countRows("subscribed"))
	gets := f.Requests("/cgi-bin/user/get")
	require.GreaterOrEqual(t, len(gets), 2)
	require.Equal(t, "", gets[0].Query.Get("next_openid"))
	require.Equal(t, fl[9999].OpenID, gets[1].Query.Get("next_openid"), "the second run starts at the saved cursor")
	require.Len(t, f.Requests("/cgi-bin/user/info/batchget"), 101, "no page read twice")
}

func TestObserverKeepsMirrorCurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 5, followers.Options{})
	_, err := f.svc.StartSync(t.Context(), f.acct)
	require.NoError(t, err)
	require.Equal(t, followers.StateDone, f.waitSync(30*time.Second).State)
	obs := f.svc.Observer()
	ctx := context.Background()
	now := time.Now().Unix()
	ev := func(event, openid, key string, at int64) {
		obs.OnEvent(ctx, f.acct.ID, &wxcrypto.Message{FromUserName: openid, CreateTime: at, MsgType: "event", Event: event, EventKey: key})
	}
	fresh := "oNEWXX0000000000000000000001"
	ev("subscribe", fresh, "qrscene_42", now)
	var row struct {
		Subscribed     bool
		SubscribeTime  int64
		SubscribeScene string
		QRScene        int64
	}
	read := func(openid string) {
		require.NoError(t, f.DB.Raw(`SELECT subscribed, subscribe_time, subscribe_scene, qr_scene FROM wx_followers
			WHERE account_id = ? AND openid = ?`, f.acct.ID, openid).Scan(&row).Error)
	}
	read(fresh)
	require.True(t, row.Subscribed)
	require.Equal(t, now, row.SubscribeTime)
	require.Equal(t, "ADD_SCENE_QR_CODE", row.SubscribeScene)
	require.EqualValues(t, 42, row.QRScene)

	_, out := f.call("getFollowers", nil)
	require.EqualValues(t, 6, out["total"])

	ev("unsubscribe", fresh, "", now+10)
	read(fresh)
	require.False(t, row.Subscribed)
	ev("subscribe", fresh, "", now+5) // a late retry of an older event
	read(fresh)
	require.False(t, row.Subscribed, "an older event does not undo a newer one")
	ev("subscribe", fresh, "", now+20)
	read(fresh)
	require.True(t, row.Subscribed)

	scanner := "oSCANX0000000000000000000001"
	ev("SCAN", scanner, "42", now)
	read(scanner)
	require.True(t, row.Subscribed)
	ev("CLICK", "oCLICK000000000000000000000", "menu", now)
	require.Equal(t, 0, f.countRows("openid = 'oCLICK000000000000000000000'"))
	ev("subscribe", "bad openid!", "", now)
	require.Equal(t, 7, f.countRows("subscribed"))

	// A new sync keeps what events added while WeChat still lists them, and marks the rest gone.
	_, err = f.svc.StartSync(t.Context(), f.acct)
	require.NoError(t, err)
	require.Equal(t, followers.StateDone, f.waitSync(30*time.Second).State)
	require.Equal(t, 5, f.countRows("subscribed"), "the emulator never heard of the two event-made followers")
}

func TestSyncStatusNeedsAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 0, followers.Options{})
	status, out := f.call("syncStatus?appid=wx0000000000000000", nil)
	requireFail(t, status, out, 403, 40300, "")
	_, err := f.svc.StartSync(t.Context(), f.acct)
	require.NoError(t, err)
	st := f.waitSync(10 * time.Second)
	require.Equal(t, followers.StateDone, st.State)
	require.Zero(t, st.Total)
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

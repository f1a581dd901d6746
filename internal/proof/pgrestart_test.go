package proof

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// cbResult is the fate of one message of a callback load.
type cbResult struct {
	at     time.Time
	took   time.Duration
	msgID  int64
	status int
	text   string
	err    error
}

// apiResult is the fate of one API call of a load.
type apiResult struct {
	at     time.Time
	status int
	body   string
	err    error
}

// TestPostgresRestartDuringCallbackLoad restarts the console's Postgres (a throwaway cluster) while
// messages keep arriving: the callback keeps answering from memory, what it could not store is stored once
// Postgres is back, and the API recovers.
func TestPostgresRestartDuringCallbackLoad(t *testing.T) {
	skipShort(t)
	pg := startCluster(t)
	w := newWorld(t)
	p := startConsole(t, "console", w.env(pg.url()))
	c := newClient(t)
	op := registerOperator(t, c, w.mail, p.url, p.url, p.url)
	acct := w.emu.NewAccount("重启公众号 Restart")
	bindAccount(t, c, p.url, op, acct)
	const keyword, answer = "ping", "pong：数据库重启时也回答"
	addTextRule(t, c, p.url, op, keyword, answer)
	// The account and its rules are in the process's memory before the outage.
	require.Equal(t, answer, mustSignText(t, acct, "oRestartWarmup", keyword).mustSend(t, c.hc, p.url).text())
	c.mustOK(p.url, "/apis/wxreplymanage/listReply", op.token, nil)

	var (
		mu   sync.Mutex
		cbs  []cbResult
		apis []apiResult
		wg   sync.WaitGroup
		stop = make(chan struct{})
	)
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopLoad()
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8}}
	for i := range 3 {
		wg.Go(func() {
			for n := 0; n < 1500; n++ {
				select {
				case <-stop:
					return
				default:
				}
				r := cbResult{at: time.Now(), msgID: nextMsgID()}
				m, err := signText(acct, fmt.Sprintf("oRestart%02d%08d", i, n), keyword, r.msgID)
				if err == nil {
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					var ans callbackAnswer
					ans, err = m.send(ctx, hc, p.url)
					cancel()
					r.status, r.text = ans.status, ans.text()
				}
				r.took, r.err = time.Since(r.at), err
				mu.Lock()
				cbs = append(cbs, r)
				mu.Unlock()
				time.Sleep(15 * time.Millisecond)
			}
		})
	}
	wg.Go(func() {
		for n := 0; n < 500; n++ {
			select {
			case <-stop:
				return
			default:
			}
			r := apiResult{at: time.Now()}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			resp, err := c.call(ctx, p.url, "/apis/wxreplymanage/listReply", op.token, nil)
			cancel()
			r.status, r.body, r.err = resp.status, fmt.Sprintf("%.200s", resp.body), err
			mu.Lock()
			apis = append(apis, r)
			mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	})

	time.Sleep(time.Second)
	down := time.Now()
	require.NoError(t, pg.stop())
	time.Sleep(time.Second)
	// Meanwhile the process is not ready, and says its callback keeps records in memory.
	state := readiness(t, c, p)
	require.Equal(t, http.StatusServiceUnavailable, state.status, "/readyz while Postgres is down")
	require.Equal(t, "degraded", state.Checks.Callback.Status, "/readyz while Postgres is down")
	require.Positive(t, state.Checks.Callback.Detail.Queued, "/readyz while Postgres is down: records wait in memory")
	time.Sleep(time.Second)
	require.NoError(t, pg.start())
	up := time.Now()
	t.Logf("Postgres was down for %s", up.Sub(down).Round(time.Millisecond))
	time.Sleep(7 * time.Second)
	stopLoad()

	mu.Lock()
	defer mu.Unlock()
	var ids []int64
	during := 0
	var slowest time.Duration
	for _, r := range cbs {
		when := r.at.Sub(down).Round(time.Millisecond)
		require.NoError(t, r.err, "message %d sent %s after Postgres stopped", r.msgID, when)
		require.Equal(t, http.StatusOK, r.status, "message %d sent %s after Postgres stopped", r.msgID, when)
		require.Equal(t, answer, r.text, "message %d sent %s after Postgres stopped: the rule's reply", r.msgID, when)
		require.Less(t, r.took, 2*time.Second, "message %d sent %s after Postgres stopped: answered within 2 s", r.msgID, when)
		if r.at.After(down) && r.at.Before(up) {
			during++
		}
		slowest = max(slowest, r.took)
		ids = append(ids, r.msgID)
	}
	require.Greater(t, during, 20, "messages sent while Postgres was down")
	t.Logf("%d messages, %d of them while Postgres was down, all answered with the rule; slowest answer %s",
		len(cbs), during, slowest.Round(time.Millisecond))

	late, failedAround := 0, 0
	var lastFailure time.Duration
	for _, r := range apis {
		switch {
		case r.at.After(up.Add(5 * time.Second)):
			late++
			require.NoError(t, r.err, "API call %s after recovery", r.at.Sub(up).Round(time.Millisecond))
			require.Less(t, r.status, 500, "API call %s after recovery: %s", r.at.Sub(up).Round(time.Millisecond), r.body)
		case r.err != nil || r.status >= 500:
			failedAround++
			lastFailure = r.at.Sub(up)
		}
	}
	require.Greater(t, late, 5, "API calls from 5 s after recovery")
	t.Logf("%d API calls, %d failed around the outage (the last sent %s after recovery), none from 5 s after recovery",
		len(apis), failedAround, lastFailure.Round(time.Millisecond))

	// Everything answered is stored, once, within 20 s.
	gdb := openDB(t, pg.url())
	var rows, distinct int64
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		rows, distinct, err = countMessages(gdb, ids)
		if err == nil && rows == int64(len(ids)) {
			break
		}
	}
	require.NoError(t, err)
	require.Equal(t, int64(len(ids)), rows, "records of the %d messages answered", len(ids))
	require.Equal(t, rows, distinct)

	// And the process says so: the queue is empty again.
	state = readiness(t, c, p)
	require.Equal(t, http.StatusOK, state.status)
	require.Equal(t, "ok", state.Checks.Callback.Status)
	require.Zero(t, state.Checks.Callback.Detail.Queued)
	require.Zero(t, state.Checks.Callback.Detail.Dropped)
}

// readyState is the part of /readyz these tests read.
type readyState struct {
	status int
	Checks struct {
		Callback struct {
			Status string `json:"status"`
			Detail struct {
				Queued  int    `json:"queued"`
				Dropped uint64 `json:"dropped"`
			} `json:"detail"`
		} `json:"callback"`
	} `json:"checks"`
}

func readiness(t testing.TB, c *client, p *proc) readyState {
	t.Helper()
	resp, err := c.hc.Get(p.url + "/readyz")
	require.NoError(t, err)
	defer resp.Body.Close()
	st := readyState{status: resp.StatusCode}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

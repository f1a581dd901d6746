package proof

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
)

// TestSIGTERMDrainsKeepAliveClients is a console behind a load balancer: clients reuse keep-alive
// connections and send without pause through the SIGTERM, until the balancer, polling /readyz, takes the
// process out. With SHUTDOWN_DRAIN, /readyz answers 503 at once, requests keep being served with
// Connection: close (each client's next request takes a new connection), and only then does the listener
// close and the process finish what is in flight. No request may fail; every message answered is stored.
func TestSIGTERMDrainsKeepAliveClients(t *testing.T) {
	skipShort(t)
	const drain = 1500 * time.Millisecond
	dbURL := dbtest.NewURL(t)
	w := newWorld(t)
	env := w.env(dbURL)
	env["SHUTDOWN_DRAIN"] = drain.String()
	p := startConsole(t, "console", env)
	c := newClient(t)
	op := registerOperator(t, c, w.mail, p.url, p.url, p.url)
	acct := w.emu.NewAccount("排空公众号 Drain")
	bindAccount(t, c, p.url, op, acct)
	const keyword, answer = "drain", "排空"
	addTextRule(t, c, p.url, op, keyword, answer)

	type outcome struct {
		kind         string
		wrote        bool
		err          error
		status       int
		closeAfter   bool
		afterSignal  bool
		msgID        int64
		answeredText string
	}
	var (
		mu       sync.Mutex
		outcomes []outcome
		signaled atomic.Bool
		removed  atomic.Bool // the balancer has taken the process out: no new requests
		wg       sync.WaitGroup
	)
	// One keep-alive client, as a balancer's pool of connections to this process.
	keep := newClient(t).hc
	worker := func(kind string, i int) {
		for n := 0; !removed.Load(); n++ {
			var o outcome
			var wrote atomic.Bool
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }})
			o.kind, o.afterSignal = kind, signaled.Load()
			if kind == "api" {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/apis/user/me", http.NoBody)
				req.Header.Set("Authorization", "Bearer "+op.token)
				resp, err := keep.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					o.status, o.closeAfter = resp.StatusCode, resp.Close
				}
				o.err = err
			} else {
				o.msgID = nextMsgID()
				m, err := signText(acct, fmt.Sprintf("oDrain%02d%08d", i, n), keyword, o.msgID)
				if err == nil {
					var ans callbackAnswer
					ans, err = m.send(ctx, keep, p.url)
					o.status = ans.status
					o.answeredText = ans.text()
				}
				o.err = err
			}
			cancel()
			o.wrote = wrote.Load()
			mu.Lock()
			outcomes = append(outcomes, o)
			mu.Unlock()
			if o.err != nil {
				return
			}
		}
	}
	for i := range 4 {
		wg.Go(func() { worker("api", i) })
	}
	for i := range 2 {
		wg.Go(func() { worker("callback", i) })
	}

	time.Sleep(time.Second)
	sig := time.Now()
	signaled.Store(true)
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	// /readyz says 503 at once, while requests are still served. The balancer polls it and, a health-check
	// interval later, sends no more.
	var unready time.Duration
	for time.Since(sig) < drain {
		r, err := noKeepAlive(2 * time.Second).Get(p.url + "/readyz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusServiceUnavailable {
				unready = time.Since(sig)
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(drain / 3)
	removed.Store(true)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the process did not exit within 20 s of SIGTERM")
	}
	wg.Wait()
	require.Equal(t, 0, p.exitCode(), "exit status (%v)", p.waitErr)
	require.NotZero(t, unready, "/readyz answered 503 during the drain")
	require.Less(t, unready, drain/2, "/readyz answered 503 at once")

	mu.Lock()
	defer mu.Unlock()
	var answered []int64
	closed, afterSignal := 0, 0
	for _, o := range outcomes {
		require.NoError(t, o.err, "a %s request failed (written: %v)", o.kind, o.wrote)
		require.Equal(t, http.StatusOK, o.status, o.kind)
		if o.afterSignal && o.status == http.StatusOK {
			afterSignal++
		}
		if o.closeAfter {
			closed++
		}
		if o.kind == "callback" && o.status == http.StatusOK {
			require.Equal(t, answer, o.answeredText)
			answered = append(answered, o.msgID)
		}
	}
	kinds := map[string]int{}
	for _, o := range outcomes {
		if o.afterSignal {
			kinds[o.kind]++
		}
	}
	t.Logf("after the signal: %v", kinds)
	require.Greater(t, afterSignal, 20, "requests were still served after the signal")
	require.Greater(t, closed, 0, "answers during the drain carry Connection: close")
	t.Logf("%d requests, %d served after SIGTERM, %d with Connection: close; /readyz 503 after %s",
		len(outcomes), afterSignal, closed, unready.Round(time.Millisecond))

	rows, distinct, err := countMessages(openDB(t, dbURL), answered)
	require.NoError(t, err)
	require.Equal(t, int64(len(answered)), rows, "records of the %d messages answered", len(answered))
	require.Equal(t, rows, distinct)
}

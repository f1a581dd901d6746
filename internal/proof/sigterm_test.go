package proof

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// attempt is one request of the SIGTERM load, with the moments that decide what it may expect.
type attempt struct {
	kind   string // "api" or "callback"
	start  time.Time
	wrote  atomic.Int64 // unix nanoseconds at which the request was written; 0 if never
	end    time.Time
	status int
	text   string
	msgID  int64
	err    error
}

func (a *attempt) wroteAt() time.Time {
	if n := a.wrote.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// TestSIGTERMUnderLoad sends SIGTERM to a console process under API and callback load: the requests in
// flight complete with 200, new connections are refused, and the process exits 0 within 10 s, saying so.
func TestSIGTERMUnderLoad(t *testing.T) {
	skipShort(t)
	dbURL := dbtest.NewURL(t)
	w := newWorld(t)
	p := startConsole(t, "console", w.env(dbURL))
	c := newClient(t)
	op := registerOperator(t, c, w.mail, p.url, p.url, p.url)
	acct := w.emu.NewAccount("停机公众号 Shutdown")
	bindAccount(t, c, p.url, op, acct)
	const keyword, answer = "bye", "再见"
	addTextRule(t, c, p.url, op, keyword, answer)
	require.Equal(t, answer, mustSignText(t, acct, "oShutdownWarmup", keyword).mustSend(t, c.hc, p.url).text())
	c.mustOK(p.url, "/apis/wxplatform/getGroups", op.token, nil) // the access_token is fetched already
	// Every group list now waits half a second for WeChat: such requests are in flight when the signal comes.
	w.emu.SetFault(groupsPath, wxemu.Fault{Delay: 500 * time.Millisecond})

	var (
		mu       sync.Mutex
		attempts []*attempt
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopLoad()
	// A new connection per request: each request's fate (answered, refused) is its own.
	load := &client{t: t, hc: noKeepAlive(15 * time.Second)}
	worker := func(kind string, pause time.Duration, send func(ctx context.Context, a *attempt)) {
		for n := 0; n < 400; n++ {
			select {
			case <-stop:
				return
			default:
			}
			a := &attempt{kind: kind, start: time.Now()}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
				a.wrote.Store(time.Now().UnixNano())
			}})
			send(ctx, a)
			cancel()
			a.end = time.Now()
			mu.Lock()
			attempts = append(attempts, a)
			mu.Unlock()
			if a.err != nil && p.exited() {
				return
			}
			time.Sleep(pause)
		}
	}
	for i := range 6 {
		wg.Go(func() {
			// Staggered, so that some call has most of its half second still to go at the signal.
			time.Sleep(time.Duration(i) * 85 * time.Millisecond)
			worker("api", 10*time.Millisecond, func(ctx context.Context, a *attempt) {
				r, err := load.call(ctx, p.url, "/apis/wxplatform/getGroups", op.token, nil)
				a.status, a.err = r.status, err
			})
		})
	}
	for i := range 2 {
		wg.Go(func() {
			n := 0
			worker("callback", 20*time.Millisecond, func(ctx context.Context, a *attempt) {
				n++
				a.msgID = nextMsgID()
				m, err := signText(acct, fmt.Sprintf("oShutdown%02d%08d", i, n), keyword, a.msgID)
				if err == nil {
					var ans callbackAnswer
					ans, err = m.send(ctx, load.hc, p.url)
					a.status, a.text = ans.status, ans.text()
				}
				a.err = err
			})
		})
	}

	time.Sleep(1500 * time.Millisecond)
	sig := time.Now()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	// New connections are refused while the requests in flight finish.
	var refusedAt time.Time
	aliveWhenRefused := false
	for i := 0; i < 500 && time.Since(sig) < 3*time.Second; i++ {
		conn, err := net.DialTimeout("tcp", p.addr, 500*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			time.Sleep(2 * time.Millisecond)
			continue
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			refusedAt, aliveWhenRefused = time.Now(), !p.exited()
			break
		}
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("the process did not exit within 15 s of SIGTERM")
	}
	stopLoad()

	took := p.exitedAt.Sub(sig)
	require.Less(t, took, 10*time.Second, "exit after SIGTERM")
	require.Equal(t, 0, p.exitCode(), "exit status (%v)", p.waitErr)
	log := p.log()
	require.Contains(t, log, "shutting down: finishing requests in flight")
	require.Contains(t, log, "msg=stopped", "the log says the process stopped")
	require.False(t, refusedAt.IsZero(), "no connection was refused after SIGTERM")
	require.True(t, aliveWhenRefused, "connections were refused only once the process was gone")

	// A request written this long before the signal was accepted by the server before it stopped listening.
	const guard = 20 * time.Millisecond
	mu.Lock()
	defer mu.Unlock()
	inFlight := map[string]int{}
	var longest time.Duration // how long the process kept serving a request in flight after the signal
	var answered []int64
	for _, a := range attempts {
		wrote := a.wroteAt()
		desc := fmt.Sprintf("%s request started %s after SIGTERM, written %s after",
			a.kind, a.start.Sub(sig).Round(time.Millisecond), wrote.Sub(sig).Round(time.Millisecond))
		if a.status != 0 {
			require.Equal(t, http.StatusOK, a.status, "%s: every answer is a success", desc)
		}
		if !wrote.IsZero() && wrote.Before(sig.Add(-guard)) {
			require.NoError(t, a.err, "%s: in flight when the signal came", desc)
			require.Equal(t, http.StatusOK, a.status, "%s: in flight when the signal came", desc)
			if a.end.After(sig) {
				inFlight[a.kind]++
				longest = max(longest, a.end.Sub(sig))
			}
		}
		if a.start.After(refusedAt) {
			require.Error(t, a.err, "%s: a new connection after the listener closed", desc)
		}
		if a.kind == "callback" && a.status == http.StatusOK {
			require.Equal(t, answer, a.text, desc)
			answered = append(answered, a.msgID)
		}
	}
	require.GreaterOrEqual(t, inFlight["api"], 3, "slow API calls in flight when the signal came")
	require.Greater(t, longest, 200*time.Millisecond, "the process served a slow call well after the signal")
	t.Logf("%d requests; in flight at SIGTERM and completed: %v, the last %s after it; listener closed %s after SIGTERM; exit 0 after %s",
		len(attempts), inFlight, longest.Round(time.Millisecond), refusedAt.Sub(sig).Round(time.Millisecond), took.Round(time.Millisecond))

	// Every message the process answered was stored before it exited.
	rows, distinct, err := countMessages(openDB(t, dbURL), answered)
	require.NoError(t, err)
	require.Equal(t, int64(len(answered)), rows, "records of the %d messages answered", len(answered))
	require.Equal(t, rows, distinct)
}

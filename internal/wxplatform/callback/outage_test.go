package callback_test

import (
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// pgProxy stands between a pool and Postgres so a test can take the database away: down closes every
// connection and refuses new ones at once; stall keeps accepting but forwards nothing (a hung server).
type pgProxy struct {
	ln     net.Listener
	target string
	mode   atomic.Int32 // proxyUp, proxyDown, proxyStall

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

const (
	proxyUp int32 = iota
	proxyDown
	proxyStall
)

func newPGProxy(t testing.TB, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &pgProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.set(proxyDown) })
	return p
}

func (p *pgProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		switch p.mode.Load() {
		case proxyDown:
			c.Close()
			continue
		case proxyStall:
			p.track(c)
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.track(c)
		p.track(up)
		go func() { _, _ = io.Copy(up, c); up.Close(); c.Close() }()
		go func() { _, _ = io.Copy(c, up); up.Close(); c.Close() }()
	}
}

func (p *pgProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
}

// set switches the mode and cuts every open connection, as a server that goes away, hangs or restarts
// does. Connections accepted while stalled hang until then.
func (p *pgProxy) set(mode int32) {
	p.mode.Store(mode)
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// proxiedEnv is a console process whose every database access goes through a pgProxy, and a direct pool
// to look at the database behind its back.
func proxiedEnv(t *testing.T, opts callback.Options) (*env, *pgProxy, func() int64) {
	t.Helper()
	direct, dsn := dbtest.NewWithURL(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	p := newPGProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	e := newEnv(t, envOptions{gdb: openDB(t, u.String()), url: u.String(), opts: opts})
	count := func() int64 {
		var n int64
		require.NoError(t, direct.Raw(`SELECT count(*) FROM wx_messages`).Scan(&n).Error)
		return n
	}
	return e, p, count
}

func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	e, proxy, count := proxiedEnv(t, callback.Options{})
	a := newAccount(t)
	acct := e.bind(a)
	e.rule(acct.ID, "hi", "text", map[string]string{"content": "still here"})
	send := func(m *wxcrypto.Message) answer {
		t.Helper()
		q, body := signed(t, a, m, wxemu.ModeSafe, e.clock.Now().Unix())
		ans := post(t, e.callbackURL(a.AppID), q, body)
		require.Equal(t, 200, ans.status, string(ans.body))
		require.Less(t, ans.took, 2*time.Second)
		return ans
	}
	// Warm: the account and the rules are in memory now.
	send(textMsg(a, "oWarm", "hi", e.clock.Now().Unix()))
	require.EqualValues(t, 1, count())

	proxy.set(proxyDown)
	var msgs []*wxcrypto.Message
	for i := range 40 {
		m := textMsg(a, "oDown", "hi", e.clock.Now().Unix())
		msgs = append(msgs, m)
		r, err := wxcrypto.ParseReply(openAnswer(t, a, send(m).body))
		require.NoError(t, err)
		require.Equal(t, "still here", r.Content, "message %d", i)
		if i == 20 {
			// Past the accounts cache's TTL: the account is served stale.
			time.Sleep(3100 * time.Millisecond)
		}
	}
	h := e.handler.Health()
	require.Equal(t, 40, e.handler.QueueLen())
	require.True(t, h.Degraded)
	require.NotEmpty(t, h.LastError)
	require.Error(t, h.Err())

	// Retries while down get the first answer and are not queued twice.
	first := openAnswer(t, a, send(msgs[0]).body)
	again := openAnswer(t, a, send(msgs[0]).body)
	require.Equal(t, string(first), string(again))
	require.Equal(t, 40, e.handler.QueueLen())

	proxy.set(proxyUp)
	require.Eventually(t, func() bool { return e.handler.QueueLen() == 0 }, 15*time.Second, 50*time.Millisecond)
	require.EqualValues(t, 41, count())
	h = e.handler.Health()
	require.False(t, h.Degraded)
	require.NoError(t, h.Err())
	require.Empty(t, h.LastError)
	require.Zero(t, h.Dropped)

	// Back to normal: stored directly again, and a retry of a message stored late gets its answer.
	send(textMsg(a, "oBack", "hi", e.clock.Now().Unix()))
	require.Zero(t, e.handler.QueueLen())
	require.EqualValues(t, 42, count())
}

func TestDatabaseHangs(t *testing.T) {
	t.Parallel()
	e, proxy, count := proxiedEnv(t, callback.Options{})
	a := newAccount(t)
	acct := e.bind(a)
	e.rule(acct.ID, "hi", "text", map[string]string{"content": "patient"})
	q, body := signed(t, a, textMsg(a, "oWarm", "hi", e.clock.Now().Unix()), wxemu.ModeSafe, e.clock.Now().Unix())
	require.Equal(t, 200, post(t, e.callbackURL(a.AppID), q, body).status)

	proxy.set(proxyStall)
	// Let the accounts cache expire too, so the lookup itself has to give up on Postgres.
	time.Sleep(3100 * time.Millisecond)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q, body := signed(t, a, textMsg(a, "oHang", "hi", e.clock.Now().Unix()), wxemu.ModeSafe, e.clock.Now().Unix())
			ans := post(t, e.callbackURL(a.AppID), q, body)
			require.Equal(t, 200, ans.status)
			require.Less(t, ans.took, 2*time.Second, "message %d", i)
			require.Contains(t, string(openAnswer(t, a, ans.body)), "patient")
		}()
	}
	wg.Wait()
	// Answered already; the records reach the queue as their INSERTs give up.
	require.Eventually(t, func() bool { return e.handler.QueueLen() == 10 }, 3*time.Second, 10*time.Millisecond)

	proxy.set(proxyUp)
	require.Eventually(t, func() bool { return e.handler.QueueLen() == 0 }, 20*time.Second, 50*time.Millisecond)
	require.EqualValues(t, 11, count())
}

func TestQueueIsBounded(t *testing.T) {
	t.Parallel()
	e, proxy, count := proxiedEnv(t, callback.Options{QueueSize: 5})
	a := newAccount(t)
	e.bind(a)
	q, body := signed(t, a, textMsg(a, "oWarm", "hi", e.clock.Now().Unix()), wxemu.ModeSafe, e.clock.Now().Unix())
	require.Equal(t, 200, post(t, e.callbackURL(a.AppID), q, body).status)

	proxy.set(proxyDown)
	for range 8 {
		q, body := signed(t, a, textMsg(a, "oDown", "hi", e.clock.Now().Unix()), wxemu.ModeSafe, e.clock.Now().Unix())
		ans := post(t, e.callbackURL(a.AppID), q, body)
		require.Equal(t, 200, ans.status)
		require.Equal(t, "success", string(ans.body))
	}
	require.LessOrEqual(t, e.handler.QueueLen(), 5+1) // a batch in the writer's hands may count once more
	require.GreaterOrEqual(t, e.handler.Health().Dropped, uint64(2))
	proxy.set(proxyUp)
	require.Eventually(t, func() bool { return e.handler.QueueLen() == 0 }, 15*time.Second, 50*time.Millisecond)
	require.EqualValues(t, 1+8-int64(e.handler.Health().Dropped), count())
}

// A callback for an account the process never loaded, while Postgres is down, answers 503 (WeChat retries)
// rather than a 5xx of our own making or a false "success".
func TestUnknownAccountWhileDatabaseDown(t *testing.T) {
	t.Parallel()
	e, proxy, _ := proxiedEnv(t, callback.Options{})
	a := newAccount(t)
	e.bind(a)
	other := newAccount(t)
	proxy.set(proxyDown)
	q, body := signed(t, other, textMsg(other, "o", "hi", e.clock.Now().Unix()), wxemu.ModePlain, e.clock.Now().Unix())
	ans := post(t, e.callbackURL(other.AppID), q, body)
	require.Equal(t, 503, ans.status)
	require.Less(t, ans.took, 2*time.Second)
}

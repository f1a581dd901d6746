package callback_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

func TestRetryGetsTheFirstAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := newAccount(t)
	acct := e.bind(a)
	e.rule(acct.ID, "hi", "text", map[string]string{"content": "first"})
	// Plaintext mode is an account's without a key.
	keyless := newAccount(t)
	keyless.EncodingAESKey = ""
	plainAcct := e.bind(keyless)
	e.rule(plainAcct.ID, "hi", "text", map[string]string{"content": "first"})
	now := e.clock.Now()
	for _, mode := range []string{wxemu.ModeSafe, wxemu.ModePlain, wxemu.ModeCompat} {
		a := a
		if mode == wxemu.ModePlain {
			a = keyless
		}
		m := *textMsg(a, "oRetry", "hi", now.Unix())
		q, body := signed(t, a, &m, mode, now.Unix())
		first := openAnswer(t, a, post(t, e.callbackURL(a.AppID), q, body).body)
		require.Contains(t, string(first), "first")

		// The clock moves: a retry 4 minutes later still gets the first answer, CreateTime included.
		e.clock.Set(now.Add(4 * time.Minute))
		q, body = signed(t, a, &m, mode, now.Add(4*time.Minute).Unix())
		again := openAnswer(t, a, post(t, e.callbackURL(a.AppID), q, body).body)
		require.Equal(t, string(first), string(again), mode)
		e.clock.Set(now)
	}
	require.EqualValues(t, 2, e.count(acct.ID))
	require.EqualValues(t, 1, e.count(plainAcct.ID))

	// Events are deduplicated by sender, CreateTime and event.
	ev := &wxcrypto.Message{ToUserName: a.OriginalID, FromUserName: "oEvent", CreateTime: now.Unix(), MsgType: "event", Event: "CLICK", EventKey: "hi"}
	for range 3 {
		q, body := signed(t, a, ev, wxemu.ModeSafe, now.Unix())
		ans := post(t, e.callbackURL(a.AppID), q, body)
		require.Equal(t, 200, ans.status)
		require.Contains(t, string(openAnswer(t, a, ans.body)), "first")
	}
	require.EqualValues(t, 3, e.count(acct.ID))
	// Another event at the same second is another row.
	ev2 := *ev
	ev2.Event, ev2.EventKey = "VIEW", "https://example.com"
	q, body := signed(t, a, &ev2, wxemu.ModeSafe, now.Unix())
	require.Equal(t, 200, post(t, e.callbackURL(a.AppID), q, body).status)
	require.EqualValues(t, 4, e.count(acct.ID))
}

// Three deliveries of one message at once, to one process, then to three processes on separate pools:
// one row, one answer.
func TestConcurrentRetries(t *testing.T) {
	t.Parallel()
	first := newEnv(t, envOptions{})
	a := newAccount(t)
	acct := first.bind(a)
	first.rule(acct.ID, "hi", "text", map[string]string{"content": "only answer"})
	envs := []*env{first}
	for i := 1; i < 3; i++ {
		gdb := openDB(t, first.url)
		e := newEnv(t, envOptions{gdb: gdb, url: first.url})
		// Each process stamps replies with its own clock: only a stored answer can make them equal.
		e.clock.Set(first.clock.Now().Add(time.Duration(i) * 2 * time.Second))
		envs = append(envs, e)
	}

	deliver := func(targets []*env, msg *wxcrypto.Message) []string {
		var wg sync.WaitGroup
		out := make([]string, len(targets))
		start := make(chan struct{})
		for i, e := range targets {
			q, body := signed(t, a, msg, wxemu.ModeSafe, e.clock.Now().Unix())
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ans := post(t, e.callbackURL(a.AppID), q, body)
				if ans.status == 200 {
					out[i] = string(openAnswer(t, a, ans.body))
				}
			}()
		}
		close(start)
		wg.Wait()
		return out
	}

	for round := range 20 {
		msg := textMsg(a, "oConcurrent", "hi", first.clock.Now().Unix())
		same := deliver([]*env{first, first, first}, msg)
		require.NotEmpty(t, same[0])
		require.Equal(t, same[0], same[1], "round %d", round)
		require.Equal(t, same[0], same[2], "round %d", round)

		msg = textMsg(a, "oConcurrent", "hi", first.clock.Now().Unix())
		across := deliver(envs, msg)
		require.NotEmpty(t, across[0])
		require.Equal(t, across[0], across[1], "round %d", round)
		require.Equal(t, across[0], across[2], "round %d", round)

		// And an event, deduplicated by sender and time.
		ev := &wxcrypto.Message{ToUserName: a.OriginalID, FromUserName: "oEv", CreateTime: first.clock.Now().Unix() + int64(round),
			MsgType: "event", Event: "subscribe"}
		deliver(envs, ev)
	}
	require.EqualValues(t, 60, first.count(acct.ID))

	// Every subscribe was observed exactly once, by whichever process stored it.
	require.Eventually(t, func() bool {
		n := 0
		for _, e := range envs {
			n += len(e.observed.list())
		}
		return n == 20
	}, 5*time.Second, 20*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	n := 0
	for _, e := range envs {
		n += len(e.observed.list())
	}
	require.Equal(t, 20, n)
}

func TestEventsAreRecordedAndObserved(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	emu := wxemu.New(wxemu.Options{DemoFollowers: -1})
	a := emu.NewAccount("事件")
	acct := e.bind(a)
	emu.SetCallback(a.AppID, e.callbackURL(a.AppID), wxemu.ModeSafe)
	ctx := context.Background()
	now := e.clock.Now().Unix()

	sends := []*wxcrypto.Message{
		{FromUserName: "oNew", MsgType: "event", Event: "subscribe", EventKey: "qrscene_123", Ticket: "TICKET_A", CreateTime: now},
		{FromUserName: "oOld", MsgType: "event", Event: "SCAN", EventKey: "123", Ticket: "TICKET_A", CreateTime: now},
		{FromUserName: "oOld", MsgType: "event", Event: "unsubscribe", CreateTime: now + 1},
		{FromUserName: "oOld", MsgType: "event", Event: "LOCATION", Latitude: 23.1, Longitude: 113.3, Precision: 50, CreateTime: now + 2},
	}
	for _, m := range sends {
		d, err := emu.Deliver(ctx, a.AppID, m)
		require.NoError(t, err)
		require.Equal(t, 200, d.Status)
		// A retry is neither stored nor observed again.
		d, err = emu.Deliver(ctx, a.AppID, m)
		require.NoError(t, err)
		require.Equal(t, 200, d.Status)
	}
	require.Eventually(t, func() bool { return len(e.observed.list()) == 3 }, 3*time.Second, 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	got := e.observed.list()
	require.Len(t, got, 3, "LOCATION is not observed, retries are not observed twice")
	require.Equal(t, "subscribe", got[0].msg.Event)
	require.Equal(t, "qrscene_123", got[0].msg.EventKey)
	require.Equal(t, "TICKET_A", got[0].msg.Ticket)
	require.Equal(t, acct.ID, got[0].accountID)
	require.Equal(t, "SCAN", got[1].msg.Event)
	require.Equal(t, "unsubscribe", got[2].msg.Event)

	type row struct {
		Event, EventKey, Ticket, FromUser string
		MsgID                             *int64
	}
	var rows []row
	require.NoError(t, e.gdb.Raw(`SELECT event, event_key, ticket, from_user, msg_id FROM wx_messages
		WHERE account_id = ? ORDER BY id`, acct.ID).Scan(&rows).Error)
	require.Len(t, rows, 4)
	require.Equal(t, row{"subscribe", "qrscene_123", "TICKET_A", "oNew", nil}, rows[0])
	require.Equal(t, row{"SCAN", "123", "TICKET_A", "oOld", nil}, rows[1])

	// What the QR statistics will count, through the index.
	var scans, subscribes int64
	require.NoError(t, e.gdb.Raw(`SELECT count(*) FILTER (WHERE event = 'SCAN'), count(*) FILTER (WHERE event = 'subscribe')
		FROM wx_messages WHERE account_id = ? AND ticket = 'TICKET_A'`, acct.ID).Row().Scan(&scans, &subscribes))
	require.Equal(t, [2]int64{1, 1}, [2]int64{scans, subscribes})
}

// An observer that blocks never delays the answer.
func TestSlowObserverDoesNotDelayAnswers(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	e := newEnv(t, envOptions{opts: callback.Options{Observer: blockingObserver(block), ObserverQueue: 2}})
	t.Cleanup(func() { close(block) })
	a := newAccount(t)
	e.bind(a)
	now := e.clock.Now().Unix()
	for i := range 10 {
		ev := &wxcrypto.Message{ToUserName: a.OriginalID, FromUserName: "oSub", CreateTime: now + int64(i), MsgType: "event", Event: "subscribe"}
		q, body := signed(t, a, ev, wxemu.ModeSafe, now)
		ans := post(t, e.callbackURL(a.AppID), q, body)
		require.Equal(t, 200, ans.status)
		require.Less(t, ans.took, 500*time.Millisecond)
	}
	require.Positive(t, e.handler.Health().EventsDropped)
}

type blockingObserver chan struct{}

func (b blockingObserver) OnEvent(ctx context.Context, _ int64, _ *wxcrypto.Message) {
	select {
	case <-b:
	case <-ctx.Done():
	}
}

// Without Start, each message is stored by its own INSERT on the request's goroutine.
func TestWithoutStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	a := newAccount(t)
	acct := e.bind(a)
	e.rule(acct.ID, "hi", "text", map[string]string{"content": "sync"})
	h := callback.New(callback.Options{DB: e.gdb, Accounts: e.accounts, Replies: e.replies, Logger: quietLogger()})
	eng := gin.New()
	h.Routes(eng)
	srv := httptest.NewServer(eng)
	t.Cleanup(srv.Close)
	msg := textMsg(a, "oSync", "hi", time.Now().Unix())
	for range 2 {
		q, body := signed(t, a, msg, wxemu.ModeSafe, time.Now().Unix())
		ans := post(t, srv.URL+"/wxplatform/callback/"+a.AppID, q, body)
		require.Equal(t, 200, ans.status)
		require.Contains(t, string(openAnswer(t, a, ans.body)), "sync")
	}
	require.EqualValues(t, 1, e.count(acct.ID))
	h.Close()
}

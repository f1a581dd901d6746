package proof

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// TestThreeProcessesActAsOne starts three console processes on one database, with one WeChat emulator and
// one SMTP server, and shows that WeChat, the followers and the operators see one console (contract §4, §5,
// §3).
func TestThreeProcessesActAsOne(t *testing.T) {
	skipShort(t)
	dbURL := dbtest.NewURL(t)
	w := newWorld(t)
	procs := startConsoles(t, []string{"p1", "p2", "p3"}, w.env(dbURL))
	p1, p2, p3 := procs[0], procs[1], procs[2]
	c := newClient(t)

	// An operator registers on process 1, follows the mailed link on process 2 and logs in on process 3.
	op := registerOperator(t, c, w.mail, p1.url, p2.url, p3.url)
	acct := w.emu.NewAccount("多进程公众号 Proof")
	w.emu.AddFollowers(acct.AppID, 20)
	bindAccount(t, c, p1.url, op, acct)
	// WeChat's server URL is process 2: the admin's echostr check and a follower's message reach it.
	w.emu.SetCallback(acct.AppID, p2.url+"/wxplatform/callback/"+acct.AppID, wxemu.ModeSafe)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, w.emu.VerifyCallback(ctx, acct.AppID))
	d, err := w.emu.SendText(ctx, acct.AppID, "", "你好")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	follower := d.Message.FromUserName

	t.Run("one token refresh among the processes", func(t *testing.T) {
		// Every process holds the current token in memory before WeChat rejects it.
		for _, p := range procs {
			c.mustOK(p.url, "/apis/wxplatform/getGroups", op.token, nil)
		}
		before := w.emu.TokenRequests(acct.AppID)
		w.emu.InvalidateTokens(acct.AppID)

		const calls = 60
		results, errs := parallel(calls, func(ctx context.Context, i int) (response, error) {
			return c.call(ctx, procs[i%len(procs)].url, "/apis/wxplatform/getGroups", op.token, nil)
		})
		for i := range calls {
			require.NoError(t, errs[i], "call %d on %s", i, procs[i%len(procs)].name)
			require.Equal(t, http.StatusOK, results[i].status, "call %d on %s: %s", i, procs[i%len(procs)].name, results[i])
			require.Contains(t, results[i].obj, "groups", "call %d: %s", i, results[i])
		}
		require.Equal(t, before+1, w.emu.TokenRequests(acct.AppID),
			"60 calls on 3 processes after WeChat rejected the token: exactly one new token")
	})

	keyword := "rule" + randDigits(6)
	answer := "进程1加的规则 " + keyword
	t.Run("a rule added on one process answers on another within 1 s", func(t *testing.T) {
		// Process 3 has the account's rules in memory, without this one.
		require.Equal(t, "success", mustSignText(t, acct, follower, keyword).mustSend(t, c.hc, p3.url).text())

		addTextRule(t, c, p1.url, op, keyword, answer)
		added := time.Now()
		var got string
		var took time.Duration
		for i := 0; i < 200 && time.Since(added) < 3*time.Second; i++ {
			ans := mustSignText(t, acct, follower, keyword).mustSend(t, c.hc, p3.url)
			require.Equal(t, http.StatusOK, ans.status, "%s", ans.raw)
			if got = ans.text(); got == answer {
				took = time.Since(added)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		require.Equal(t, answer, got, "process 3 never answered with the rule process 1 added")
		require.Less(t, took, time.Second, "process 3 answered the new rule only after %s", took)
		t.Logf("process 3 answered with the rule %s after process 1 added it", took.Round(time.Millisecond))

		// The same through WeChat's side: the emulator delivering to process 3.
		w.emu.SetCallback(acct.AppID, p3.url+"/wxplatform/callback/"+acct.AppID, wxemu.ModeSafe)
		d, err := w.emu.SendText(ctx, acct.AppID, follower, keyword)
		require.NoError(t, err)
		require.NotNil(t, d.Reply, "%s", d.Body)
		require.Equal(t, answer, d.Reply.Content)
		w.emu.SetCallback(acct.AppID, p2.url+"/wxplatform/callback/"+acct.AppID, wxemu.ModeSafe)
	})

	t.Run("one record for a message delivered to all three", func(t *testing.T) {
		gdb := openDB(t, dbURL)
		for round := range 5 {
			m := mustSignText(t, acct, follower, keyword)
			answers, errs := parallel(len(procs), func(ctx context.Context, i int) (callbackAnswer, error) {
				return m.send(ctx, c.hc, procs[i].url)
			})
			for i, p := range procs {
				require.NoError(t, errs[i], "round %d, %s", round, p.name)
				require.Equal(t, http.StatusOK, answers[i].status, "round %d, %s: %s", round, p.name, answers[i].raw)
				require.Equal(t, answer, answers[i].text(), "round %d, %s: the same reply everywhere", round, p.name)
			}
			require.Equal(t, 1, eventuallyOneRecord(t, gdb, m.msgID), "round %d: MsgId %d", round, m.msgID)
		}
	})

	t.Run("login throttling counts failures on every process", func(t *testing.T) {
		// Each attempt comes from its own client address, so only the username's count can stop the 11th.
		for i := range 10 {
			p := procs[i%len(procs)]
			r := loginFrom(t, fmt.Sprintf("127.0.0.%d", 10+i), p.url, op.username, "wrong password "+strconv.Itoa(i))
			require.Equal(t, http.StatusUnauthorized, r.status, "failure %d on %s: %s", i+1, p.name, r)
			require.EqualValues(t, 40101, r.errcode(), "failure %d on %s: %s", i+1, p.name, r)
		}
		for i, p := range procs {
			// Even the right password: the 11th attempt within the window is refused.
			r := loginFrom(t, fmt.Sprintf("127.0.0.%d", 30+i), p.url, op.username, op.password)
			require.Equal(t, http.StatusTooManyRequests, r.status, "11th attempt on %s: %s", p.name, r)
			require.EqualValues(t, 42900, r.errcode(), "%s", r)
			secs, err := strconv.Atoi(r.header.Get("Retry-After"))
			require.NoError(t, err, "Retry-After %q", r.header.Get("Retry-After"))
			require.True(t, secs >= 1 && secs <= 15*60, "Retry-After %d s", secs)
		}
		// Another operator's name is not throttled.
		r := loginFrom(t, "127.0.0.40", p2.url, "someone-else", "wrong password")
		require.Equal(t, http.StatusUnauthorized, r.status, "%s", r)

		// Guesses arriving all at once on the three processes: at most 10 are judged, the rest are 429.
		const guesses = 30
		name := "target" + randDigits(6)
		rs, errs := parallel(guesses, func(ctx context.Context, i int) (response, error) {
			cl := &client{t: t, hc: fromAddress(fmt.Sprintf("127.0.1.%d", i+1))}
			return cl.call(ctx, procs[i%len(procs)].url, "/apis/user/login", "", map[string]string{"username": name,
				"password": "guess " + strconv.Itoa(i)})
		})
		judged := 0
		for i := range rs {
			require.NoError(t, errs[i])
			switch rs[i].status {
			case http.StatusUnauthorized:
				judged++
			case http.StatusTooManyRequests:
			default:
				t.Fatalf("guess %d: %s", i, rs[i])
			}
		}
		require.LessOrEqual(t, judged, 10, "wrong passwords judged among %d concurrent guesses", guesses)
		t.Logf("%d concurrent guesses on three processes: %d judged, %d refused with 429", guesses, judged, guesses-judged)
	})
}

// loginFrom logs in through base from the loopback address ip.
func loginFrom(t testing.TB, ip, base, username, password string) response {
	t.Helper()
	cl := &client{t: t, hc: fromAddress(ip)}
	return cl.mustCall(base, "/apis/user/login", "", map[string]string{"username": username, "password": password})
}

// eventuallyOneRecord waits up to 5 s for the message's record, then gives a late second writer 300 ms to
// show up; it answers how many records the MsgId has.
func eventuallyOneRecord(t testing.TB, gdb *gorm.DB, msgID int64) int {
	t.Helper()
	count := func() int64 {
		rows, _, err := countMessages(gdb, []int64{msgID})
		require.NoError(t, err)
		return rows
	}
	rows := count()
	for i := 0; i < 100 && rows == 0; i++ {
		time.Sleep(50 * time.Millisecond)
		rows = count()
	}
	if rows == 1 {
		time.Sleep(300 * time.Millisecond)
		rows = count()
	}
	return int(rows)
}

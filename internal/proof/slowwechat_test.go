package proof

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// groupsPath is the WeChat call behind /apis/wxplatform/getGroups, on every call (no cache).
const groupsPath = "/cgi-bin/tags/get"

// TestWeChatSlowOrBusy makes WeChat slow, then busy, for a console in this process: a slow WeChat is a
// 50400 after WECHAT_TIMEOUT, a busy one is asked three times and then reported as 50200 with its -1, and
// neither leaves goroutines behind.
func TestWeChatSlowOrBusy(t *testing.T) {
	skipShort(t)
	emu := wxemu.New(wxemu.Options{AutoConsent: true})
	wx := httptest.NewServer(emu.Handler())
	t.Cleanup(wx.Close)
	con := apptest.Start(t, apptest.Options{NoSandbox: true, Env: map[string]string{
		"WECHAT_API_BASE": wx.URL, "WECHAT_OPEN_BASE": wx.URL, "WECHAT_MP_BASE": wx.URL,
		"WECHAT_TIMEOUT": "1s",
	}})
	c := newClient(t)
	op := registerOperator(t, c, con.Mail, con.URL, con.URL, con.URL)
	acct := emu.NewAccount("慢公众号 Slow")
	bindAccount(t, c, con.URL, op, acct)
	const concurrent = 8
	groups := func() ([]response, []error) {
		return parallel(concurrent, func(ctx context.Context, _ int) (response, error) {
			return c.call(ctx, con.URL, "/apis/wxplatform/getGroups", op.token, nil)
		})
	}
	// The same concurrency once without faults, so that the connection pools are as big before as after.
	rs, errs := groups()
	for i := range rs {
		require.NoError(t, errs[i])
		require.Equal(t, http.StatusOK, rs[i].status, "%s", rs[i])
	}
	settle := func() int {
		c.hc.CloseIdleConnections()
		wx.CloseClientConnections() // the console's idle connections to WeChat end too
		time.Sleep(100 * time.Millisecond)
		return runtime.NumGoroutine()
	}
	baseline := settle()
	for range 5 { // the lowest of a few looks: a worker may be between two ticks
		baseline = min(baseline, settle())
	}

	t.Run("slow WeChat is 50400 after WECHAT_TIMEOUT", func(t *testing.T) {
		emu.SetFault(groupsPath, wxemu.Fault{Delay: 3 * time.Second})
		defer emu.ClearFaults()
		before := requestsTo(emu, groupsPath)
		start := time.Now()
		rs, errs := groups()
		took := time.Since(start)
		for i := range rs {
			require.NoError(t, errs[i])
			require.Equal(t, http.StatusGatewayTimeout, rs[i].status, "%s", rs[i])
			require.EqualValues(t, 50400, rs[i].errcode(), "%s", rs[i])
		}
		require.Less(t, took, 2900*time.Millisecond, "the console gives up after WECHAT_TIMEOUT (1 s), before WeChat's 3 s delay ends")
		t.Logf("%d concurrent calls answered 50400 in %s; WeChat saw %d requests", concurrent,
			took.Round(time.Millisecond), requestsTo(emu, groupsPath)-before)
	})

	t.Run("busy WeChat is asked three times, then 50200 with its -1", func(t *testing.T) {
		emu.SetFault(groupsPath, wxemu.Fault{Errcode: -1})
		defer emu.ClearFaults()
		before := requestsTo(emu, groupsPath)
		start := time.Now()
		r := c.mustCall(con.URL, "/apis/wxplatform/getGroups", op.token, nil)
		took := time.Since(start)
		require.Equal(t, http.StatusBadGateway, r.status, "%s", r)
		require.EqualValues(t, 50200, r.errcode(), "%s", r)
		require.EqualValues(t, -1, r.obj["wxErrcode"], "%s", r)
		require.NotEmpty(t, r.obj["wxErrmsg"], "%s", r)
		require.Equal(t, 3, requestsTo(emu, groupsPath)-before, "one call and two retries, no more")
		t.Logf("50200 after three tries in %s", took.Round(time.Millisecond))

		// Busy under concurrency too: every call is bounded the same way.
		before = requestsTo(emu, groupsPath)
		rs, errs := groups()
		for i := range rs {
			require.NoError(t, errs[i])
			require.Equal(t, http.StatusBadGateway, rs[i].status, "%s", rs[i])
		}
		require.Equal(t, 3*concurrent, requestsTo(emu, groupsPath)-before)
	})

	// WeChat is well again, and so is the console.
	c.mustOK(con.URL, "/apis/wxplatform/getGroups", op.token, nil)

	const slack = 3
	now := settle()
	for i := 0; i < 50 && now > baseline+slack; i++ {
		now = settle()
	}
	if now > baseline+slack {
		var buf bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
		t.Fatalf("goroutines: %d before the faults, %d 5 s after them\n%s", baseline, now, buf.String())
	}
	t.Logf("goroutines: %d before the faults, %d after", baseline, now)
}

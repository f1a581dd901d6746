package broadcasts_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/broadcasts"
	"github.com/socialinzen/socialinzen/internal/jobs/jobstest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// rssMB reads this process's resident set size.
func rssMB(tb testing.TB) float64 {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(tb, err)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, err := strconv.ParseFloat(strings.Fields(line)[1], 64)
			require.NoError(tb, err)
			return kb / 1024
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// BenchmarkTemplateBroadcast100k sends one template broadcast to 100,000 followers of the mirror through
// the job queue to the emulator over HTTP, at BENCH_TEMPLATE_RATE per second (default 50, WeChat's pace:
// 33 minutes; docs/BENCHMARKS.md ran it faster). It reports recipients/s and the RSS growth of the
// process (console side and emulator together), which must stay under 50 MB.
func BenchmarkTemplateBroadcast100k(b *testing.B) {
	n := 100000
	if s := os.Getenv("BENCH_FOLLOWERS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	rate := 50
	if s := os.Getenv("BENCH_TEMPLATE_RATE"); s != "" {
		rate, _ = strconv.Atoi(s)
	}
	env := wxtest.New(b, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1, JobFinishDelay: -1, MaxRequests: 1}})
	op := env.Operator("op")
	a := env.Emu.NewAccount("十万粉丝")
	ids := env.Emu.AddFollowers(a.AppID, n)
	acct := env.Bind(op, a)
	env.Emu.CountDeliveries(a.AppID, false)
	require.NoError(b, env.DB.Exec(`INSERT INTO wx_followers (account_id, openid) SELECT ?, unnest(?::text[])`, acct.ID, "{"+strings.Join(ids, ",")+"}").Error)
	ids = nil
	q := jobstest.New(b, env.DB, env.DBURL)
	svc, err := broadcasts.New(env.DB, broadcasts.Options{WeChat: env.WX, Jobs: q, TemplateRate: rate})
	require.NoError(b, err)
	ctx := context.Background()
	tplID, err := svc.AddTemplate(ctx, acct, "TM00015", []string{"订单号"})
	require.NoError(b, err)
	require.NoError(b, q.Start(ctx))

	runtime.GC()
	before := rssMB(b)
	peak := before
	b.ResetTimer()
	start := time.Now()
	_, id, err := svc.SendTemplate(ctx, acct, op, broadcasts.TemplateInput{TemplateID: tplID,
		Target: broadcasts.Target{All: true}, Data: map[string]string{"first": "通知", "keyword1": "A-1", "remark": "谢谢"}})
	require.NoError(b, err)
	for {
		time.Sleep(time.Second)
		peak = max(peak, rssMB(b))
		bc, err := svc.Get(ctx, acct.ID, id)
		require.NoError(b, err)
		if bc.State == broadcasts.StateSent {
			require.Equal(b, n, bc.Done)
			require.Equal(b, n, bc.Counts.Sent)
			break
		}
		require.Equal(b, broadcasts.StateSending, bc.State, "%+v", bc)
	}
	took := time.Since(start)
	b.StopTimer()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.Logf("Go heap in use after the broadcast (console and emulator): %.1f MB", float64(ms.HeapInuse)/(1<<20))
	b.ReportMetric(float64(n)/took.Seconds(), "recipients/s")
	b.ReportMetric(peak-before, "MB-rss-growth")
	b.Logf("%d recipients in %s at TEMPLATE_RATE %d: %.0f/s; RSS %.0f MB before, peak %.0f MB (growth %.1f MB)",
		n, took.Round(time.Millisecond), rate, float64(n)/took.Seconds(), before, peak, peak-before)
	require.Less(b, peak-before, 50.0, "RSS growth must stay under 50 MB")
}

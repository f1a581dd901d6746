package followers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
)

const benchFollowers = 100_000

// BenchmarkSync100k syncs 100,000 followers from the emulator (over HTTP, through the real WeChat
// client) into a fresh mirror. The target is under 60 s per sync.
func BenchmarkSync100k(b *testing.B) {
	if testing.Short() {
		b.Skip("100,000 followers: not with -short")
	}
	f := newFixture(b, benchFollowers, followers.Options{})
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		_, err := f.svc.StartSync(context.Background(), f.acct)
		require.NoError(b, err)
		st := f.waitSync(5 * time.Minute)
		require.Equal(b, followers.StateDone, st.State, "%+v", st)
		require.Equal(b, benchFollowers, st.Done)
		b.ReportMetric(float64(benchFollowers)/time.Since(start).Seconds(), "followers/s")
	}
}

// BenchmarkSearch100k measures getFollowers (the count and the page) over a mirror of 100,000 followers,
// cycling through the searches an operator makes: nickname fragments in Latin and Chinese (also of two
// characters, which trigrams cannot index), openid fragments, remarks, no term, a group, a deep page.
// It reports p50, p95 and p99 in milliseconds; the target is p95 < 50 ms.
func BenchmarkSearch100k(b *testing.B) {
	if testing.Short() {
		b.Skip("100,000 followers: not with -short")
	}
	f := newFixture(b, benchFollowers, followers.Options{})
	ctx := context.Background()
	_, err := f.svc.StartSync(ctx, f.acct)
	require.NoError(b, err)
	require.Equal(b, followers.StateDone, f.waitSync(5*time.Minute).State)
	fl := f.emuFollowers()
	require.NoError(b, f.DB.Exec(`ANALYZE wx_followers`).Error)
	// A few remarks to find.
	require.NoError(b, f.DB.Exec(`UPDATE wx_followers SET remark = 'VIP 客户 ' || substr(openid, 10, 4)
		WHERE account_id = ? AND openid IN (SELECT openid FROM wx_followers WHERE account_id = ? ORDER BY openid LIMIT 500)`,
		f.acct.ID, f.acct.ID).Error)

	one := func(v int) *int { return &v }
	queries := []followers.Query{
		{Q: "kevin"}, {Q: "Lily"}, {Q: "小明"}, {Q: "星辰大海"}, {Q: "糖"}, {Q: "ab"},
		{Q: fl[500].OpenID[6:14]}, {Q: strings.ToUpper(fl[90_000].OpenID)}, {Q: "vip 客户"},
		{Q: "no such follower"}, {}, {GroupID: one(0)}, {Q: "an", GroupID: one(0)}, {Offset: 50_000},
		{Q: "o"}, {Q: "Tommy_88"},
	}
	var took []time.Duration
	b.ResetTimer()
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		if q.Limit == 0 {
			q.Limit = 20
		}
		start := time.Now()
		_, _, err := f.svc.Search(ctx, f.acct, q)
		took = append(took, time.Since(start))
		require.NoError(b, err)
	}
	b.StopTimer()
	slices.Sort(took)
	pct := func(p float64) float64 {
		return float64(took[min(len(took)-1, int(float64(len(took))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	if testing.Verbose() {
		for _, q := range queries {
			q.Limit = 20
			start := time.Now()
			_, total, err := f.svc.Search(ctx, f.acct, q)
			require.NoError(b, err)
			b.Logf("%-40s %6d matches %8s", fmt.Sprintf("%+v", q), total, time.Since(start).Round(10*time.Microsecond))
		}
	}
}

package conversations_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/conversations"
	"github.com/socialinzen/socialinzen/internal/wxplatform/conversations/convoseed"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// envInt reads a positive integer from the environment, def when unset.
func envInt(key string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(key)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkConversationsAtScale fills a fresh database with CONVO_BENCH_MESSAGES follower messages
// (default 10,000,000) from CONVO_BENCH_FOLLOWERS followers (default 200,000) and one operator answer per
// ten, through the callback's INSERT path and trigger, then measures what an operator does most: the first
// page of the list (all, unread, mine, a search) and opening a conversation (the newest page, then an older
// one). It reports p50/p95/p99 in milliseconds; the targets are list p95 < 50 ms, open p95 < 30 ms.
func BenchmarkConversationsAtScale(b *testing.B) {
	if testing.Short() {
		b.Skip("millions of messages: not with -short")
	}
	messages := envInt("CONVO_BENCH_MESSAGES", 10_000_000)
	nFollowers := envInt("CONVO_BENCH_FOLLOWERS", 200_000)
	ctx := context.Background()
	var gdb *gorm.DB
	if u := os.Getenv("CONVO_BENCH_DB"); u != "" {
		// A kept database, seeded by the first run and reused by the next ones (migrated to the code's
		// schema each time): seeding 10 million messages is the expensive part. Drop it when done.
		var err error
		gdb, err = db.Open(ctx, u, db.Options{MaxOpenConns: 10})
		require.NoError(b, err)
		b.Cleanup(func() { _ = db.Close(gdb) })
		require.NoError(b, db.Migrate(ctx, gdb, nil))
	} else {
		gdb = dbtest.New(b)
	}
	var uid, acctID int64
	require.NoError(b, gdb.Raw(`SELECT coalesce((SELECT id FROM users WHERE username = 'bench'), 0)`).Scan(&uid).Error)
	seeded := uid != 0
	if !seeded {
		uid = wxtest.Operator(b, gdb, "bench")
		require.NoError(b, gdb.Raw(`INSERT INTO wx_accounts (user_id, appid, name, secret_enc, token_enc, msdk_key_enc)
			VALUES (?, 'wx00000000000000be', 'bench', 'x', 'x', 'x') RETURNING id`, uid).Scan(&acctID).Error)
	} else {
		require.NoError(b, gdb.Raw(`SELECT id FROM wx_accounts WHERE appid = 'wx00000000000000be'`).Scan(&acctID).Error)
	}
	acct := &accounts.Account{ID: acctID, UserID: uid, AppID: "wx00000000000000be"}
	sqlDB, err := gdb.DB()
	require.NoError(b, err)
	if !seeded {
		start := time.Now()
		require.NoError(b, convoseed.Generate(ctx, sqlDB, convoseed.Options{AccountID: acctID, Messages: messages, Followers: nFollowers,
			Fast: os.Getenv("CONVO_BENCH_FAST") != "", Chunk: envInt("CONVO_BENCH_CHUNK", 0)}))
		b.Logf("seeded %d messages from %d followers in %s", messages, nFollowers, time.Since(start).Round(time.Second))
		// A few assigned and read conversations, as operators leave them.
		require.NoError(b, gdb.Exec(`UPDATE wx_conversations SET assignee_id = ? WHERE account_id = ? AND openid LIKE '%7'`, uid, acctID).Error)
		require.NoError(b, gdb.Exec(`UPDATE wx_conversations SET unread = 0 WHERE account_id = ? AND openid LIKE '%3'`, acctID).Error)
		require.NoError(b, gdb.Exec(`VACUUM ANALYZE wx_conversations`).Error)
	} else {
		require.NoError(b, gdb.Raw(`SELECT count(*) FROM wx_conversations WHERE account_id = ?`, acctID).Scan(&nFollowers).Error)
		b.Logf("reusing the seeded database: %d conversations", nFollowers)
	}
	svc, err := conversations.NewService(gdb, conversations.Options{})
	require.NoError(b, err)

	lists := []conversations.ListQuery{{}, {Unread: true}, {Assignee: uid}, {Assignee: conversations.AssigneeNone},
		{Q: "follower 1234"}, {Q: "VIP"}, {Offset: 200}}
	var listTook, openTook []time.Duration
	byShape := make([][]time.Duration, len(lists))
	b.ResetTimer()
	i := 0
	for b.Loop() {
		q := lists[i%len(lists)]
		q.Limit = 20
		t0 := time.Now()
		_, _, err := svc.List(ctx, acct, q)
		listTook = append(listTook, time.Since(t0))
		byShape[i%len(lists)] = append(byShape[i%len(lists)], time.Since(t0))
		require.NoError(b, err)

		openid := convoseed.FollowerID(rand.IntN(nFollowers))
		t0 = time.Now()
		tl, err := svc.Timeline(ctx, acct, openid, 0, 30)
		openTook = append(openTook, time.Since(t0))
		require.NoError(b, err)
		if tl.Before > 0 {
			t0 = time.Now()
			_, err = svc.Timeline(ctx, acct, openid, tl.Before, 30)
			openTook = append(openTook, time.Since(t0))
			require.NoError(b, err)
		}
		i++
	}
	b.StopTimer()
	report := func(name string, took []time.Duration) {
		slices.Sort(took)
		pct := func(p float64) float64 {
			return float64(took[min(len(took)-1, int(float64(len(took))*p))].Microseconds()) / 1000
		}
		b.ReportMetric(pct(0.50), name+"-p50-ms")
		b.ReportMetric(pct(0.95), name+"-p95-ms")
		b.ReportMetric(pct(0.99), name+"-p99-ms")
	}
	report("list", listTook)
	report("open", openTook)
	if testing.Verbose() {
		for i, q := range lists {
			took := byShape[i]
			slices.Sort(took)
			if len(took) > 0 {
				b.Logf("%-50s p50 %8s p95 %8s (%d runs)", fmt.Sprintf("%+v", q), took[len(took)/2].Round(10*time.Microsecond),
					took[min(len(took)-1, len(took)*95/100)].Round(10*time.Microsecond), len(took))
			}
		}
		for _, q := range lists {
			q.Limit = 20
			t0 := time.Now()
			_, total, err := svc.List(ctx, acct, q)
			require.NoError(b, err)
			b.Logf("%-50s %7d conversations %8s", fmt.Sprintf("%+v", q), total, time.Since(t0).Round(10*time.Microsecond))
		}
	}
}

package callback_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkRuleHitCounting is what counting rules' hits (contract §20: the statement trigger
// wx_messages_rule_hits of migrations/00121_rule_hits.sql) adds to storing messages: the callback's own
// INSERT … ON CONFLICT DO NOTHING of one message (a quiet account) and of a group-committed batch of 32,
// every message answered by one of 50 rules, with the trigger and without it. ns/op is per message.
func BenchmarkRuleHitCounting(b *testing.B) {
	e := newEnv(b, envOptions{realClock: true})
	acct := e.bind(newAccount(b))
	ctx := context.Background()
	db, err := e.gdb.DB()
	require.NoError(b, err)
	var seq atomic.Int64
	base := time.Now().UnixNano()
	insert := func(n int) {
		var q strings.Builder
		q.WriteString(`INSERT INTO wx_messages (account_id, msg_id, from_user, create_time, msg_type, content, rule_id,
			rule_keyword, rule_kind, reply_xml, received_at) VALUES `)
		args := make([]any, 0, n*4)
		for i := range n {
			id := seq.Add(1)
			if i > 0 {
				q.WriteByte(',')
			}
			p := len(args)
			q.WriteString("($" + strconv.Itoa(p+1) + ", $" + strconv.Itoa(p+2) + ", 'oBench', 0, 'text', 'kw', $" +
				strconv.Itoa(p+3) + ", 'kw', 'keyword', '<xml/>', $" + strconv.Itoa(p+4) + ")")
			args = append(args, acct.ID, base+id, id%50+1, time.Now())
		}
		q.WriteString(" ON CONFLICT DO NOTHING")
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			b.Fatal(err)
		}
	}
	for _, trigger := range []string{"off", "on"} {
		verb := "ENABLE"
		if trigger == "off" {
			verb = "DISABLE"
		}
		_, err := db.ExecContext(ctx, `ALTER TABLE wx_messages `+verb+` TRIGGER wx_messages_rule_hits`)
		require.NoError(b, err)
		for _, batch := range []int{1, 32} {
			b.Run("trigger "+trigger+"/batch "+strconv.Itoa(batch), func(b *testing.B) {
				b.SetParallelism(4)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						insert(batch)
					}
				})
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/msg")
			})
		}
	}
	var hits int64
	require.NoError(b, db.QueryRowContext(ctx, `SELECT COALESCE(sum(hits), 0) FROM reply_rule_hits`).Scan(&hits))
	b.Logf("hits counted: %d", hits)
}

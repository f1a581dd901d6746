package messages

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// partitionOf answers the partition holding the rows of an account's message or event.
func partitionsOf(t *testing.T, e *wxtest.Env, accountID int64) map[string]int {
	t.Helper()
	var rows []struct {
		Part string
		N    int
	}
	require.NoError(t, e.DB.Raw(`SELECT tableoid::regclass::text AS part, count(*) AS n FROM wx_messages
		WHERE account_id = ? GROUP BY 1`, accountID).Scan(&rows).Error)
	out := map[string]int{}
	for _, r := range rows {
		out[r.Part] = r.N
	}
	return out
}

// A message first received just before a month ends and retried after the next one began is stored
// once: the partition follows WeChat's CreateTime, which the retry repeats, not the time of receipt.
func TestDedupAcrossMonthBoundary(t *testing.T) {
	t.Parallel()
	e := wxtest.New(t, wxtest.Options{Unchecked: true})
	acct := e.Bind(e.Operator("op"), e.Emu.NewAccount("边界"))
	w := NewWriter(WriterOptions{DB: e.DB}) // not started: each Submit stores before it returns
	ctx := context.Background()

	now := time.Now().UTC()
	boundary := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC) // partitions exist 3 months ahead
	created := boundary.Add(-2 * time.Second)
	msg := &wxcrypto.Message{FromUserName: "oEdge", MsgType: "text", Content: "hi", MsgID: 77, CreateTime: created.Unix()}
	ev := &wxcrypto.Message{FromUserName: "oEdge", MsgType: "event", Event: "subscribe", CreateTime: created.Unix()}
	answer := Answer{XML: []byte("<xml>first</xml>"), RuleID: 3, Keyword: "hi", Kind: "keyword"}
	submit := func(m *wxcrypto.Message, a Answer, at time.Time) Stored {
		done, ok := w.Submit(ctx, NewRecord(acct.ID, m, "<xml/>", a, at))
		require.True(t, ok)
		return <-done
	}
	for _, m := range []*wxcrypto.Message{msg, ev} {
		first := submit(m, answer, created.Add(time.Second)) // received in the old month
		require.True(t, first.Inserted)
		retry := submit(m, Answer{}, boundary.Add(4*time.Minute)) // WeChat's retry, in the new month
		require.False(t, retry.Inserted, "the retry is a duplicate")
		require.True(t, retry.Found)
		require.Equal(t, answer, retry.First, "the retry gets the first delivery's answer")
	}
	// A different message sent a second after midnight goes to the new month.
	next := &wxcrypto.Message{FromUserName: "oEdge", MsgType: "text", Content: "later", MsgID: 78, CreateTime: boundary.Unix()}
	require.True(t, submit(next, Answer{}, boundary.Add(time.Second)).Inserted)

	require.Equal(t, map[string]int{
		"wx_messages_p" + created.Format("200601"):  2,
		"wx_messages_p" + boundary.Format("200601"): 1,
	}, partitionsOf(t, e, acct.ID))
	h := w.Health()
	require.EqualValues(t, 3, h.Stored)
	require.EqualValues(t, 2, h.Duplicates)

	// The conversations' statement trigger still runs on the partitioned table.
	var n int
	require.NoError(t, e.DB.Raw(`SELECT count(*) FROM wx_conversations WHERE account_id = ? AND openid = 'oEdge'`, acct.ID).Scan(&n).Error)
	require.Equal(t, 1, n)
}

func TestPartitionsMaintain(t *testing.T) {
	t.Parallel()
	e := wxtest.New(t, wxtest.Options{Unchecked: true})
	acct := e.Bind(e.Operator("op"), e.Emu.NewAccount("分区"))
	ctx := context.Background()
	now := time.Now().UTC()
	month := func(add int) time.Time {
		return time.Date(now.Year(), now.Month()+time.Month(add), 1, 12, 0, 0, 0, time.UTC)
	}
	insert := func(at time.Time, id int64) {
		require.NoError(t, e.DB.Exec(`INSERT INTO wx_messages (account_id, msg_id, from_user, create_time, msg_type, received_at)
			VALUES (?, ?, 'o', ?, 'text', ?)`, acct.ID, id, at.Unix(), at).Error)
	}
	// Fourteen months ago: its partition made on purpose; this month; five months ahead: no partition yet (default).
	require.NoError(t, e.DB.Exec(`SELECT wx_messages_ensure_partitions(?, ?)`, month(-14).Unix(), month(-14).Unix()).Error)
	insert(month(-14), 1)
	insert(month(0), 2)
	insert(month(5), 3)
	require.Equal(t, 1, partitionsOf(t, e, acct.ID)["wx_messages_default"])

	p := NewPartitions(e.DB, 365*24*time.Hour, nil)
	p.now = func() time.Time { return month(2) } // two months on: partitions through month(5) are made
	dropped, err := p.Maintain(ctx)
	require.NoError(t, err)
	require.Contains(t, dropped, "wx_messages_p"+month(-14).Format("200601"))
	require.NotContains(t, dropped, "wx_messages_p"+month(0).Format("200601"))
	got := partitionsOf(t, e, acct.ID)
	require.Equal(t, map[string]int{
		"wx_messages_p" + month(0).Format("200601"): 1,
		"wx_messages_p" + month(5).Format("200601"): 1, // moved out of the default partition
	}, got)

	// Retention 0 keeps everything; a second run changes nothing.
	keep := NewPartitions(e.DB, 0, nil)
	keep.now = func() time.Time { return month(30) }
	dropped, err = keep.Maintain(ctx)
	require.NoError(t, err)
	require.Empty(t, dropped)
	require.Len(t, partitionsOf(t, e, acct.ID), 2)
}

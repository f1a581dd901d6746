package conversations_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/conversations"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// TestListTotalsFromCounters checks that listConversations' totals, read from the counters the triggers
// keep (migration 00150), stay equal to counting the summaries whatever changes them: batches of messages,
// markRead, assignment, an answer to a new follower, a user's deletion, a conversation's deletion.
func TestListTotalsFromCounters(t *testing.T) {
	gdb := dbtest.New(t)
	ctx := context.Background()
	uid := wxtest.Operator(t, gdb, "owner")
	other := wxtest.Operator(t, gdb, "other")
	var acctID, otherAcct int64
	require.NoError(t, gdb.Raw(`INSERT INTO wx_accounts (user_id, appid, name, secret_enc, token_enc, msdk_key_enc)
		VALUES (?, 'wx0000000000000c01', 'a', 'x', 'x', 'x') RETURNING id`, uid).Scan(&acctID).Error)
	require.NoError(t, gdb.Raw(`INSERT INTO wx_accounts (user_id, appid, name, secret_enc, token_enc, msdk_key_enc)
		VALUES (?, 'wx0000000000000c02', 'b', 'x', 'x', 'x') RETURNING id`, other).Scan(&otherAcct).Error)
	acct := &accounts.Account{ID: acctID, UserID: uid, AppID: "wx0000000000000c01"}
	svc, err := conversations.NewService(gdb, conversations.Options{})
	require.NoError(t, err)

	msgs := func(account int64, from, to, seq int) {
		t.Helper()
		require.NoError(t, gdb.Exec(`INSERT INTO wx_messages (account_id, msg_id, from_user, create_time, msg_type, content, received_at)
			SELECT ?, ? * 1000 + g, 'oCount' || g, 1, 'text', 'hi', now() - make_interval(secs => 100 - g)
			FROM generate_series(?::int, ?::int) g`, account, seq, from, to).Error)
	}
	check := func(step string) {
		t.Helper()
		for _, q := range []conversations.ListQuery{{}, {Unread: true}, {Assignee: uid}, {Assignee: uid, Unread: true},
			{Assignee: conversations.AssigneeNone}, {Assignee: conversations.AssigneeNone, Unread: true}, {Assignee: other}} {
			want := countSummaries(t, gdb, acctID, q, uid)
			_, total, err := svc.List(ctx, acct, q)
			require.NoError(t, err)
			require.Equal(t, want, total, "%s: %+v", step, q)
		}
		// A search counts its matches with the page, and alone past the last page.
		var want int64
		require.NoError(t, gdb.Raw(`SELECT count(*) FROM wx_conversations WHERE account_id = ? AND openid LIKE 'oCount1%'`, acctID).Scan(&want).Error)
		for _, q := range []conversations.ListQuery{{Q: "ocount1", Limit: 2}, {Q: "oCount1", Offset: 2, Limit: 2}, {Q: "oCount1", Offset: 50}} {
			page, total, err := svc.List(ctx, acct, q)
			require.NoError(t, err)
			require.Equal(t, want, total, "%s: %+v", step, q)
			require.Len(t, page, max(0, min(int(want)-q.Offset, q.Limit)), "%s: %+v", step, q)
		}
	}
	check("empty")
	msgs(acctID, 1, 10, 1)
	msgs(otherAcct, 1, 5, 2) // another account's conversations are not counted
	check("first batch")
	msgs(acctID, 5, 15, 3) // five new followers, five known ones
	check("second batch")
	for _, o := range []string{"oCount1", "oCount2", "oCount12"} {
		_, err := svc.MarkRead(ctx, acct, o)
		require.NoError(t, err)
	}
	check("read")
	for _, o := range []string{"oCount2", "oCount3", "oCount4"} {
		_, err := svc.Assign(ctx, acct, o, uid)
		require.NoError(t, err)
	}
	check("assigned")
	_, err = svc.Assign(ctx, acct, "oCount3", 0)
	require.NoError(t, err)
	check("unassigned")
	msgs(acctID, 2, 2, 4) // read and assigned, then written to again
	check("assigned and unread")
	// An operator's answer to a follower with no conversation yet makes one (what finish does).
	require.NoError(t, gdb.Exec(`INSERT INTO wx_conversations (account_id, openid, last_id, last_at, last_dir, last_type, last_text)
		VALUES (?, 'oCountNew', 1, now(), 'out', 'text', 'hello')`, acctID).Error)
	check("answer to a new follower")
	require.NoError(t, gdb.Exec(`UPDATE wx_conversations SET assignee_id = ? WHERE account_id = ? AND openid = 'oCount9'`, other, acctID).Error)
	check("assigned to another user")
	require.NoError(t, gdb.Exec(`DELETE FROM users WHERE id = ?`, other).Error) // assignee_id becomes NULL
	check("assignee deleted")
	require.NoError(t, gdb.Exec(`DELETE FROM wx_conversations WHERE account_id = ? AND openid IN ('oCount1', 'oCount2')`, acctID).Error)
	check("deleted")
	require.NoError(t, gdb.Exec(`DELETE FROM wx_accounts WHERE id = ?`, acctID).Error)
	var left int64
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM wx_conversation_counts WHERE account_id = ?`, acctID).Scan(&left).Error)
	require.Zero(t, left, "the deleted account's counters go with it")
}

// countSummaries counts what q selects the slow way.
func countSummaries(t *testing.T, gdb *gorm.DB, acctID int64, q conversations.ListQuery, _ int64) int64 {
	t.Helper()
	cond, args := "account_id = ?", []any{acctID}
	if q.Unread {
		cond += " AND unread > 0"
	}
	switch {
	case q.Assignee == conversations.AssigneeNone:
		cond += " AND assignee_id IS NULL"
	case q.Assignee > 0:
		cond += " AND assignee_id = ?"
		args = append(args, q.Assignee)
	}
	var n int64
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM wx_conversations WHERE `+cond, args...).Scan(&n).Error)
	return n
}

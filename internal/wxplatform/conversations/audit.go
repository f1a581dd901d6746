package conversations

import (
	"context"
	"database/sql"

	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// assigneeBefore answers, for an assignment (action "assigned"), the conversation's assignee before it,
// locking the row in tx; nothing for any other update.
func assigneeBefore(ctx context.Context, tx *sql.Tx, accountID int64, openid, action string) (sql.NullInt64, error) {
	var prev sql.NullInt64
	if action != "assigned" {
		return prev, nil
	}
	err := tx.QueryRowContext(ctx, `SELECT assignee_id FROM wx_conversations WHERE account_id = $1 AND openid = $2 FOR UPDATE`,
		accountID, openid).Scan(&prev)
	if err == sql.ErrNoRows {
		err = nil
	}
	return prev, err
}

// recordAssign records assignConversation in the audit log, in the assignment's transaction: the
// assignee's user id before and after (null: nobody).
func recordAssign(ctx context.Context, tx *sql.Tx, acct *accounts.Account, openid, action string, prev sql.NullInt64, args []any) error {
	if action != "assigned" {
		return nil
	}
	var before, after any
	if prev.Valid {
		before = prev.Int64
	}
	if len(args) > 0 {
		after = args[0]
	}
	return audit.RecordSQL(ctx, tx, audit.Entry{AccountID: acct.ID, AppID: acct.AppID, Action: "assignConversation",
		Target: audit.Target("conversation", openid), Changes: audit.Changes{"assignee": {Before: before, After: after}}})
}

// quickBefore answers a quick reply as it is before a change in tx (locked), or a zero one (ID 0).
func quickBefore(ctx context.Context, tx *sql.Tx, accountID, id int64) QuickReply {
	var q QuickReply
	var body []byte
	err := tx.QueryRowContext(ctx, `SELECT id, title, msg_type, body FROM wx_quick_replies WHERE id = $1 AND account_id = $2 FOR UPDATE`,
		id, accountID).Scan(&q.ID, &q.Title, &q.Type, &body)
	if err != nil {
		return QuickReply{}
	}
	q.Reply = body
	return q
}

// recordQuick records saveQuickReply or deleteQuickReply in its transaction: title, type and reply before
// and after (before with ID 0: created; after nil: deleted).
func recordQuick(ctx context.Context, tx *sql.Tx, acct *accounts.Account, action string, id int64, before, after *QuickReply) error {
	view := func(q *QuickReply) any {
		if q == nil || q.ID == 0 {
			return nil
		}
		return map[string]any{"title": q.Title, "type": q.Type, "reply": q.Reply}
	}
	return audit.RecordSQL(ctx, tx, audit.Entry{AccountID: acct.ID, AppID: acct.AppID, Action: action,
		Target: audit.Target("quickReply", id), Changes: audit.Diff(view(before), view(after))})
}

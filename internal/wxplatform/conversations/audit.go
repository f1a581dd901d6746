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

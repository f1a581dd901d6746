package messages

import (
	"context"
	"io/fs"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/migrations"
)

// Migration 00140 carries the unpartitioned table's rows, ids and triggers over: messages stored before it
// are still there, deduplicated, and the conversations' trigger still counts new ones.
func TestPartitionMigrationCarriesData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gdb, err := db.Open(ctx, dbtest.NewURL(t), db.Options{MaxOpenConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close(gdb) })
	sqlDB, err := gdb.DB()
	require.NoError(t, err)
	fsys, err := fs.Sub(migrations.FS, ".")
	require.NoError(t, err)
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys, goose.WithAllowOutofOrder(true))
	require.NoError(t, err)
	_, err = p.UpTo(ctx, 139)
	require.NoError(t, err)

	exec := func(q string, args ...any) {
		t.Helper()
		require.NoError(t, gdb.Exec(q, args...).Error)
	}
	exec(`INSERT INTO users (username, password_hash, email) VALUES ('u', 'x', 'u@example.com')`)
	exec(`INSERT INTO wx_accounts (user_id, appid, secret_enc, token_enc, msdk_key_enc) VALUES (1, 'wx0000000000000001', 'x', 'x', 'x')`)
	old := time.Now().AddDate(0, -2, 0).UTC()
	exec(`INSERT INTO wx_messages (account_id, msg_id, from_user, create_time, msg_type, content, received_at) VALUES
		(1, 11, 'oA', ?, 'text', 'before', ?), (1, NULL, 'oB', ?, 'event', '', ?)`, old.Unix(), old, old.Unix(), old)
	exec(`UPDATE wx_messages SET event = 'subscribe' WHERE msg_id IS NULL`)
	var before []int64
	require.NoError(t, gdb.Raw(`SELECT id FROM wx_messages ORDER BY id`).Scan(&before).Error)

	_, err = p.Up(ctx)
	require.NoError(t, err)
	var after []int64
	require.NoError(t, gdb.Raw(`SELECT id FROM wx_messages ORDER BY id`).Scan(&after).Error)
	require.Equal(t, before, after, "rows and ids carried over")
	var part string
	require.NoError(t, gdb.Raw(`SELECT tableoid::regclass::text FROM wx_messages WHERE msg_id = 11`).Scan(&part).Error)
	require.Equal(t, "wx_messages_p"+old.Format("200601"), part)

	// The dedup keys hold for the carried rows; new rows get new ids and reach the conversations.
	w := NewWriter(WriterOptions{DB: gdb})
	done, _ := w.Submit(ctx, &Record{AccountID: 1, MsgID: 11, From: "oA", CreateTime: old.Unix(), MsgType: "text", Received: time.Now()})
	require.False(t, (<-done).Inserted)
	done, _ = w.Submit(ctx, &Record{AccountID: 1, MsgID: 12, From: "oA", CreateTime: time.Now().Unix(), MsgType: "text", Content: "after", Received: time.Now()})
	require.True(t, (<-done).Inserted)
	var n int
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM wx_messages WHERE id > ?`, after[len(after)-1]).Scan(&n).Error)
	require.Equal(t, 1, n)
	var text string
	require.NoError(t, gdb.Raw(`SELECT last_text FROM wx_conversations WHERE account_id = 1 AND openid = 'oA'`).Scan(&text).Error)
	require.Equal(t, "after", text, "the conversations' trigger was carried over")
}

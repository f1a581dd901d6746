// Package convoseed fills a database with a large message history for one official account, through the
// same path the callback takes (multi-row INSERTs into wx_messages, so the conversation trigger keeps
// wx_conversations up to date), plus operators' answers in wx_cs_messages and a follower mirror. The
// conversations benchmark and tools/convogen use it.
package convoseed

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Options size the history.
type Options struct {
	AccountID int64
	Messages  int           // follower messages (default 1,000,000)
	Followers int           // distinct followers (default 100,000)
	Span      time.Duration // how far back the history goes (default 30 days)
	OutEvery  int           // one operator answer per OutEvery messages (default 10; 0 uses the default)
	Chunk     int           // rows per INSERT statement (default 100,000)
	// Fast loads the messages with the conversation trigger disabled and builds the summaries once at
	// the end (the same rows the trigger would have left: each follower's newest message, all unread, the
	// window of its last message), for 10 million messages on a shared machine. It takes an exclusive lock
	// on wx_messages meanwhile: only for a database of its own.
	Fast bool
	// Progress is told of every chunk (optional).
	Progress func(done, total int)
}

// Generate writes the history. Message ids start at a random-free base derived from the account, so it
// can run once per account.
func Generate(ctx context.Context, db *sql.DB, o Options) error {
	if o.Messages <= 0 {
		o.Messages = 1_000_000
	}
	if o.Followers <= 0 {
		o.Followers = 100_000
	}
	if o.Span <= 0 {
		o.Span = 30 * 24 * time.Hour
	}
	if o.OutEvery <= 0 {
		o.OutEvery = 10
	}
	if o.Chunk <= 0 {
		o.Chunk = 100_000
	}
	step := o.Span.Seconds() / float64(o.Messages)
	if _, err := db.ExecContext(ctx, `INSERT INTO wx_followers (account_id, openid, nickname, remark, subscribe_time)
		SELECT $1, 'oSeed' || lpad(f::text, 23, '0'), '粉丝 follower ' || f, CASE WHEN f % 50 = 0 THEN 'VIP ' || f ELSE '' END,
			extract(epoch FROM now())::bigint - f
		FROM generate_series(0, $2 - 1) f ON CONFLICT DO NOTHING`, o.AccountID, o.Followers); err != nil {
		return fmt.Errorf("seed followers: %w", err)
	}
	base := o.AccountID * 1_000_000_000_000
	if o.Fast {
		if _, err := db.ExecContext(ctx, `ALTER TABLE wx_messages DISABLE TRIGGER wx_messages_conversations`); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		defer func() {
			_, _ = db.ExecContext(context.WithoutCancel(ctx), `ALTER TABLE wx_messages ENABLE TRIGGER wx_messages_conversations`)
		}()
	}
	for start := 0; start < o.Messages; start += o.Chunk {
		end := min(start+o.Chunk, o.Messages) - 1
		// Message g comes from follower g % Followers, (Messages - g) steps before now.
		if _, err := db.ExecContext(ctx, `INSERT INTO wx_messages (account_id, msg_id, from_user, create_time, msg_type,
				content, raw_xml, received_at)
			SELECT $1, $2::bigint + g, 'oSeed' || lpad((g % $3)::text, 23, '0'), extract(epoch FROM t)::bigint, 'text',
				'消息 message #' || g, '', t
			FROM generate_series($4::int, $5::int) g,
			LATERAL (SELECT now() - make_interval(secs => ($6 - g) * $7::float8)) AS x(t)
			ORDER BY g`,
			o.AccountID, base, o.Followers, start, end, o.Messages, step); err != nil {
			return fmt.Errorf("seed messages %d–%d: %w", start, end, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO wx_cs_messages (account_id, openid, msg_type, body, content, operator, status,
				wx_errcode, created_at)
			SELECT $1, 'oSeed' || lpad((g % $2)::text, 23, '0'), 'text', '{"content":"answer"}', '回复 answer #' || g, 'seed',
				'sent', 0, now() - make_interval(secs => ($5 - g) * $6::float8) + interval '1 second'
			FROM generate_series($3::int, $4::int) g WHERE g % $7 = 0`,
			o.AccountID, o.Followers, start, end, o.Messages, step, o.OutEvery); err != nil {
			return fmt.Errorf("seed answers %d–%d: %w", start, end, err)
		}
		// The live log keeps minutes, not history.
		if _, err := db.ExecContext(ctx, `DELETE FROM wx_live_events WHERE account_id = $1`, o.AccountID); err != nil {
			return fmt.Errorf("trim live events: %w", err)
		}
		if o.Progress != nil {
			o.Progress(end+1, o.Messages)
		}
	}
	if o.Fast {
		// Follower f sent messages f, f+F, f+2F, … below Messages: its newest is the last of them.
		if _, err := db.ExecContext(ctx, `INSERT INTO wx_conversations AS c (account_id, openid, last_id, last_at, last_dir,
				last_type, last_text, unread, msg_until, msg_left)
			SELECT $1, m.from_user, m.id, m.received_at, 'in', m.msg_type, left(m.content, 200), n, m.received_at + interval '48 hours', 5
			FROM generate_series(0, least($3::int, $4::int) - 1) f
			CROSS JOIN LATERAL (SELECT ($4::int - 1 - f) / $3::int + 1 AS n) k
			JOIN wx_messages m ON m.account_id = $1 AND m.msg_id = $2::bigint + f + (k.n - 1)::bigint * $3::int
			ON CONFLICT (account_id, openid) DO NOTHING`, o.AccountID, base, o.Followers, o.Messages); err != nil {
			return fmt.Errorf("seed conversations: %w", err)
		}
	}
	for _, table := range []string{"wx_messages", "wx_cs_messages", "wx_conversations", "wx_followers"} {
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE `+table); err != nil {
			return fmt.Errorf("vacuum %s: %w", table, err)
		}
	}
	return nil
}

// FollowerID is the openid Generate gives follower n.
func FollowerID(n int) string { return fmt.Sprintf("oSeed%023d", n) }

// Package messages is the message store: what WeChat pushed to the callback, kept in wx_messages, and the
// questions other capabilities ask of it. Capabilities that need the messages (QR code statistics, the
// conversations of contract §16) ask here rather than query wx_messages themselves.
//
// The writing side is the Writer (writer.go, batcher.go, queue.go): the callback hands it each received
// message and answer, and it stores them exactly once, group-committed, behind a bounded in-memory queue
// while Postgres is away. The reading side is the Store: the inbox, daily counts, QR code scan counts.
package messages

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Store answers questions about stored messages.
type Store struct {
	db *gorm.DB
}

// NewStore builds the store on the console's database.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

// QRCode is a QR code as its events are counted: by its ticket, and, for events without a ticket, by its
// scene while it was valid.
type QRCode struct {
	ID        int64
	Ticket    string
	Scene     string
	CreatedAt time.Time
	ExpireAt  *time.Time // nil: permanent
}

// ScanCount is how many SCAN (already following) and subscribe (new follower) events a code brought.
type ScanCount struct {
	Scans      int64
	Subscribes int64
}

// ScanCounts answers the counts of the account's codes, by code id: events carrying the code's ticket,
// plus events without a ticket whose EventKey names the code's scene (SCAN: the scene; subscribe:
// qrscene_ and the scene) received while the code was valid.
func (s *Store) ScanCounts(ctx context.Context, accountID int64, codes []QRCode) (map[int64]ScanCount, error) {
	out := make(map[int64]ScanCount, len(codes))
	if len(codes) == 0 {
		return out, nil
	}
	values := make([]string, len(codes))
	args := make([]any, 0, 5*len(codes)+1)
	for i, c := range codes {
		values[i] = "(?::bigint, ?::text, ?::text, ?::timestamptz, ?::timestamptz)"
		args = append(args, c.ID, c.Ticket, c.Scene, c.CreatedAt, c.ExpireAt)
	}
	args = append(args, accountID)
	var rows []struct {
		ID         int64 `gorm:"column:id"`
		Scans      int64 `gorm:"column:scans"`
		Subscribes int64 `gorm:"column:subscribes"`
	}
	err := s.db.WithContext(ctx).Raw(`WITH q(id, ticket, scene, created_at, expire_at) AS (VALUES `+strings.Join(values, ", ")+`),
		a AS (SELECT ?::bigint AS account_id)
		SELECT q.id,
		(SELECT count(*) FROM wx_messages m, a WHERE m.account_id = a.account_id AND m.event = 'SCAN' AND m.ticket = q.ticket)
		+ (SELECT count(*) FROM wx_messages m, a WHERE m.account_id = a.account_id AND m.event = 'SCAN' AND m.ticket = ''
			AND m.event_key = q.scene AND m.received_at >= q.created_at
			AND (q.expire_at IS NULL OR m.received_at <= q.expire_at)) AS scans,
		(SELECT count(*) FROM wx_messages m, a WHERE m.account_id = a.account_id AND m.event = 'subscribe' AND m.ticket = q.ticket)
		+ (SELECT count(*) FROM wx_messages m, a WHERE m.account_id = a.account_id AND m.event = 'subscribe' AND m.ticket = ''
			AND m.event_key = 'qrscene_' || q.scene AND m.received_at >= q.created_at
			AND (q.expire_at IS NULL OR m.received_at <= q.expire_at)) AS subscribes
		FROM q`, args...).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count QR code events: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = ScanCount{Scans: r.Scans, Subscribes: r.Subscribes}
	}
	return out, nil
}

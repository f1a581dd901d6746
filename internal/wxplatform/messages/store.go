package messages

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// Answer is what a message was answered with, stored with it: the reply XML before encryption (nil:
// "success") and the rule that produced it (Kind "" when no rule matched).
type Answer struct {
	XML     []byte
	RuleID  int64
	Keyword string
	Kind    string
}

// Key identifies a message the way WeChat deduplicates: MsgId for messages, FromUserName + CreateTime
// (+ Event) for events, as the table's dedup keys do.
type Key struct {
	Account    int64
	MsgID      int64
	From       string
	CreateTime int64
	Event      string
}

// Record is one message row as the callback hands it to the Writer.
type Record struct {
	AccountID  int64
	MsgID      int64 // 0 for events
	From       string
	CreateTime int64
	MsgType    string
	Event      string
	EventKey   string
	Ticket     string
	Content    string
	Raw        string
	Received   time.Time // to the microsecond, as Postgres keeps it
	Answer     Answer
	Msg        *wxcrypto.Message // for the caller's OnStored, when the writer stores it late
	// FollowUps is the caller's own, handed back to Watch and OnStored and never stored: the replies a
	// rule in "all" mode sends after the passive one (contract §20).
	FollowUps any
	// uncertain is set when an INSERT of this record failed in a way that may hide a commit (a timeout):
	// if the writer then finds the row, it checks whether the row is this record's.
	uncertain bool
}

// NewRecord builds the row of a received message m (raw: its plaintext XML) answered with ans.
func NewRecord(accountID int64, m *wxcrypto.Message, raw string, ans Answer, received time.Time) *Record {
	r := &Record{
		AccountID:  accountID,
		From:       clean(m.FromUserName),
		CreateTime: m.CreateTime,
		MsgType:    clean(m.MsgType),
		Event:      clean(m.Event),
		EventKey:   clean(m.EventKey),
		Ticket:     clean(m.Ticket),
		Content:    clean(summary(m)),
		Raw:        clean(raw),
		Received:   received.Truncate(time.Microsecond),
		Answer:     ans,
		Msg:        m,
	}
	if m.MsgType != "event" {
		r.MsgID = m.MsgID
	}
	return r
}

// size approximates the memory a queued record holds.
func (r *Record) size() int {
	return 256 + len(r.From) + len(r.EventKey) + len(r.Ticket) + len(r.Content) + len(r.Raw) + len(r.Answer.XML)
}

// summary is what the inbox shows of a message: its text, or the text WeChat gives for other types.
func summary(m *wxcrypto.Message) string {
	switch m.MsgType {
	case "text":
		return m.Content
	case "voice":
		return m.Recognition
	case "location":
		return m.Label
	case "link":
		return m.Title
	}
	return m.Content
}

// clean makes text storable in a Postgres TEXT column: valid UTF-8 without NUL bytes. Valid text, the
// usual case, is returned as is without copying.
func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}

// writeStore is the SQL of the message table's writing side. It uses database/sql under GORM's pool
// directly: the INSERT runs thousands of times a second, and pgx caches its prepared statement per
// connection.
type writeStore struct {
	gdb *gorm.DB
}

func (s *writeStore) sqlDB() (*sql.DB, error) { return s.gdb.DB() }

// insertSQL stores a batch in one statement whatever its size: one array per column, unnested into rows,
// so Postgres parses and plans it once per connection (pgx caches the prepared statement) instead of once
// per batch size. The one-row subquery turns synchronous_commit off for this statement's own transaction
// only: the commit does not wait for the WAL flush. WeChat already has its answer when a batch commits,
// and what a crash of Postgres could lose is the last fraction of a second of messages, never a row
// half-written (docs/OPERATIONS.md, "Message durability").
const insertSQL = `INSERT INTO wx_messages (account_id, msg_id, from_user, create_time, msg_type, event, event_key,
	ticket, content, raw_xml, rule_id, rule_keyword, rule_kind, reply_xml, received_at)
SELECT u.* FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[],
	$8::text[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::text[], $15::timestamptz[]) AS u,
	(SELECT set_config('synchronous_commit', 'off', true)) AS durability
ON CONFLICT DO NOTHING RETURNING account_id, COALESCE(msg_id, 0), from_user, create_time, event`

// columns are a batch's values, one slice per column of insertSQL.
type columns struct {
	account, createTime            []int64
	msgID, ruleID                  []*int64
	from, msgType, event, eventKey []string
	ticket, content, raw           []string
	keyword, kind, replyXML        []*string
	received                       []time.Time
}

func batchColumns(recs []*Record) *columns {
	n := len(recs)
	c := &columns{account: make([]int64, n), createTime: make([]int64, n), msgID: make([]*int64, n),
		ruleID: make([]*int64, n), from: make([]string, n), msgType: make([]string, n), event: make([]string, n),
		eventKey: make([]string, n), ticket: make([]string, n), content: make([]string, n), raw: make([]string, n),
		keyword: make([]*string, n), kind: make([]*string, n), replyXML: make([]*string, n), received: make([]time.Time, n)}
	for i, r := range recs {
		c.account[i], c.createTime[i] = r.AccountID, r.CreateTime
		if r.MsgID != 0 {
			c.msgID[i] = &r.MsgID
		}
		if r.Answer.Kind != "" {
			kw := clean(r.Answer.Keyword)
			c.ruleID[i], c.keyword[i], c.kind[i] = &r.Answer.RuleID, &kw, &r.Answer.Kind
		}
		if r.Answer.XML != nil {
			x := clean(string(r.Answer.XML))
			c.replyXML[i] = &x
		}
		c.from[i], c.msgType[i], c.event[i], c.eventKey[i] = r.From, r.MsgType, r.Event, r.EventKey
		c.ticket[i], c.content[i], c.raw[i] = r.Ticket, r.Content, r.Raw
		c.received[i] = r.Received.UTC()
	}
	return c
}

// answerOf reads the answer stored with the first delivery of rec's message.
func (s *writeStore) answerOf(ctx context.Context, rec *Record) (Answer, bool, error) {
	db, err := s.sqlDB()
	if err != nil {
		return Answer{}, false, err
	}
	var row *sql.Row
	const cols = `SELECT rule_id, rule_keyword, rule_kind, reply_xml FROM wx_messages `
	if rec.MsgID != 0 {
		row = db.QueryRowContext(ctx, cols+`WHERE account_id = $1 AND msg_id = $2 AND create_time = $3`,
			rec.AccountID, rec.MsgID, rec.CreateTime)
	} else {
		row = db.QueryRowContext(ctx, cols+`WHERE account_id = $1 AND from_user = $2 AND create_time = $3
			AND event = $4 AND msg_id IS NULL`, rec.AccountID, rec.From, rec.CreateTime, rec.Event)
	}
	var ruleID sql.NullInt64
	var keyword, kind, replyXML sql.NullString
	if err := row.Scan(&ruleID, &keyword, &kind, &replyXML); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Answer{}, false, nil
		}
		return Answer{}, false, fmt.Errorf("read stored answer: %w", err)
	}
	a := Answer{RuleID: ruleID.Int64, Keyword: keyword.String, Kind: kind.String}
	if replyXML.Valid {
		a.XML = []byte(replyXML.String)
	}
	return a, true, nil
}

// insertBatch stores records in one statement and reports which of them were new. Duplicates, also
// within the batch, insert nothing.
func (s *writeStore) insertBatch(ctx context.Context, recs []*Record) (map[Key]bool, error) {
	db, err := s.sqlDB()
	if err != nil {
		return nil, err
	}
	c := batchColumns(recs)
	rows, err := db.QueryContext(ctx, insertSQL, c.account, c.msgID, c.from, c.createTime, c.msgType, c.event,
		c.eventKey, c.ticket, c.content, c.raw, c.ruleID, c.keyword, c.kind, c.replyXML, c.received)
	if err != nil {
		return nil, fmt.Errorf("insert messages: %w", err)
	}
	defer rows.Close()
	fresh := make(map[Key]bool, len(recs))
	for rows.Next() {
		var k Key
		var from, event string
		if err := rows.Scan(&k.Account, &k.MsgID, &from, &k.CreateTime, &event); err != nil {
			return nil, fmt.Errorf("insert messages: %w", err)
		}
		if k.MsgID == 0 {
			k.From, k.Event = from, event
		} else {
			k.CreateTime = 0
		}
		fresh[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert messages: %w", err)
	}
	return fresh, nil
}

// Key is the record's dedup key, from its stored (cleaned) fields, as insertBatch reports it.
func (r *Record) Key() Key {
	if r.MsgID != 0 {
		return Key{Account: r.AccountID, MsgID: r.MsgID}
	}
	return Key{Account: r.AccountID, From: r.From, CreateTime: r.CreateTime, Event: r.Event}
}

// isOwn reports whether the stored row of r's message is r itself (same receipt time), after an INSERT
// whose outcome was uncertain.
func (s *writeStore) isOwn(ctx context.Context, r *Record) (bool, error) {
	db, err := s.sqlDB()
	if err != nil {
		return false, err
	}
	var at time.Time
	if r.MsgID != 0 {
		err = db.QueryRowContext(ctx, `SELECT received_at FROM wx_messages WHERE account_id = $1 AND msg_id = $2
			AND create_time = $3`, r.AccountID, r.MsgID, r.CreateTime).Scan(&at)
	} else {
		err = db.QueryRowContext(ctx, `SELECT received_at FROM wx_messages WHERE account_id = $1 AND from_user = $2
			AND create_time = $3 AND event = $4 AND msg_id IS NULL`, r.AccountID, r.From, r.CreateTime, r.Event).Scan(&at)
	}
	if err != nil {
		return false, err
	}
	return at.Equal(r.Received), nil
}

// permanent reports errors that retrying the same record cannot fix: Postgres refused the data itself
// (class 22, data exception) or a constraint other than the unique ones (class 23, e.g. the account was
// deleted). Connection failures and timeouts are transient.
func permanent(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return strings.HasPrefix(pgErr.Code, "22") || strings.HasPrefix(pgErr.Code, "23")
}

package callback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// record is one message row as the callback writes it.
type record struct {
	accountID  int64
	msgID      int64 // 0 for events
	from       string
	createTime int64
	msgType    string
	event      string
	eventKey   string
	ticket     string
	content    string
	raw        string
	received   time.Time // to the microsecond, as Postgres keeps it
	ans        answer
	msg        *wxcrypto.Message // for the observer, when the writer stores it late
	// uncertain is set when an INSERT of this record failed in a way that may hide a commit (a timeout):
	// if the writer then finds the row, it checks whether the row is this record's.
	uncertain bool
}

func newRecord(accountID int64, in inbound, ans answer, received time.Time) *record {
	m := in.msg
	r := &record{
		accountID:  accountID,
		from:       clean(m.FromUserName),
		createTime: m.CreateTime,
		msgType:    clean(m.MsgType),
		event:      clean(m.Event),
		eventKey:   clean(m.EventKey),
		ticket:     clean(m.Ticket),
		content:    clean(summary(m)),
		raw:        clean(in.raw),
		received:   received.Truncate(time.Microsecond),
		ans:        ans,
		msg:        m,
	}
	if !isEvent(m) {
		r.msgID = m.MsgID
	}
	return r
}

// size approximates the memory a queued record holds.
func (r *record) size() int {
	return 256 + len(r.from) + len(r.eventKey) + len(r.ticket) + len(r.content) + len(r.raw) + len(r.ans.xml)
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

// store is the SQL of the messages table. It uses database/sql under GORM's pool directly: the INSERT runs
// thousands of times a second, and pgx caches its prepared statement per connection.
type store struct {
	gdb *gorm.DB
}

func newStore(gdb *gorm.DB) *store { return &store{gdb: gdb} }

func (s *store) sqlDB() (*sql.DB, error) { return s.gdb.DB() }

const insertColumns = `account_id, msg_id, from_user, create_time, msg_type, event, event_key, ticket, content,
	raw_xml, rule_id, rule_keyword, rule_kind, reply_xml, received_at`

const columnsPerRow = 15

func (r *record) args(dst []any) []any {
	var msgID, ruleID, keyword, kind, replyXML any
	if r.msgID != 0 {
		msgID = r.msgID
	}
	if r.ans.kind != "" {
		ruleID, keyword, kind = r.ans.ruleID, clean(r.ans.keyword), r.ans.kind
	}
	if r.ans.xml != nil {
		replyXML = clean(string(r.ans.xml))
	}
	return append(dst, r.accountID, msgID, r.from, r.createTime, r.msgType, r.event, r.eventKey, r.ticket,
		r.content, r.raw, ruleID, keyword, kind, replyXML, r.received.UTC())
}

// answerOf reads the answer stored with the first delivery of rec's message.
func (s *store) answerOf(ctx context.Context, rec *record) (answer, bool, error) {
	db, err := s.sqlDB()
	if err != nil {
		return answer{}, false, err
	}
	var row *sql.Row
	const cols = `SELECT rule_id, rule_keyword, rule_kind, reply_xml FROM wx_messages `
	if rec.msgID != 0 {
		row = db.QueryRowContext(ctx, cols+`WHERE account_id = $1 AND msg_id = $2`, rec.accountID, rec.msgID)
	} else {
		row = db.QueryRowContext(ctx, cols+`WHERE account_id = $1 AND from_user = $2 AND create_time = $3
			AND event = $4 AND msg_id IS NULL`, rec.accountID, rec.from, rec.createTime, rec.event)
	}
	var ruleID sql.NullInt64
	var keyword, kind, replyXML sql.NullString
	if err := row.Scan(&ruleID, &keyword, &kind, &replyXML); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return answer{}, false, nil
		}
		return answer{}, false, fmt.Errorf("read stored answer: %w", err)
	}
	a := answer{ruleID: ruleID.Int64, keyword: keyword.String, kind: kind.String}
	if replyXML.Valid {
		a.xml = []byte(replyXML.String)
	}
	return a, true, nil
}

// insertBatch stores records in one statement and reports which of them were new. Duplicates, also
// within the batch, insert nothing.
func (s *store) insertBatch(ctx context.Context, recs []*record) (map[msgKey]bool, error) {
	db, err := s.sqlDB()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.Grow(128 + len(recs)*80)
	b.WriteString("INSERT INTO wx_messages (" + insertColumns + ") VALUES ")
	args := make([]any, 0, len(recs)*columnsPerRow)
	for i, r := range recs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range columnsPerRow {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i*columnsPerRow + j + 1))
		}
		b.WriteByte(')')
		args = r.args(args)
	}
	b.WriteString(" ON CONFLICT DO NOTHING RETURNING account_id, COALESCE(msg_id, 0), from_user, create_time, event")
	rows, err := db.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("insert messages: %w", err)
	}
	defer rows.Close()
	fresh := make(map[msgKey]bool, len(recs))
	for rows.Next() {
		var k msgKey
		var from, event string
		if err := rows.Scan(&k.account, &k.msgID, &from, &k.createTime, &event); err != nil {
			return nil, fmt.Errorf("insert messages: %w", err)
		}
		if k.msgID == 0 {
			k.from, k.event = from, event
		} else {
			k.createTime = 0
		}
		fresh[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert messages: %w", err)
	}
	return fresh, nil
}

// key is the record's msgKey, from its stored (cleaned) fields, as insertBatch reports it.
func (r *record) key() msgKey {
	if r.msgID != 0 {
		return msgKey{account: r.accountID, msgID: r.msgID}
	}
	return msgKey{account: r.accountID, from: r.from, createTime: r.createTime, event: r.event}
}

// isOwn reports whether the stored row of r's message is r itself (same receipt time), after an INSERT
// whose outcome was uncertain.
func (s *store) isOwn(ctx context.Context, r *record) (bool, error) {
	db, err := s.sqlDB()
	if err != nil {
		return false, err
	}
	var at time.Time
	if r.msgID != 0 {
		err = db.QueryRowContext(ctx, `SELECT received_at FROM wx_messages WHERE account_id = $1 AND msg_id = $2`,
			r.accountID, r.msgID).Scan(&at)
	} else {
		err = db.QueryRowContext(ctx, `SELECT received_at FROM wx_messages WHERE account_id = $1 AND from_user = $2
			AND create_time = $3 AND event = $4 AND msg_id IS NULL`, r.accountID, r.from, r.createTime, r.event).Scan(&at)
	}
	if err != nil {
		return false, err
	}
	return at.Equal(r.received), nil
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

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

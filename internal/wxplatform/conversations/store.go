package conversations

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// store is the package's SQL, on database/sql under GORM's pool: the lists are read on every page view and
// live event, and pgx caches their prepared statements per connection.
type store struct {
	db *sql.DB
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

const conversationCols = `c.openid, coalesce(f.nickname, ''), coalesce(f.remark, ''), c.last_text, c.last_dir,
	c.last_type, c.last_id, c.last_at, c.unread, c.assignee_id, u.username, c.msg_until, c.msg_left, c.evt_until, c.evt_left`

const conversationFrom = ` FROM wx_conversations c
	LEFT JOIN wx_followers f ON f.account_id = c.account_id AND f.openid = c.openid
	LEFT JOIN users u ON u.id = c.assignee_id `

type scanner interface{ Scan(dest ...any) error }

// winState is the stored window of a conversation.
type winState struct {
	msgUntil, evtUntil sql.NullTime
	msgLeft, evtLeft   int
}

// window answers the window at now: the usable window with the most messages left; when none is
// usable, closesAt is when the last one closed (or null) and remaining 0.
func (w winState) window(now time.Time) Window {
	var out Window
	if w.msgUntil.Valid && now.Before(w.msgUntil.Time) && w.msgLeft > 0 {
		t := w.msgUntil.Time.UTC()
		out = Window{Open: true, ClosesAt: &t, Remaining: w.msgLeft}
	}
	if w.evtUntil.Valid && now.Before(w.evtUntil.Time) && w.evtLeft > out.Remaining {
		t := w.evtUntil.Time.UTC()
		out = Window{Open: true, ClosesAt: &t, Remaining: w.evtLeft}
	}
	if out.Open {
		return out
	}
	var last *time.Time
	for _, u := range []sql.NullTime{w.msgUntil, w.evtUntil} {
		if u.Valid && (last == nil || u.Time.After(*last)) {
			t := u.Time.UTC()
			last = &t
		}
	}
	if last != nil && last.After(now) {
		// Open in time but its quota is used: it reopens only with a new interaction.
		t := now.UTC()
		last = &t
	}
	return Window{ClosesAt: last}
}

func scanConversation(row scanner, now time.Time) (*Conversation, error) {
	var c Conversation
	var assignee sql.NullInt64
	var assigneeName sql.NullString
	var w winState
	if err := row.Scan(&c.OpenID, &c.Nickname, &c.Remark, &c.LastMessage, &c.LastDirection, &c.LastType, &c.LastID,
		&c.LastAt, &c.Unread, &assignee, &assigneeName, &w.msgUntil, &w.msgLeft, &w.evtUntil, &w.evtLeft); err != nil {
		return nil, err
	}
	c.LastAt = c.LastAt.UTC()
	if assignee.Valid {
		c.Assignee = &assignee.Int64
		if assigneeName.Valid {
			c.AssigneeName = &assigneeName.String
		}
	}
	c.Window = w.window(now)
	return &c, nil
}

// likePattern escapes q for LIKE and wraps it in %…%.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

func (s *store) list(ctx context.Context, accountID, me int64, q ListQuery, now time.Time) ([]Conversation, int64, error) {
	where := []string{"c.account_id = $1"}
	args := []any{accountID}
	if q.Unread {
		where = append(where, "c.unread > 0")
	}
	switch {
	case q.Assignee == AssigneeNone:
		where = append(where, "c.assignee_id IS NULL")
	case q.Assignee > 0:
		args = append(args, q.Assignee)
		where = append(where, "c.assignee_id = $"+strconv.Itoa(len(args)))
	}
	if q.Q != "" {
		return s.search(ctx, accountID, q, where, args, now)
	}
	cond := strings.Join(where, " AND ")
	total, err := s.count(ctx, accountID, q)
	if err != nil {
		return nil, 0, err
	}
	out := []Conversation{}
	if total == 0 || int64(q.Offset) >= total {
		return out, total, nil
	}
	args = append(args, q.Limit, q.Offset)
	rows, err := s.db.QueryContext(ctx, "SELECT "+conversationCols+conversationFrom+" WHERE "+cond+
		" ORDER BY c.last_at DESC, c.openid LIMIT $"+strconv.Itoa(len(args)-1)+" OFFSET $"+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list conversations: %w", err)
	}
	out, err = scanConversations(rows, now, out, nil)
	return out, total, err
}

func scanConversations(rows *sql.Rows, now time.Time, out []Conversation, total *int64) ([]Conversation, error) {
	defer rows.Close()
	for rows.Next() {
		var c *Conversation
		var err error
		if total != nil {
			c, err = scanConversation(rowWithTotal{rows, total}, now)
		} else {
			c, err = scanConversation(rows, now)
		}
		if err != nil {
			return nil, fmt.Errorf("list conversations: %w", err)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	return out, nil
}

// rowWithTotal scans a row of the search, whose last column is the count of all its matches.
type rowWithTotal struct {
	rows  *sql.Rows
	total *int64
}

func (r rowWithTotal) Scan(dest ...any) error { return r.rows.Scan(append(dest, r.total)...) }

// search answers a page of the conversations matching q.Q and its exact count in one pass over the
// matches: the candidates come from both trigram indexes (the mirror's nickname, remark and openid of
// subscribed followers; the conversations' openids), each looked up by the summaries' primary key (not a
// scan of the account's summaries), counted by a window before the page is cut, and only the page's rows
// are joined with the follower and the assignee.
func (s *store) search(ctx context.Context, accountID int64, q ListQuery, where []string, args []any, now time.Time) ([]Conversation, int64, error) {
	args = append(args, likePattern(q.Q))
	n := strconv.Itoa(len(args))
	matches := `(SELECT openid FROM wx_followers WHERE account_id = $1 AND subscribed AND search LIKE $` + n + `
		UNION SELECT openid FROM wx_conversations WHERE account_id = $1 AND lower(openid) LIKE $` + n + `) m
		CROSS JOIN LATERAL (SELECT * FROM wx_conversations c WHERE c.account_id = $1 AND c.openid = m.openid
			AND ` + strings.Join(where, " AND ") + ` OFFSET 0) c` // OFFSET 0: one index lookup per match, not a scan
	args = append(args, q.Limit, q.Offset)
	rows, err := s.db.QueryContext(ctx, `SELECT `+conversationCols+`, c.total FROM (
			SELECT c.*, count(*) OVER () AS total FROM `+matches+`
			ORDER BY c.last_at DESC, c.openid LIMIT $`+strconv.Itoa(len(args)-1)+` OFFSET $`+strconv.Itoa(len(args))+`) c
		LEFT JOIN wx_followers f ON f.account_id = c.account_id AND f.openid = c.openid
		LEFT JOIN users u ON u.id = c.assignee_id
		ORDER BY c.last_at DESC, c.openid`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("search conversations: %w", err)
	}
	var total int64
	out, err := scanConversations(rows, now, []Conversation{}, &total)
	if err != nil || len(out) > 0 || q.Offset == 0 {
		return out, total, err
	}
	// A page past the last match: count them alone.
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+matches, args[:len(args)-2]...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("search conversations: %w", err)
	}
	return out, total, nil
}

// count answers the exact number of conversations q selects. Without a search it is read from the
// counters the triggers keep per account and assignee (migration 00150): one index lookup whatever the
// account's size. A search counts its matches itself (search).
func (s *store) count(ctx context.Context, accountID int64, q ListQuery) (int64, error) {
	col := "total"
	if q.Unread {
		col = "unread"
	}
	where := "account_id = $1"
	args := []any{accountID}
	switch {
	case q.Assignee == AssigneeNone:
		where += " AND assignee_id = 0"
	case q.Assignee > 0:
		where += " AND assignee_id = $2"
		args = append(args, q.Assignee)
	}
	var total int64
	if err := s.db.QueryRowContext(ctx, "SELECT coalesce(sum("+col+"), 0)::bigint FROM wx_conversation_counts WHERE "+where,
		args...).Scan(&total); err != nil {
		return 0, fmt.Errorf("count conversations: %w", err)
	}
	return total, nil
}

// conversation answers one conversation, or ErrNoConversation.
func (s *store) conversation(ctx context.Context, accountID int64, openid string, now time.Time) (*Conversation, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+conversationCols+conversationFrom+" WHERE c.account_id = $1 AND c.openid = $2",
		accountID, openid)
	c, err := scanConversation(row, now)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoConversation
	}
	if err != nil {
		return nil, fmt.Errorf("conversation: %w", err)
	}
	return c, nil
}

// isFollower reports whether openid has a conversation or is in the follower mirror.
func (s *store) isFollower(ctx context.Context, accountID int64, openid string) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM wx_conversations WHERE account_id = $1 AND openid = $2)
		OR EXISTS (SELECT 1 FROM wx_followers WHERE account_id = $1 AND openid = $2)`, accountID, openid).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("find follower: %w", err)
	}
	return ok, nil
}

// cursor answers the time of item id of the conversation, for keyset paging.
func (s *store) cursor(ctx context.Context, accountID int64, openid string, id int64) (time.Time, bool, error) {
	var at time.Time
	err := s.db.QueryRowContext(ctx, `SELECT received_at FROM wx_messages WHERE id = $1 AND account_id = $2 AND from_user = $3
		UNION ALL SELECT created_at FROM wx_cs_messages WHERE id = $1 AND account_id = $2 AND openid = $3 LIMIT 1`,
		id, accountID, openid).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("timeline cursor: %w", err)
	}
	return at, true, nil
}

const inCols = `id, from_user, msg_type, event, event_key, content, received_at, rule_keyword, rule_kind, reply_xml`

const outCols = `m.id, m.openid, m.msg_type, m.body, m.content, m.created_at, m.operator_id, m.operator, m.status, m.wx_errcode, m.wx_errmsg`

// timeline answers up to limit items of a conversation older than (at, id) when before is set, newest
// first: the follower's messages (each followed by its automatic answer) and what operators sent.
func (s *store) timeline(ctx context.Context, accountID int64, openid string, before bool, at time.Time, id int64, limit int) ([]Item, error) {
	cond, args := "", []any{accountID, openid, limit}
	if before {
		cond, args = " AND (%s, id) < ($4, $5)", append(args, at, id)
	}
	inCond := cond
	outCond := cond
	if before {
		inCond = fmt.Sprintf(cond, "received_at")
		outCond = strings.Replace(fmt.Sprintf(cond, "m.created_at"), "id)", "m.id)", 1)
	}
	var items []Item
	rows, err := s.db.QueryContext(ctx, `SELECT `+inCols+` FROM wx_messages WHERE account_id = $1 AND from_user = $2`+inCond+`
		ORDER BY received_at DESC, id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	if items, err = scanIn(rows, items); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT `+outCols+` FROM wx_cs_messages m WHERE m.account_id = $1 AND m.openid = $2`+outCond+`
		ORDER BY m.created_at DESC, m.id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	return scanOut(rows, items)
}

// itemsByID answers the items of ids (in or out) of one account, for live events.
func (s *store) itemsByID(ctx context.Context, ids []int64) (map[int64][]Item, map[int64]int64, error) {
	out := map[int64][]Item{}
	accounts := map[int64]int64{}
	if len(ids) == 0 {
		return out, accounts, nil
	}
	list := int64Array(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT account_id, `+inCols+` FROM wx_messages WHERE id = ANY($1::bigint[])`, list)
	if err != nil {
		return nil, nil, fmt.Errorf("live items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var acct int64
		it, auto, err := scanInRow(rows, &acct)
		if err != nil {
			return nil, nil, err
		}
		accounts[it.ID] = acct
		out[it.ID] = append(out[it.ID], it)
		if auto != nil {
			out[it.ID] = append(out[it.ID], *auto)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows2, err := s.db.QueryContext(ctx, `SELECT `+outCols+` FROM wx_cs_messages m WHERE m.id = ANY($1::bigint[])`, list)
	if err != nil {
		return nil, nil, fmt.Errorf("live items: %w", err)
	}
	items, err := scanOut(rows2, nil)
	if err != nil {
		return nil, nil, err
	}
	for _, it := range items {
		out[it.ID] = append(out[it.ID], it)
	}
	return out, accounts, nil
}

func int64Array(ids []int64) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(itoa(id))
	}
	b.WriteByte('}')
	return b.String()
}

func scanIn(rows *sql.Rows, items []Item) ([]Item, error) {
	defer rows.Close()
	for rows.Next() {
		it, auto, err := scanInRow(rows, nil)
		if err != nil {
			return nil, err
		}
		// Newest first: the answer (newer) before its message.
		if auto != nil {
			items = append(items, *auto)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	return items, nil
}

func scanInRow(rows *sql.Rows, account *int64) (Item, *Item, error) {
	var it Item
	var keyword, kind, replyXML sql.NullString
	dest := []any{&it.ID, &it.OpenID, &it.Type, &it.Event, &it.EventKey, &it.Content, &it.At, &keyword, &kind, &replyXML}
	if account != nil {
		dest = append([]any{account}, dest...)
	}
	if err := rows.Scan(dest...); err != nil {
		return Item{}, nil, fmt.Errorf("timeline: %w", err)
	}
	it.Direction, it.Status, it.At = "in", "sent", it.At.UTC()
	if it.Type == "event" && it.Content == "" {
		it.Content = it.Event
	}
	if kind.Valid && kind.String != "" {
		rule := keyword.String
		if rule == "" {
			rule = kind.String
		}
		k := kind.String
		it.Rule, it.RuleKind = &rule, &k
	}
	if !replyXML.Valid {
		return it, nil, nil
	}
	auto := autoReply(it, replyXML.String)
	return it, auto, nil
}

// autoReply is the timeline item of a rule's passive answer to in.
func autoReply(in Item, xml string) *Item {
	r, err := wxcrypto.ParseReply([]byte(xml))
	if err != nil {
		return nil
	}
	it := Item{ID: in.ID, OpenID: in.OpenID, Direction: "out", Auto: true, At: in.At, Rule: in.Rule, RuleKind: in.RuleKind, Status: "sent"}
	switch r.MsgType {
	case "text":
		it.Type, it.Content, it.Reply = "text", r.Content, map[string]string{"content": r.Content}
	case "image", "voice":
		it.Type, it.Content, it.Reply = r.MsgType, "["+r.MsgType+"]", map[string]string{"mediaId": r.MediaID}
	case "video":
		it.Type, it.Content, it.Reply = "video", r.Title, map[string]string{"title": r.Title, "description": r.Description, "mediaId": r.MediaID}
	case "music":
		it.Type, it.Content, it.Reply = "music", r.Title, map[string]string{"title": r.Title, "description": r.Description,
			"musicUrl": r.MusicURL, "hqMusicUrl": r.HQMusicURL, "thumbMediaId": r.ThumbMediaID}
	case "news":
		list := make([]map[string]string, 0, len(r.Articles))
		for _, a := range r.Articles {
			list = append(list, map[string]string{"title": a.Title, "description": a.Description, "picurl": a.PicURL, "url": a.URL})
		}
		it.Type = "multitext"
		if len(list) > 0 {
			it.Content = list[0]["title"]
		}
		if len(list) == 1 {
			it.Reply = list[0]
		} else {
			it.Reply = list
		}
	default:
		it.Type, it.Content = r.MsgType, "["+r.MsgType+"]"
	}
	return &it
}

func scanOut(rows *sql.Rows, items []Item) ([]Item, error) {
	defer rows.Close()
	for rows.Next() {
		var it Item
		var body []byte
		var opID sql.NullInt64
		var op string
		var code sql.NullInt32
		var msg sql.NullString
		if err := rows.Scan(&it.ID, &it.OpenID, &it.Type, &body, &it.Content, &it.At, &opID, &op, &it.Status, &code, &msg); err != nil {
			return nil, fmt.Errorf("timeline: %w", err)
		}
		it.Direction, it.At = "out", it.At.UTC()
		var reply any
		if json.Unmarshal(body, &reply) == nil {
			it.Reply = reply
		}
		if opID.Valid {
			it.OperatorID = &opID.Int64
		}
		if op != "" {
			it.Operator = &op
		}
		if code.Valid && code.Int32 != 0 {
			c := int(code.Int32)
			it.WxErrcode = &c
		}
		if msg.Valid && it.Status == "failed" {
			it.WxErrmsg = &msg.String
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("timeline: %w", err)
	}
	return items, nil
}

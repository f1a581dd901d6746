package messages

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// Inbox paging limits.
const (
	DefaultInboxLimit = 20
	MaxInboxLimit     = 100
)

// InboxMessage is a stored message as /apis/wxplatform/messages shows it.
type InboxMessage struct {
	// MsgID is WeChat's 64-bit MsgId as a decimal string (a JSON number would lose digits in JavaScript);
	// null for events.
	MsgID    *string `json:"msgId"`
	OpenID   string  `json:"openid"`
	Type     string  `json:"type"`
	Content  string  `json:"content"`
	Event    string  `json:"event"`
	EventKey string  `json:"eventKey"`
	Ticket   string  `json:"ticket,omitempty"`
	// CreatedAt is when the console first received the message.
	CreatedAt time.Time `json:"createdAt"`
	// Rule is the keyword of the rule that answered, the rule's kind ("subscribe", "default") when it has
	// no keyword, or null when no rule answered.
	Rule     *string `json:"rule"`
	RuleKind *string `json:"ruleKind"`
	// Reply is the answer as the reply API shows a rule's reply, or null when the answer was "success".
	Reply *ReplyView `json:"reply"`
}

// ReplyView is a passive reply in the reply API's words (contract §6): type text|image|voice|video|music|
// multitext and the reply object of that type; a multitext reply of several articles is an array.
type ReplyView struct {
	Type  string `json:"type"`
	Reply any    `json:"reply"`
}

// InboxPage is one page of the inbox, newest first.
type InboxPage struct {
	Total    int64          `json:"total"`
	Messages []InboxMessage `json:"messages"`
}

// InboxQuery selects a page of an account's inbox.
type InboxQuery struct {
	AccountID int64
	OpenID    string // only this follower's messages, when set
	Offset    int
	Limit     int
}

// Inbox answers a page of an account's stored messages, newest first. Messages still waiting in the queue
// (Postgres was down) appear once they are written.
func (s *Store) Inbox(ctx context.Context, q InboxQuery) (*InboxPage, error) {
	if q.Limit <= 0 || q.Limit > MaxInboxLimit {
		q.Limit = DefaultInboxLimit
	}
	q.Offset = max(q.Offset, 0)
	db, err := s.db.DB()
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	where, args := "account_id = $1", []any{q.AccountID}
	if q.OpenID != "" {
		where, args = "account_id = $1 AND from_user = $2", append(args, q.OpenID)
	}
	page := &InboxPage{Messages: []InboxMessage{}}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM wx_messages WHERE "+where, args...).Scan(&page.Total); err != nil {
		return nil, fmt.Errorf("inbox count: %w", err)
	}
	if page.Total == 0 || int64(q.Offset) >= page.Total {
		return page, nil
	}
	n := len(args)
	rows, err := db.QueryContext(ctx, `SELECT msg_id, from_user, msg_type, content, event, event_key, ticket,
		received_at, rule_keyword, rule_kind, reply_xml FROM wx_messages WHERE `+where+`
		ORDER BY received_at DESC, id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2),
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m InboxMessage
		var msgID sql.NullInt64
		var keyword, kind, replyXML sql.NullString
		if err := rows.Scan(&msgID, &m.OpenID, &m.Type, &m.Content, &m.Event, &m.EventKey, &m.Ticket,
			&m.CreatedAt, &keyword, &kind, &replyXML); err != nil {
			return nil, fmt.Errorf("inbox: %w", err)
		}
		if msgID.Valid {
			s := strconv.FormatInt(msgID.Int64, 10)
			m.MsgID = &s
		}
		if kind.Valid && kind.String != "" {
			rule := keyword.String
			if rule == "" {
				rule = kind.String
			}
			m.Rule, m.RuleKind = &rule, &kind.String
		}
		if replyXML.Valid {
			m.Reply = replyView([]byte(replyXML.String))
		}
		m.CreatedAt = m.CreatedAt.UTC()
		page.Messages = append(page.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return page, nil
}

// replyView turns stored reply XML back into the reply API's shape.
func replyView(data []byte) *ReplyView {
	r, err := wxcrypto.ParseReply(data)
	if err != nil {
		return nil
	}
	switch r.MsgType {
	case "text":
		return &ReplyView{Type: "text", Reply: map[string]string{"content": r.Content}}
	case "image", "voice":
		return &ReplyView{Type: r.MsgType, Reply: map[string]string{"mediaId": r.MediaID}}
	case "video":
		return &ReplyView{Type: "video", Reply: map[string]string{"title": r.Title, "description": r.Description, "mediaId": r.MediaID}}
	case "music":
		return &ReplyView{Type: "music", Reply: map[string]string{"title": r.Title, "description": r.Description,
			"musicUrl": r.MusicURL, "hqMusicUrl": r.HQMusicURL, "thumbMediaId": r.ThumbMediaID}}
	case "news":
		items := make([]map[string]string, 0, len(r.Articles))
		for _, a := range r.Articles {
			items = append(items, map[string]string{"title": a.Title, "description": a.Description, "picurl": a.PicURL, "url": a.URL})
		}
		if len(items) == 1 {
			return &ReplyView{Type: "multitext", Reply: items[0]}
		}
		return &ReplyView{Type: "multitext", Reply: items}
	}
	return &ReplyView{Type: r.MsgType, Reply: map[string]string{}}
}

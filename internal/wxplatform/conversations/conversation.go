// Package conversations lets operators answer followers from the console (contract §16): one conversation
// per follower with unread counts, assignment and WeChat's customer-service window; a timeline that
// interleaves what the follower sent, what rules answered and what operators sent; sending through
// message/custom/send; quick replies; and the live stream (/apis/wxplatform/events) fed by Postgres
// LISTEN/NOTIFY.
//
// The callback's message store is not changed: a statement trigger on wx_messages (migration 00070) keeps
// wx_conversations and the short event log wx_live_events up to date from every batch it inserts, and
// NOTIFY wx_live announces each event to every console process on commit.
package conversations

import (
	"encoding/json"
	"time"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// WeChat's customer-service window (contract §16): a follower message opens MessageQuota messages for
// MessageWindow; a menu click (click and scancode events), a follow or a QR scan opens EventQuota for
// EventWindow.
const (
	MessageWindow = 48 * time.Hour
	MessageQuota  = 5
	EventWindow   = time.Minute
	EventQuota    = 3
	// MaxTextBytes is WeChat's limit on a text message.
	MaxTextBytes = 2048
)

// Paging limits.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Errors of the package.
var (
	ErrNoConversation = apperr.New(apperr.NotFound, "openid: no conversation with this follower").WithKey("err.conversation.none")
	ErrUnknownOpenID  = apperr.New(apperr.NotFound, "openid: not a follower of this account").WithKey("err.conversation.unknown_openid")
	ErrNoQuickReply   = apperr.New(apperr.NotFound, "quick reply not found").WithKey("err.conversation.no_quick_reply")
	ErrNoMessage      = apperr.New(apperr.NotFound, "message not found").WithKey("err.conversation.no_message")
)

// Window is a follower's customer-service window as the console counts it.
type Window struct {
	Open      bool       `json:"open"`
	ClosesAt  *time.Time `json:"closesAt"`
	Remaining int        `json:"remaining"`
}

// Conversation is one follower's conversation as listConversations shows it.
type Conversation struct {
	OpenID        string    `json:"openid"`
	Nickname      string    `json:"nickname"`
	Remark        string    `json:"remark"`
	LastMessage   string    `json:"lastMessage"`   // a preview of the newest item
	LastDirection string    `json:"lastDirection"` // in | out
	LastType      string    `json:"lastType"`
	LastID        int64     `json:"lastId"`
	LastAt        time.Time `json:"lastAt"`
	Unread        int       `json:"unread"`
	Assignee      *int64    `json:"assignee"` // the operator's user id, or null
	AssigneeName  *string   `json:"assigneeName"`
	Window        Window    `json:"window"`
}

// Name is what a list shows for the follower: the remark, else the nickname, else the openid.
func (c *Conversation) Name() string {
	switch {
	case c.Remark != "":
		return c.Remark
	case c.Nickname != "":
		return c.Nickname
	}
	return c.OpenID
}

// Item is one entry of a conversation's timeline.
type Item struct {
	ID        int64     `json:"id"`
	Direction string    `json:"direction"` // in: the follower; out: a rule's answer or an operator
	Type      string    `json:"type"`      // in: WeChat's MsgType; out: the reply type (text … multitext, msgmenu)
	Content   string    `json:"content"`   // the text, a title, a menu's head; for events the event name
	Event     string    `json:"event,omitempty"`
	EventKey  string    `json:"eventKey,omitempty"`
	Reply     any       `json:"reply,omitempty"` // out: the reply object
	At        time.Time `json:"at"`
	// Rule is the keyword of the rule that answered (or the rule's kind when it has no keyword): on the
	// follower's message and on the automatic answer.
	Rule       *string `json:"rule,omitempty"`
	RuleKind   *string `json:"ruleKind,omitempty"`
	Auto       bool    `json:"auto,omitempty"` // an automatic answer (a rule), not an operator
	Operator   *string `json:"operator,omitempty"`
	OperatorID *int64  `json:"operatorId,omitempty"`
	Status     string  `json:"status"` // sent | failed (sending while WeChat is being asked)
	WxErrcode  *int    `json:"wxErrcode,omitempty"`
	WxErrmsg   *string `json:"wxErrmsg,omitempty"`
	OpenID     string  `json:"-"`
}

// Key identifies an item on a page: an automatic answer shares its message's id.
func (it *Item) Key() string {
	if it.Auto {
		return "a" + itoa(it.ID)
	}
	return it.Direction[:1] + itoa(it.ID)
}

// Timeline is a page of a conversation, oldest first; Before continues with older items (0: none).
type Timeline struct {
	Conversation *Conversation `json:"conversation"`
	Messages     []Item        `json:"messages"`
	Before       int64         `json:"before,omitempty"`
	HasMore      bool          `json:"hasMore"`
}

// QuickReply is a canned answer.
type QuickReply struct {
	ID        int64           `json:"id"`
	Title     string          `json:"title"`
	Type      string          `json:"type"`
	Reply     json.RawMessage `json:"reply"`
	UpdatedAt time.Time       `json:"updatedAt"`
}

// ListQuery selects conversations.
type ListQuery struct {
	Offset, Limit int
	Unread        bool
	// Assignee: 0 any; >0 that user; AssigneeNone the unassigned.
	Assignee int64
	Q        string
}

// AssigneeNone selects unassigned conversations in ListQuery.
const AssigneeNone = -1

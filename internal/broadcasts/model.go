// Package broadcasts sends one message to many followers (contract §18): mass messages
// (cgi-bin/message/mass/*) and template messages (cgi-bin/message/template/send), each a broadcast run as a
// durable River job with its progress in Postgres.
//
// Exactly once. A broadcast is sent by one process at a time, the holder of its lease (owner,
// heartbeat_at); another process takes over when the lease lapses (BROADCAST_LEASE). Every WeChat call
// carries a dedup id made of the broadcast's nonce: a mass call's clientmsgid names the broadcast and chunk
// (WeChat answers 45065 with the earlier msg_id when the chunk was sent already), a template call's
// client_msg_id the broadcast and follower (WeChat sends once per openid and id). Each recipient's state
// is written in the same transaction that counts it done, so work lost by a crash is at most the calls
// made since the last commit, and resending those is answered by WeChat's dedup, not by a second message.
package broadcasts

import (
	"encoding/json"
	"errors"
	"regexp"
	"time"
)

// Kinds of broadcast.
const (
	KindMass     = "mass"
	KindTemplate = "template"
)

// States of a broadcast.
const (
	StatePendingApproval = "pending_approval"
	StateRejected        = "rejected"
	StateQueued          = "queued"
	StateSending         = "sending"
	StateSent            = "sent"
	StateFailed          = "failed"
	StateCancelled       = "cancelled"
)

// Recipient statuses.
const (
	StatusPending   = "pending"
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// MaxOpenIDs is the longest openid list a broadcast or a preview takes.
const MaxOpenIDs = 10000

// Errors of the package.
var (
	ErrNotFound = errors.New("broadcasts: not found")
)

// Target is who a broadcast reaches: every follower, a tag's followers, a list of openids, or (template
// messages only) one follower.
type Target struct {
	All     bool     `json:"all,omitempty"`
	TagID   *int     `json:"tagId,omitempty"`
	OpenIDs []string `json:"openids,omitempty"`
	OpenID  string   `json:"openid,omitempty"`
}

// Counts are a broadcast's outcome so far.
type Counts struct {
	Sent     int `json:"sent"`
	Failed   int `json:"failed"`
	Filtered int `json:"filtered"`
}

// Broadcast is what getBroadcast answers.
type Broadcast struct {
	ID         int64           `json:"id"`
	Kind       string          `json:"kind"`
	State      string          `json:"state"`
	Target     Target          `json:"target"`
	MsgType    string          `json:"type,omitempty"`
	Content    json.RawMessage `json:"content"`
	Total      int             `json:"total"`
	Done       int             `json:"done"`
	Counts     Counts          `json:"counts"`
	Rate       float64         `json:"rate"` // recipients per second while sending
	WxStatus   string          `json:"wxStatus,omitempty"`
	Error      string          `json:"error,omitempty"`
	CreatedBy  int64           `json:"createdBy"`
	ApprovedBy *int64          `json:"approvedBy"`
	CreatedAt  time.Time       `json:"createdAt"`
	StartedAt  *time.Time      `json:"startedAt,omitempty"`
	FinishedAt *time.Time      `json:"finishedAt"`
}

// Recipient is one follower of a broadcast.
type Recipient struct {
	OpenID    string    `json:"openid"`
	Status    string    `json:"status"`
	MsgID     *int64    `json:"msgid,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Template is one of the account's private templates.
type Template struct {
	TemplateID string   `json:"templateId"`
	Title      string   `json:"title"`
	Content    string   `json:"content"`
	Example    string   `json:"example"`
	Fields     []string `json:"fields"`
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\.DATA\s*\}\}`)

// Fields answers the names of content's {{name.DATA}} placeholders, in order, each once.
func Fields(content string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, m := range placeholder.FindAllStringSubmatch(content, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// templateContent is what a template broadcast stores as its content.
type templateContent struct {
	TemplateID  string            `json:"templateId"`
	Data        map[string]string `json:"data"`
	URL         string            `json:"url,omitempty"`
	MiniProgram *MiniProgram      `json:"miniprogram,omitempty"`
}

// MiniProgram is the mini program a template message opens.
type MiniProgram struct {
	AppID    string `json:"appid"`
	PagePath string `json:"pagepath,omitempty"`
}

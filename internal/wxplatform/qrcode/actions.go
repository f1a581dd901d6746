package qrcode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/reply/replywire"
)

// MaxTags bounds the tags one code puts on a follower: WeChat lets a follower carry at most 20 tags.
const MaxTags = 20

// Actions are what a code does when it is scanned or followed through (contract §20): the tags it puts on
// the follower (tags/members/batchtagging, after the answer) and the reply it answers with, which wins over
// the subscribe and default replies. The zero value does nothing.
type Actions struct {
	TagIDs []int
	Reply  *Reply
}

// Reply is a code's reply: a type and its typed content, validated like a rule's reply answering an event
// (up to 8 articles).
type Reply struct {
	Type    reply.ReplyType
	Content reply.Content
}

// Empty reports whether the code does nothing beyond being counted.
func (a Actions) Empty() bool { return len(a.TagIDs) == 0 && a.Reply == nil }

// ErrTagNotFound answers a tag id the account does not have (40400).
func errTagNotFound(id int) error {
	return apperr.New(apperr.NotFound, fmt.Sprintf("tagIds: the account has no tag %d", id)).
		WithKey("err.qrcode.tag_not_found", id)
}

// ParseTagIDs reads tagIds as the API receives it: a JSON array of integers, or a string of integers
// separated by commas or white space (a form field, or several form fields joined). Duplicates are dropped;
// the reserved tags 0 (no tag) and 1 (the blacklist) are refused, so a poster cannot blacklist whoever scans
// it.
func ParseTagIDs(v any) ([]int, error) {
	var items []any
	switch t := v.(type) {
	case nil:
		return nil, nil
	case []any:
		items = t
	case json.Number:
		items = []any{t}
	case string:
		s := strings.TrimSpace(t)
		if strings.HasPrefix(s, "[") {
			var arr []any
			dec := json.NewDecoder(strings.NewReader(s))
			dec.UseNumber()
			if err := dec.Decode(&arr); err != nil {
				return nil, apperr.Invalidf("tagIds", "must be an array of tag ids").WithKey("err.field.tag_ids", "tagIds")
			}
			items = arr
			break
		}
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' }) {
			items = append(items, f)
		}
	default:
		return nil, apperr.Invalidf("tagIds", "must be an array of tag ids").WithKey("err.field.tag_ids", "tagIds")
	}
	out := make([]int, 0, len(items))
	for i, it := range items {
		var s string
		switch x := it.(type) {
		case json.Number:
			s = x.String()
		case string:
			s = strings.TrimSpace(x)
		default:
			return nil, apperr.Invalidf(fmt.Sprintf("tagIds[%d]", i), "must be a tag id").WithKey("err.field.tag_id", fmt.Sprintf("tagIds[%d]", i))
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 2 {
			return nil, apperr.Invalidf(fmt.Sprintf("tagIds[%d]", i), "must be a tag id (2 or more: 0 and 1, the blacklist, are reserved)").WithKey("err.qrcode.tag_reserved", fmt.Sprintf("tagIds[%d]", i))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) > MaxTags {
		return nil, apperr.Invalidf("tagIds", "may hold at most %d tags (a follower carries at most %d)", MaxTags, MaxTags).WithKey("err.qrcode.tags_max", "tagIds", MaxTags, MaxTags)
	}
	return out, nil
}

// ParseReply reads a code's reply as the API receives it: {type, reply} (the reply object of that type,
// contract §6), or the spec's wrapper {type, content}. raw nil or null is no reply. It is validated like a
// rule's reply answering an event: errors name reply.reply's fields as reply.content, reply.title, ….
func ParseReply(raw json.RawMessage) (*Reply, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte(`""`)) {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, apperr.Invalidf("reply", "must be an object {type, reply}").WithKey("err.qrcode.reply_shape", "reply")
	}
	if len(obj) == 0 {
		return nil, nil
	}
	var typ string
	if t, ok := obj["type"]; ok {
		if err := json.Unmarshal(t, &typ); err != nil {
			return nil, apperr.Invalidf("reply.type", "must be a string").WithKey("err.field.string", "reply.type")
		}
	}
	inner, ok := obj["reply"]
	if !ok {
		inner, typ = raw, "" // the spec's wrapper {type, content}
	}
	if ok && strings.TrimSpace(typ) == "" {
		return nil, apperr.Missing("reply.type")
	}
	t, c, err := replywire.Decode(typ, "", inner, reply.MaxArticlesEvent)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(t, reply.MaxArticlesEvent); err != nil {
		return nil, err
	}
	return &Reply{Type: t, Content: c}, nil
}

// ReplyView is a code's reply as listQrcodes shows it: {type, reply} with the reply in the reply API's
// shape for its type.
type ReplyView struct {
	Type  reply.ReplyType `json:"type"`
	Reply any             `json:"reply"`
}

func (r *Reply) view() *ReplyView {
	if r == nil {
		return nil
	}
	return &ReplyView{Type: r.Type, Reply: r.Content.APIReply(r.Type)}
}

package conversations

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// Limits of quick replies.
const (
	MaxQuickReplies     = 200
	maxQuickReplyTitle  = 64
	quickReplyListLimit = MaxQuickReplies
)

// QuickReplyInput is what saveQuickReply receives; ID 0 creates one.
type QuickReplyInput struct {
	ID    int64
	Title string
	Type  string
	Reply json.RawMessage
}

// QuickReplies answers the account's quick replies, oldest first.
func (s *Service) QuickReplies(ctx context.Context, acct *accounts.Account) ([]QuickReply, error) {
	rows, err := s.store.db.QueryContext(ctx, `SELECT id, title, msg_type, body, updated_at FROM wx_quick_replies
		WHERE account_id = $1 ORDER BY id LIMIT $2`, acct.ID, quickReplyListLimit)
	if err != nil {
		return nil, fmt.Errorf("quick replies: %w", err)
	}
	defer rows.Close()
	out := []QuickReply{}
	for rows.Next() {
		var q QuickReply
		var body []byte
		if err := rows.Scan(&q.ID, &q.Title, &q.Type, &body, &q.UpdatedAt); err != nil {
			return nil, fmt.Errorf("quick replies: %w", err)
		}
		q.Reply, q.UpdatedAt = json.RawMessage(body), q.UpdatedAt.UTC()
		out = append(out, q)
	}
	return out, rows.Err()
}

// SaveQuickReply creates or updates a quick reply, validated as sendMessage validates a message (media
// from the materials).
func (s *Service) SaveQuickReply(ctx context.Context, acct *accounts.Account, in QuickReplyInput) (*QuickReply, error) {
	title := strings.TrimSpace(in.Title)
	switch {
	case title == "":
		return nil, apperr.Missing("title")
	case utf8.RuneCountInString(title) > maxQuickReplyTitle:
		return nil, apperr.Invalidf("title", "may be at most %d characters", maxQuickReplyTitle).WithKey("err.field.may_max_chars", "title", maxQuickReplyTitle)
	}
	out, err := parseOutgoing(in.Type, in.Reply)
	if err != nil {
		return nil, err
	}
	if err := s.checkMedia(ctx, acct.ID, out.media); err != nil {
		return nil, err
	}
	body, err := json.Marshal(out.Body)
	if err != nil {
		return nil, fmt.Errorf("save quick reply: %w", err)
	}
	q := QuickReply{Title: title, Type: out.Type, Reply: body}
	tx, err := s.store.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("save quick reply: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var before QuickReply
	if in.ID > 0 {
		before = quickBefore(ctx, tx, acct.ID, in.ID)
		err = tx.QueryRowContext(ctx, `UPDATE wx_quick_replies SET title = $3, msg_type = $4, body = $5, updated_at = now()
			WHERE id = $1 AND account_id = $2 RETURNING id, updated_at`, in.ID, acct.ID, title, out.Type, body).Scan(&q.ID, &q.UpdatedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNoQuickReply
		}
	} else {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM wx_quick_replies WHERE account_id = $1`, acct.ID).Scan(&n); err != nil {
			return nil, fmt.Errorf("save quick reply: %w", err)
		}
		if n >= MaxQuickReplies {
			return nil, apperr.Invalidf("title", "an account keeps at most %d quick replies", MaxQuickReplies).WithKey("err.conversation.quick_replies_max", "title", MaxQuickReplies)
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO wx_quick_replies (account_id, title, msg_type, body)
			VALUES ($1, $2, $3, $4) RETURNING id, updated_at`, acct.ID, title, out.Type, body).Scan(&q.ID, &q.UpdatedAt)
	}
	if err != nil {
		return nil, fmt.Errorf("save quick reply: %w", err)
	}
	if err := recordQuick(ctx, tx, acct, "saveQuickReply", q.ID, &before, &q); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("save quick reply: %w", err)
	}
	q.UpdatedAt = q.UpdatedAt.UTC()
	return &q, nil
}

// DeleteQuickReply removes one (40400 when unknown).
func (s *Service) DeleteQuickReply(ctx context.Context, acct *accounts.Account, id int64) error {
	tx, err := s.store.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete quick reply: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	before := quickBefore(ctx, tx, acct.ID, id)
	res, err := tx.ExecContext(ctx, `DELETE FROM wx_quick_replies WHERE id = $1 AND account_id = $2`, id, acct.ID)
	if err != nil {
		return fmt.Errorf("delete quick reply: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoQuickReply
	}
	if err := recordQuick(ctx, tx, acct, "deleteQuickReply", id, &before, nil); err != nil {
		return err
	}
	return tx.Commit()
}

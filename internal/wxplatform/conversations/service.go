package conversations

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is what the service asks of WeChat; *wxclient.Client implements it.
type WeChat interface {
	SendCustomMessage(ctx context.Context, appid string, m wxclient.CustomMessage) error
	Typing(ctx context.Context, appid, openid, command string) error
}

// Options wire a Service.
type Options struct {
	WeChat WeChat
	Logger *slog.Logger
	Now    func() time.Time
}

// Service is the conversations capability.
type Service struct {
	gdb   *gorm.DB
	store *store
	wx    WeChat
	log   *slog.Logger
	now   func() time.Time
}

// NewService builds the service.
func NewService(gdb *gorm.DB, opts Options) (*Service, error) {
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{gdb: gdb, store: &store{db: sqlDB}, wx: opts.WeChat, log: opts.Logger, now: opts.Now}, nil
}

// Operator is who acts: the caller.
type Operator struct {
	UserID   int64
	Username string
}

// List answers a page of the account's conversations, newest first. me resolves ListQuery's "me".
func (s *Service) List(ctx context.Context, acct *accounts.Account, q ListQuery) ([]Conversation, int64, error) {
	if q.Limit <= 0 || q.Limit > MaxLimit {
		q.Limit = DefaultLimit
	}
	q.Offset = max(q.Offset, 0)
	q.Q = strings.TrimSpace(q.Q)
	return s.store.list(ctx, acct.ID, 0, q, s.now())
}

// Conversation answers one conversation.
func (s *Service) Conversation(ctx context.Context, acct *accounts.Account, openid string) (*Conversation, error) {
	if err := checkOpenID(openid); err != nil {
		return nil, err
	}
	return s.store.conversation(ctx, acct.ID, openid, s.now())
}

func checkOpenID(openid string) error {
	switch {
	case openid == "":
		return apperr.Missing("openid")
	case len(openid) > 64:
		return apperr.Invalidf("openid", "is not an openid").WithKey("err.conversation.openid", "openid")
	}
	return nil
}

// Timeline answers up to limit items of the conversation with openid, older than item before (0: the
// newest), oldest first.
func (s *Service) Timeline(ctx context.Context, acct *accounts.Account, openid string, before int64, limit int) (*Timeline, error) {
	if err := checkOpenID(openid); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxLimit {
		limit = DefaultLimit
	}
	conv, err := s.store.conversation(ctx, acct.ID, openid, s.now())
	if errors.Is(err, ErrNoConversation) {
		ok, ferr := s.store.isFollower(ctx, acct.ID, openid)
		if ferr != nil {
			return nil, ferr
		}
		if !ok {
			return nil, ErrUnknownOpenID
		}
		conv, err = &Conversation{OpenID: openid}, nil
	}
	if err != nil {
		return nil, err
	}
	var at time.Time
	if before > 0 {
		var found bool
		if at, found, err = s.store.cursor(ctx, acct.ID, openid, before); err != nil {
			return nil, err
		}
		if !found {
			return nil, apperr.Invalidf("before", "is not a message of this conversation").WithKey("err.conversation.before", "before")
		}
	}
	items, err := s.store.timeline(ctx, acct.ID, openid, before > 0, at, before, limit)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(items, func(a, b Item) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		if a.ID != b.ID {
			if a.ID > b.ID {
				return -1
			}
			return 1
		}
		// The automatic answer is newer than the message it answers.
		switch {
		case a.Auto && !b.Auto:
			return -1
		case b.Auto && !a.Auto:
			return 1
		}
		return 0
	})
	// Keep limit messages (an answer stays with its message), newest first, then turn the page around.
	kept, units := 0, 0
	for kept < len(items) && units < limit {
		if !items[kept].Auto {
			units++
		}
		kept++
	}
	for kept < len(items) && items[kept].Auto {
		kept++
	}
	t := &Timeline{Conversation: conv, HasMore: kept < len(items) || len(items) >= limit}
	page := items[:kept]
	slices.Reverse(page)
	if page == nil {
		page = []Item{}
	}
	t.Messages = page
	if len(page) > 0 && t.HasMore {
		t.Before = page[0].ID
	}
	if !t.HasMore {
		t.Before = 0
	}
	return t, nil
}

// The 40301 sentences, and windowKeys naming each in the i18n catalogue so the pages say them in the
// operator's language.
const (
	msgWindowClosed      = "the follower's customer-service window is closed: WeChat accepts messages within 48 hours of the follower's last message (1 minute after a menu click, follow or scan)"
	msgWindowUsed        = "the follower's customer-service window has no messages left: WeChat allows 5 per follower message (3 per menu click, follow or scan)"
	msgWindowClosedShort = "the follower's customer-service window is closed"
)

var windowKeys = map[string]string{
	msgWindowClosed:      "err.conversation.window_closed",
	msgWindowUsed:        "err.conversation.window_used",
	msgWindowClosedShort: "err.conversation.window_closed_short",
}

// windowError is 40301 with the window as the console now counts it.
func windowError(msg string, w Window) error {
	var closes any
	if w.ClosesAt != nil {
		closes = w.ClosesAt.UTC().Format(time.RFC3339)
	}
	return &apperr.Error{Kind: apperr.WindowClosed, Msg: msg, Key: windowKeys[msg],
		Details: map[string]any{"windowClosesAt": closes, "remaining": w.Remaining}}
}

// SendInput is what sendMessage receives.
type SendInput struct {
	OpenID string
	Type   string
	Reply  json.RawMessage
	// RetryOf is a failed message to send again (its row is reused).
	RetryOf int64
	// ClientID is the sender's idempotency key: a second send with the same key sends nothing and answers
	// the first one's message (a double click, a form posted again, a script retrying after a timeout).
	ClientID string
}

// maxClientID bounds clientMsgId.
const maxClientID = 64

// Send sends a message to the follower through message/custom/send and stores it as `out` with its
// operator and WeChat's answer. Outside the window: 40301 without calling WeChat. WeChat's 45015/45047:
// 40301, and the window is corrected. Another WeChat failure: the message is stored as failed with the
// reason and the error (50200) returned.
func (s *Service) Send(ctx context.Context, acct *accounts.Account, op Operator, in SendInput) (*Item, error) {
	if err := checkOpenID(in.OpenID); err != nil {
		return nil, err
	}
	out, err := parseOutgoing(in.Type, in.Reply)
	if err != nil {
		return nil, err
	}
	ok, err := s.store.isFollower(ctx, acct.ID, in.OpenID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrUnknownOpenID
	}
	if err := s.checkMedia(ctx, acct.ID, out.media); err != nil {
		return nil, err
	}
	body, err := json.Marshal(out.Body)
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	if len(in.ClientID) > maxClientID {
		return nil, apperr.Invalidf("clientMsgId", "may be at most %d characters", maxClientID).WithKey("err.field.may_max_chars", "clientMsgId", maxClientID)
	}
	if in.ClientID != "" {
		if it, err := s.byClientID(ctx, acct.ID, in.ClientID); err != nil || it != nil {
			return it, err
		}
	}
	if in.RetryOf > 0 {
		if err := s.checkRetry(ctx, acct.ID, in.OpenID, in.RetryOf); err != nil {
			return nil, err
		}
	}
	// Spend one message of the window first: two operators answering at once cannot both take the last.
	if err := s.reserve(ctx, acct.ID, in.OpenID); err != nil {
		return nil, err
	}
	id, err := s.insertSending(ctx, acct.ID, in, out, body, op)
	if err != nil {
		s.refund(ctx, acct.ID, in.OpenID)
		return nil, err
	}
	if id == 0 {
		// The same clientMsgId won a race in another request: that one sends.
		s.refund(ctx, acct.ID, in.OpenID)
		return s.byClientID(ctx, acct.ID, in.ClientID)
	}
	msg := out.wx
	msg.ToUser = in.OpenID
	// Never inside a transaction: WeChat may take seconds.
	wxErr := s.wx.SendCustomMessage(ctx, acct.AppID, msg)
	code := wxclient.Code(wxErr)
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	switch {
	case wxErr == nil:
		if err := s.finish(fctx, acct.ID, in.OpenID, id, "sent", 0, "", out); err != nil {
			return nil, err
		}
	case code == wxclient.CodeResponseTimeLimit || code == wxclient.CodeResponseCountLimit:
		if err := s.correctWindow(fctx, acct.ID, in.OpenID, code); err != nil {
			return nil, err
		}
		if err := s.finish(fctx, acct.ID, in.OpenID, id, "failed", code, errmsgOf(wxErr), out); err != nil {
			return nil, err
		}
		w := s.windowOf(fctx, acct.ID, in.OpenID)
		msg := msgWindowClosed
		if code == wxclient.CodeResponseCountLimit {
			msg = msgWindowUsed
		}
		return nil, windowError(msg, w)
	default:
		s.refund(fctx, acct.ID, in.OpenID)
		if err := s.finish(fctx, acct.ID, in.OpenID, id, "failed", code, errmsgOf(wxErr), out); err != nil {
			return nil, err
		}
		return nil, wxErr
	}
	items, _, err := s.store.itemsByID(fctx, []int64{id})
	if err != nil || len(items[id]) == 0 {
		return nil, fmt.Errorf("send: read back: %w", err)
	}
	it := items[id][0]
	return &it, nil
}

// byClientID answers the message sent with clientMsgId key, or nil.
func (s *Service) byClientID(ctx context.Context, accountID int64, key string) (*Item, error) {
	var id int64
	err := s.store.db.QueryRowContext(ctx, `SELECT id FROM wx_cs_messages WHERE account_id = $1 AND client_id = $2`,
		accountID, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find message: %w", err)
	}
	items, _, err := s.store.itemsByID(ctx, []int64{id})
	if err != nil || len(items[id]) == 0 {
		return nil, fmt.Errorf("find message: %w", err)
	}
	it := items[id][0]
	return &it, nil
}

// errmsgOf is the reason a send failed, as stored with the message.
func errmsgOf(err error) string {
	var we *wxclient.Error
	if errors.As(err, &we) {
		return we.Errmsg
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Msg
	}
	return "WeChat did not answer"
}

// checkMedia checks that every media id is one of the account's materials (40400 when not).
func (s *Service) checkMedia(ctx context.Context, accountID int64, refs []mediaRef) error {
	for _, r := range refs {
		var ok bool
		err := s.store.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM materials WHERE account_id = $1 AND media_id = $2
			AND kind = ANY($3::text[]))`, accountID, r.id, "{"+strings.Join(r.kinds, ",")+"}").Scan(&ok)
		if err != nil {
			return fmt.Errorf("find material: %w", err)
		}
		if !ok {
			return apperr.New(apperr.NotFound, r.field+": no "+strings.Join(r.kinds, " or ")+" material with this media id").WithKey("err.conversation.no_material", r.field, strings.Join(r.kinds, " or "))
		}
	}
	return nil
}

func (s *Service) checkRetry(ctx context.Context, accountID int64, openid string, id int64) error {
	var status string
	err := s.store.db.QueryRowContext(ctx, `SELECT status FROM wx_cs_messages WHERE id = $1 AND account_id = $2 AND openid = $3`,
		id, accountID, openid).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "retryOf: no such message in this conversation").WithKey("err.conversation.retry_unknown")
	}
	if err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	if status != "failed" {
		return apperr.Invalidf("retryOf", "only a failed message can be sent again").WithKey("err.conversation.retry_failed_only", "retryOf")
	}
	return nil
}

// reserve takes one message of the follower's window, or answers 40301.
func (s *Service) reserve(ctx context.Context, accountID int64, openid string) error {
	now := s.now()
	res, err := s.store.db.ExecContext(ctx, `UPDATE wx_conversations SET
		msg_left = CASE WHEN msg_until > $3 AND msg_left > 0 THEN msg_left - 1 ELSE msg_left END,
		evt_left = CASE WHEN evt_until > $3 AND evt_left > 0 THEN evt_left - 1 ELSE evt_left END, updated_at = now()
		WHERE account_id = $1 AND openid = $2 AND ((msg_until > $3 AND msg_left > 0) OR (evt_until > $3 AND evt_left > 0))`,
		accountID, openid, now)
	if err != nil {
		return fmt.Errorf("reserve window: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	st, _ := s.stateOf(ctx, accountID, openid)
	msg := msgWindowClosed
	if (st.msgUntil.Valid && st.msgUntil.Time.After(now)) || (st.evtUntil.Valid && st.evtUntil.Time.After(now)) {
		msg = msgWindowUsed
	}
	return windowError(msg, st.window(now))
}

// refund gives back the message reserve took, when WeChat did not send it.
func (s *Service) refund(ctx context.Context, accountID int64, openid string) {
	now := s.now()
	_, err := s.store.db.ExecContext(ctx, `UPDATE wx_conversations SET
		msg_left = CASE WHEN msg_until > $3 THEN least(msg_left + 1, $4) ELSE msg_left END,
		evt_left = CASE WHEN evt_until > $3 THEN least(evt_left + 1, $5) ELSE evt_left END
		WHERE account_id = $1 AND openid = $2`, accountID, openid, now, MessageQuota, EventQuota)
	if err != nil {
		s.log.WarnContext(ctx, "conversations: give back window quota", "err", err)
	}
}

// correctWindow believes WeChat: 45015 closes the windows now, 45047 uses up their quota.
func (s *Service) correctWindow(ctx context.Context, accountID int64, openid string, code int) error {
	q := `UPDATE wx_conversations SET msg_until = least(msg_until, $3), evt_until = least(evt_until, $3), updated_at = now()
		WHERE account_id = $1 AND openid = $2`
	if code == wxclient.CodeResponseCountLimit {
		q = `UPDATE wx_conversations SET msg_left = CASE WHEN msg_until > $3 THEN 0 ELSE msg_left END,
			evt_left = CASE WHEN evt_until > $3 THEN 0 ELSE evt_left END, updated_at = now()
			WHERE account_id = $1 AND openid = $2`
	}
	if _, err := s.store.db.ExecContext(ctx, q, accountID, openid, s.now()); err != nil {
		return fmt.Errorf("correct window: %w", err)
	}
	return nil
}

func (s *Service) windowOf(ctx context.Context, accountID int64, openid string) Window {
	st, _ := s.stateOf(ctx, accountID, openid)
	return st.window(s.now())
}

// stateOf reads the stored window; a follower without a conversation has none.
func (s *Service) stateOf(ctx context.Context, accountID int64, openid string) (winState, error) {
	var w winState
	err := s.store.db.QueryRowContext(ctx, `SELECT msg_until, msg_left, evt_until, evt_left FROM wx_conversations
		WHERE account_id = $1 AND openid = $2`, accountID, openid).Scan(&w.msgUntil, &w.msgLeft, &w.evtUntil, &w.evtLeft)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return winState{}, fmt.Errorf("window: %w", err)
	}
	return w, nil
}

// insertSending stores the message before WeChat is asked, so that it exists whatever happens next.
func (s *Service) insertSending(ctx context.Context, accountID int64, in SendInput, out *outgoing, body []byte, op Operator) (int64, error) {
	var opID any
	if op.UserID > 0 {
		opID = op.UserID
	}
	if in.RetryOf > 0 {
		_, err := s.store.db.ExecContext(ctx, `UPDATE wx_cs_messages SET status = 'sending', msg_type = $2, body = $3,
			content = $4, operator_id = $5, operator = $6, wx_errcode = NULL, wx_errmsg = NULL, updated_at = now()
			WHERE id = $1`, in.RetryOf, out.Type, body, out.Content, opID, op.Username)
		if err != nil {
			return 0, fmt.Errorf("store message: %w", err)
		}
		return in.RetryOf, nil
	}
	var id int64
	var clientID any
	if in.ClientID != "" {
		clientID = in.ClientID
	}
	err := s.store.db.QueryRowContext(ctx, `INSERT INTO wx_cs_messages (account_id, openid, msg_type, body, content,
		operator_id, operator, status, created_at, client_id) VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', $8, $9)
		ON CONFLICT (account_id, client_id) WHERE client_id IS NOT NULL DO NOTHING RETURNING id`,
		accountID, in.OpenID, out.Type, body, out.Content, opID, op.Username, s.now(), clientID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store message: %w", err)
	}
	return id, nil
}

// finish records WeChat's answer, moves the conversation and announces the message, in one transaction.
func (s *Service) finish(ctx context.Context, accountID int64, openid string, id int64, status string, code int, reason string, out *outgoing) error {
	tx, err := s.store.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish send: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var errmsg any
	if reason != "" {
		errmsg = reason
	}
	var at time.Time
	if err := tx.QueryRowContext(ctx, `UPDATE wx_cs_messages SET status = $2, wx_errcode = $3, wx_errmsg = $4, updated_at = now()
		WHERE id = $1 RETURNING created_at`, id, status, code, errmsg).Scan(&at); err != nil {
		return fmt.Errorf("finish send: %w", err)
	}
	preview := out.Content
	if len(preview) > 200 {
		preview = truncate(preview, 200)
	}
	// An answer that reached the follower means the conversation was read.
	if _, err := tx.ExecContext(ctx, `INSERT INTO wx_conversations AS c (account_id, openid, last_id, last_at, last_dir, last_type, last_text)
		VALUES ($1, $2, $3, $4, 'out', $5, $6)
		ON CONFLICT (account_id, openid) DO UPDATE SET
			last_id = CASE WHEN EXCLUDED.last_at >= c.last_at THEN EXCLUDED.last_id ELSE c.last_id END,
			last_dir = CASE WHEN EXCLUDED.last_at >= c.last_at THEN 'out' ELSE c.last_dir END,
			last_type = CASE WHEN EXCLUDED.last_at >= c.last_at THEN EXCLUDED.last_type ELSE c.last_type END,
			last_text = CASE WHEN EXCLUDED.last_at >= c.last_at THEN EXCLUDED.last_text ELSE c.last_text END,
			last_at = greatest(c.last_at, EXCLUDED.last_at),
			unread = CASE WHEN $7 THEN 0 ELSE c.unread END, updated_at = now()`,
		accountID, openid, id, at, out.Type, preview, status == "sent"); err != nil {
		return fmt.Errorf("finish send: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO wx_live_events (account_id, kind, openid, ref_id) VALUES ($1, 'message', $2, $3)`,
		accountID, openid, id); err != nil {
		return fmt.Errorf("finish send: %w", err)
	}
	return tx.Commit()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// MarkRead sets the conversation's unread count to 0 and tells every open page.
func (s *Service) MarkRead(ctx context.Context, acct *accounts.Account, openid string) (*Conversation, error) {
	if err := checkOpenID(openid); err != nil {
		return nil, err
	}
	return s.update(ctx, acct, openid, "read", `UPDATE wx_conversations SET unread = 0, updated_at = now() WHERE account_id = $1 AND openid = $2`)
}

// Assign gives the conversation to a member of the account (contract §14), or to nobody (userID 0).
func (s *Service) Assign(ctx context.Context, acct *accounts.Account, openid string, userID int64) (*Conversation, error) {
	if err := checkOpenID(openid); err != nil {
		return nil, err
	}
	if userID != 0 {
		var ok bool
		if err := s.store.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM account_members WHERE account_id = $1 AND user_id = $2)`,
			acct.ID, userID).Scan(&ok); err != nil {
			return nil, fmt.Errorf("assign: %w", err)
		}
		if !ok {
			return nil, apperr.Invalidf("userId", "is not an operator of this official account").WithKey("err.conversation.not_operator", "userId")
		}
		return s.update(ctx, acct, openid, "assigned", `UPDATE wx_conversations SET assignee_id = $3, updated_at = now() WHERE account_id = $1 AND openid = $2`, userID)
	}
	return s.update(ctx, acct, openid, "assigned", `UPDATE wx_conversations SET assignee_id = NULL, updated_at = now() WHERE account_id = $1 AND openid = $2`)
}

// update changes a conversation and announces it, in one transaction.
func (s *Service) update(ctx context.Context, acct *accounts.Account, openid, action, q string, args ...any) (*Conversation, error) {
	tx, err := s.store.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	defer func() { _ = tx.Rollback() }()
	prev, err := assigneeBefore(ctx, tx, acct.ID, openid, action)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	res, err := tx.ExecContext(ctx, q, append([]any{acct.ID, openid}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNoConversation
	}
	if err := recordAssign(ctx, tx, acct, openid, action, prev, args); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO wx_live_events (account_id, kind, openid, action) VALUES ($1, 'conversation', $2, $3)`,
		acct.ID, openid, action); err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("%s: %w", action, err)
	}
	return s.store.conversation(ctx, acct.ID, openid, s.now())
}

// Typing shows "typing…" to the follower (custom/typing), best effort: outside the window 40301 without
// calling WeChat.
func (s *Service) Typing(ctx context.Context, acct *accounts.Account, openid string, cancel bool) error {
	if err := checkOpenID(openid); err != nil {
		return err
	}
	ok, err := s.store.isFollower(ctx, acct.ID, openid)
	if err != nil {
		return err
	}
	if !ok {
		return ErrUnknownOpenID
	}
	st, err := s.stateOf(ctx, acct.ID, openid)
	if err != nil {
		return err
	}
	now := s.now()
	if !(st.msgUntil.Valid && st.msgUntil.Time.After(now)) && !(st.evtUntil.Valid && st.evtUntil.Time.After(now)) {
		return windowError(msgWindowClosedShort, st.window(now))
	}
	cmd := wxclient.TypingStart
	if cancel {
		cmd = wxclient.TypingCancel
	}
	return s.wx.Typing(ctx, acct.AppID, openid, cmd)
}

package reply

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

var fixtureSeq atomic.Int64

// mustUser inserts a verified operator.
func mustUser(t testing.TB, gdb *gorm.DB) int64 {
	t.Helper()
	return wxtest.Operator(t, gdb, fmt.Sprintf("op%d", fixtureSeq.Add(1)))
}

// mustAccountRow inserts an official account row directly (its sealed fields are placeholders: enough for
// the reply tables, which only reference the id).
func mustAccountRow(t testing.TB, gdb *gorm.DB, userID int64) int64 {
	t.Helper()
	var id int64
	err := gdb.Raw(`INSERT INTO wx_accounts (user_id, appid, secret_enc, token_enc, msdk_key_enc) VALUES (?, ?, 'x', 'x', 'x') RETURNING id`,
		userID, fmt.Sprintf("wx%016d", fixtureSeq.Add(1))).Scan(&id).Error
	require.NoError(t, err)
	return id
}

func mustService(t testing.TB, gdb *gorm.DB, opts Options) *Service {
	t.Helper()
	s := NewService(gdb, opts)
	t.Cleanup(s.Close)
	return s
}

func articles(n int) []Article {
	out := make([]Article, n)
	for i := range out {
		out[i] = Article{Title: "t", Description: "d", PicURL: "https://example.com/p.jpg", URL: "http://example.com/a"}
	}
	return out
}

func requireKind(t *testing.T, err error, kind apperr.Kind) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, kind, apperr.KindOf(err), "%v", err)
}

func mustMatch(t *testing.T, s *Service, accountID int64, msg *wxcrypto.Message) *Match {
	t.Helper()
	m, err := s.Match(context.Background(), accountID, msg)
	require.NoError(t, err)
	return m
}

func TestServiceRules(t *testing.T) {
	t.Parallel()
	gdb := dbtest.New(t)
	ctx := context.Background()
	acct := mustAccountRow(t, gdb, mustUser(t, gdb))
	s := mustService(t, gdb, Options{})

	// Loaded before the changes: each change must show in Match at once.
	require.Nil(t, mustMatch(t, s, acct, text("hello")))

	r, err := s.Add(ctx, acct, Input{Type: TypeText, Content: Content{Content: "hi there"}, Request: " Hello "})
	require.NoError(t, err)
	require.NotZero(t, r.ID)
	require.Equal(t, "Hello", r.Keyword)
	require.Equal(t, MatchExact, r.Match)
	require.True(t, r.Enabled)
	m := mustMatch(t, s, acct, text("HELLO"))
	require.Equal(t, &Match{RuleID: r.ID, Keyword: "Hello", Kind: "keyword", Reply: wxcrypto.Reply{MsgType: "text", Content: "hi there"}}, m)

	t.Run("same keyword twice", func(t *testing.T) {
		_, err := s.Add(ctx, acct, Input{Type: TypeText, Content: Content{Content: "x"}, Request: "hello"})
		requireKind(t, err, apperr.Conflict)
		_, err = s.Add(ctx, acct, Input{Type: TypeText, Content: Content{Content: "x"}, Request: "HELLO", Match: MatchContains})
		requireKind(t, err, apperr.Conflict)
	})
	t.Run("validation", func(t *testing.T) {
		_, err := s.Add(ctx, acct, Input{Type: TypeText, Content: Content{Content: "x"}, Request: "(x", Match: MatchRegex})
		requireInvalid(t, err, "request")
		_, err = s.Add(ctx, acct, Input{Type: TypeText, Content: Content{Content: "x"}, Request: "x", Match: "fuzzy"})
		requireInvalid(t, err, "match")
		_, err = s.Add(ctx, acct, Input{Type: TypeImage, Request: "x"})
		requireInvalid(t, err, "reply.mediaId")
		_, err = s.Add(ctx, acct, Input{Type: TypeText, Content: Content{Content: "x"}})
		requireInvalid(t, err, "request")
	})

	img, err := s.Add(ctx, acct, Input{Type: TypeImage, Content: Content{MediaID: "M1"}, Request: "pic", Match: MatchContains})
	require.NoError(t, err)
	off := false
	dis, err := s.Add(ctx, acct, Input{Type: TypeText, Content: Content{Content: "quiet"}, Request: "quiet", Enabled: &off})
	require.NoError(t, err)
	require.False(t, dis.Enabled)
	require.Nil(t, mustMatch(t, s, acct, text("quiet")))
	require.Equal(t, img.ID, mustMatch(t, s, acct, text("a pic please")).RuleID)

	list, err := s.List(ctx, acct)
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.Equal(t, []int64{r.ID, img.ID, dis.ID}, []int64{list[0].ID, list[1].ID, list[2].ID})
	require.Equal(t, Content{MediaID: "M1"}, list[1].Reply)

	t.Run("update by keyword", func(t *testing.T) {
		match, newKw := MatchContains, "greeting"
		got, err := s.Update(ctx, acct, Selector{Request: "HELLO"}, Changes{Request: &newKw, Match: &match,
			Type: TypeVideo, Content: &Content{Title: "T", Description: "D", MediaID: "V1"}})
		require.NoError(t, err)
		require.Equal(t, r.ID, got.ID)
		require.Equal(t, "greeting", got.Keyword)
		require.Equal(t, MatchContains, got.Match)
		require.Equal(t, TypeVideo, got.Type)
		require.Nil(t, mustMatch(t, s, acct, text("hello")))
		m := mustMatch(t, s, acct, text("a greeting for you"))
		require.Equal(t, wxcrypto.Reply{MsgType: "video", MediaID: "V1", Title: "T", Description: "D"}, m.Reply)
	})
	t.Run("update by id keeps the type when only reply is sent", func(t *testing.T) {
		got, err := s.Update(ctx, acct, Selector{ID: img.ID}, Changes{Content: &Content{MediaID: "M2"}})
		require.NoError(t, err)
		require.Equal(t, TypeImage, got.Type)
		require.Equal(t, "M2", got.Reply.MediaID)
		require.Equal(t, "pic", got.Keyword)
	})
	t.Run("update needs a reply to change the type", func(t *testing.T) {
		_, err := s.Update(ctx, acct, Selector{ID: img.ID}, Changes{Type: TypeText})
		requireInvalid(t, err, "reply")
	})
	t.Run("update to a taken keyword", func(t *testing.T) {
		kw := "PIC"
		_, err := s.Update(ctx, acct, Selector{ID: r.ID}, Changes{Request: &kw})
		requireKind(t, err, apperr.Conflict)
	})
	t.Run("update to an invalid regex", func(t *testing.T) {
		mode := MatchRegex
		kw := "[x"
		_, err := s.Update(ctx, acct, Selector{ID: img.ID}, Changes{Match: &mode, Request: &kw})
		requireInvalid(t, err, "request")
	})
	t.Run("update of an unknown rule", func(t *testing.T) {
		_, err := s.Update(ctx, acct, Selector{Request: "nope"}, Changes{})
		requireKind(t, err, apperr.NotFound)
		_, err = s.Update(ctx, acct, Selector{}, Changes{})
		requireInvalid(t, err, "request")
	})
	t.Run("enable", func(t *testing.T) {
		got, err := s.SetEnabled(ctx, acct, Selector{Request: "quiet"}, true)
		require.NoError(t, err)
		require.True(t, got.Enabled)
		require.Equal(t, dis.ID, mustMatch(t, s, acct, text("Quiet")).RuleID)
	})
	t.Run("delete", func(t *testing.T) {
		requireKind(t, s.Delete(ctx, acct, Selector{Request: "nope"}), apperr.NotFound)
		require.NoError(t, s.Delete(ctx, acct, Selector{Request: " QUIET "}))
		requireKind(t, s.Delete(ctx, acct, Selector{Request: "quiet"}), apperr.NotFound)
		require.Nil(t, mustMatch(t, s, acct, text("quiet")))
		require.NoError(t, s.Delete(ctx, acct, Selector{ID: img.ID}))
		list, err := s.List(ctx, acct)
		require.NoError(t, err)
		require.Len(t, list, 1)
	})
	t.Run("accounts are separate", func(t *testing.T) {
		other := mustAccountRow(t, gdb, mustUser(t, gdb))
		require.Nil(t, mustMatch(t, s, other, text("a greeting")))
		requireKind(t, s.Delete(ctx, other, Selector{Request: "greeting"}), apperr.NotFound)
		requireKind(t, s.Delete(ctx, other, Selector{ID: r.ID}), apperr.NotFound)
		_, err := s.Add(ctx, other, Input{Type: TypeText, Content: Content{Content: "x"}, Request: "greeting"})
		require.NoError(t, err, "the same keyword on another account is fine")
	})
}

func TestServiceSpecialReplies(t *testing.T) {
	t.Parallel()
	gdb := dbtest.New(t)
	ctx := context.Background()
	acct := mustAccountRow(t, gdb, mustUser(t, gdb))
	s := mustService(t, gdb, Options{})

	sub, def, err := s.Specials(ctx, acct)
	require.NoError(t, err)
	require.Nil(t, sub)
	require.Nil(t, def)
	require.Nil(t, mustMatch(t, s, acct, event("subscribe", "")))

	sub, err = s.SetSpecial(ctx, acct, KindSubscribe, TypeMultitext, Content{Articles: articles(8)})
	require.NoError(t, err)
	require.Len(t, sub.Reply.Articles, 8)
	_, err = s.SetSpecial(ctx, acct, KindSubscribe, TypeMultitext, Content{Articles: articles(9)})
	requireInvalid(t, err, "reply")
	_, err = s.SetSpecial(ctx, acct, KindDefault, TypeMultitext, Content{Articles: articles(2)})
	requireInvalid(t, err, "reply")
	_, err = s.SetSpecial(ctx, acct, KindDefault, "bogus", Content{Content: "x"})
	requireInvalid(t, err, "type")

	m := mustMatch(t, s, acct, event("subscribe", "qrscene_1"))
	require.Equal(t, "subscribe", m.Kind)
	require.Equal(t, sub.ID, m.RuleID)
	require.Len(t, m.Reply.Articles, 8)

	def, err = s.SetSpecial(ctx, acct, KindDefault, TypeText, Content{Content: "sorry?"})
	require.NoError(t, err)
	m = mustMatch(t, s, acct, text("anything"))
	require.Equal(t, &Match{RuleID: def.ID, Kind: "default", Reply: wxcrypto.Reply{MsgType: "text", Content: "sorry?"}}, m)
	m = mustMatch(t, s, acct, &wxcrypto.Message{MsgType: "image"})
	require.Equal(t, "default", m.Kind)
	require.Nil(t, mustMatch(t, s, acct, event("unsubscribe", "")))

	// Setting again replaces it in place.
	def2, err := s.SetSpecial(ctx, acct, KindDefault, TypeImage, Content{MediaID: "M"})
	require.NoError(t, err)
	require.Equal(t, def.ID, def2.ID)
	require.Equal(t, "image", mustMatch(t, s, acct, text("anything")).Reply.MsgType)

	// Special replies are not keyword rules.
	list, err := s.List(ctx, acct)
	require.NoError(t, err)
	require.Empty(t, list)

	// Clearing.
	cleared, err := s.SetSpecial(ctx, acct, KindDefault, "", Content{})
	require.NoError(t, err)
	require.Nil(t, cleared)
	require.Nil(t, mustMatch(t, s, acct, text("anything")))
	_, err = s.SetSpecial(ctx, acct, KindDefault, "", Content{})
	require.NoError(t, err, "clearing twice is fine")
	sub, def, err = s.Specials(ctx, acct)
	require.NoError(t, err)
	require.NotNil(t, sub)
	require.Nil(t, def)
}

// TestMatchFromMemoryWhenPostgresIsDown: once loaded, Match answers without Postgres; an account never
// loaded answers ErrUnavailable, quickly.
func TestMatchFromMemoryWhenPostgresIsDown(t *testing.T) {
	t.Parallel()
	gdb, url := dbtest.NewWithURL(t)
	ctx := context.Background()
	acct := mustAccountRow(t, gdb, mustUser(t, gdb))
	other := mustAccountRow(t, gdb, mustUser(t, gdb))
	setup := mustService(t, gdb, Options{})
	_, err := setup.Add(ctx, acct, Input{Type: TypeText, Content: Content{Content: "pong"}, Request: "ping"})
	require.NoError(t, err)

	pool, err := db.Open(ctx, url, db.Options{MaxOpenConns: 2})
	require.NoError(t, err)
	s := mustService(t, pool, Options{DSN: url, PollInterval: 50 * time.Millisecond, LoadTimeout: 300 * time.Millisecond,
		RetryAfter: time.Hour}) // no retry within the test, however slow the machine
	require.NoError(t, s.Start(ctx))
	require.Equal(t, "pong", mustMatch(t, s, acct, text("ping")).Reply.Content)

	require.NoError(t, db.Close(pool)) // as good as Postgres gone, for this process
	time.Sleep(200 * time.Millisecond) // the poller fails a few times meanwhile
	for range 3 {
		// The pool is closed: an answer can only come from memory.
		m, err := s.Match(ctx, acct, text("ping"))
		require.NoError(t, err)
		require.Equal(t, "pong", m.Reply.Content)
	}

	_, err = s.Match(ctx, other, text("ping"))
	require.ErrorIs(t, err, ErrUnavailable)
	require.True(t, IsUnavailable(err))
	require.NotErrorIs(t, err, errLoadThrottled, "the first miss tries to load")
	_, err = s.Match(ctx, other, text("ping"))
	require.ErrorIs(t, err, ErrUnavailable)
	require.ErrorIs(t, err, errLoadThrottled, "a failed load is not retried at once")
}

func TestUnboundAccountCascades(t *testing.T) {
	t.Parallel()
	gdb := dbtest.New(t)
	ctx := context.Background()
	acct := mustAccountRow(t, gdb, mustUser(t, gdb))
	s := mustService(t, gdb, Options{PollInterval: 50 * time.Millisecond})
	require.NoError(t, s.Start(ctx))
	_, err := s.Add(ctx, acct, Input{Type: TypeText, Content: Content{Content: "pong"}, Request: "ping"})
	require.NoError(t, err)
	require.NotNil(t, mustMatch(t, s, acct, text("ping")))
	require.NoError(t, gdb.Exec(`DELETE FROM wx_accounts WHERE id = ?`, acct).Error)
	var n int64
	require.NoError(t, gdb.Raw(`SELECT count(*) FROM reply_rules WHERE account_id = ?`, acct).Scan(&n).Error)
	require.Zero(t, n)
	// The version row went with it: the poller sees the difference and drops the rules from memory too.
	require.Eventually(t, func() bool { return mustMatch(t, s, acct, text("ping")) == nil }, 2*time.Second, 20*time.Millisecond)
}

func TestMatchNilMessage(t *testing.T) {
	t.Parallel()
	s := NewService(nil, Options{})
	m, err := s.Match(context.Background(), 1, nil)
	require.NoError(t, err)
	require.Nil(t, m)
	require.False(t, errors.Is(err, ErrUnavailable))
}

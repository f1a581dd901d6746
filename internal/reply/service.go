package reply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// Options wires the service.
type Options struct {
	Logger *slog.Logger
	// DSN is the Postgres URL the change listener connects to (a dedicated connection, outside the pool).
	// Empty: no listener; other processes' changes are then seen by the version check alone.
	DSN string
	// PollInterval is how often the versions of the loaded accounts are compared with Postgres (default
	// 500 ms, one small query): the bound on how late another process's change is seen when a
	// notification is lost or the listener is down.
	PollInterval time.Duration
	// LoadTimeout bounds how long Match waits for an account's first load (default 1 s). After a failed
	// load, Match answers ErrUnavailable at once for RetryAfter (default 1 s) instead of waiting again.
	LoadTimeout time.Duration
	RetryAfter  time.Duration
	// Location is TIMEZONE: rules' active dates and hours are read in it (default UTC).
	Location *time.Location
	// Now is the clock the rules' schedules are checked with (default time.Now).
	Now func() time.Time
}

// Service keeps the automatic replies of every account: the rules in Postgres, and their compiled matchers
// in memory, which answer the callback without touching Postgres once loaded.
type Service struct {
	store store
	opts  Options
	log   *slog.Logger

	// entries maps account ids to their cached matchers. The map is copied on write (a new account) and
	// read without a lock.
	entries atomic.Pointer[map[int64]*entry]
	entryMu sync.Mutex

	dirtyMu sync.Mutex
	dirty   map[int64]struct{}
	wake    chan struct{}

	runMu     sync.Mutex
	started   bool
	closed    bool
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	listening atomic.Bool

	// listenerPing is how long the listener waits for a notification before it checks its connection.
	listenerPing time.Duration
}

// entry is one account's compiled rules. m is nil until the first load succeeds.
type entry struct {
	m        atomic.Pointer[matcher]
	sem      chan struct{} // one slot: loads and rebuilds of the account run one at a time
	failedAt atomic.Int64  // Unix nanoseconds of the last failed first load
}

// NewService builds the service. Call Start to follow other processes' changes, and Close when done.
func NewService(db *gorm.DB, opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 500 * time.Millisecond
	}
	if opts.LoadTimeout <= 0 {
		opts.LoadTimeout = time.Second
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{
		store:        store{db: db},
		opts:         opts,
		log:          opts.Logger.With("component", "reply"),
		dirty:        map[int64]struct{}{},
		wake:         make(chan struct{}, 1),
		listenerPing: 30 * time.Second,
	}
	empty := map[int64]*entry{}
	s.entries.Store(&empty)
	return s
}

// Input is a new keyword rule. The API (replyapi) and the pages build it from what they receive; Add
// validates it.
type Input struct {
	Type    ReplyType
	Content Content
	Request string // the keyword
	// Keywords are several keywords (up to MaxKeywords); when set, Request is not used.
	Keywords []string
	// Replies are several replies (up to MaxReplies); when set, Type and Content are not used.
	Replies  []Reply
	Mode     ReplyMode // "" is random
	Schedule Schedule  // the zero Schedule: always
	Match    MatchMode // "" is exact
	Enabled  *bool     // nil: enabled
}

// Selector names one keyword rule: by ID when it is not 0, else by its keyword (compared as keywords are
// matched: trimmed, Latin letters in any case).
type Selector struct {
	ID      int64
	Request string
}

func (sel Selector) check() error {
	if sel.ID == 0 && strings.TrimSpace(sel.Request) == "" {
		return apperr.Missing("request")
	}
	return nil
}

// Changes is what updateReply changes; nil and empty fields keep what the rule has.
type Changes struct {
	Request *string // the new keyword (the rule's only one)
	// Keywords replace the rule's keywords; nil keeps them.
	Keywords []string
	// Replies replace the rule's replies; nil keeps them.
	Replies []Reply
	Mode    *ReplyMode
	// ActiveFrom, ActiveTo and Hours change the schedule (a zero value clears that part).
	ActiveFrom *Date
	ActiveTo   *Date
	Hours      *Hours
	Match      *MatchMode
	// Type is the new type, with Content; alone it must be the rule's type.
	Type ReplyType
	// Content is the new reply, of Type, or of the rule's type when Type is empty.
	Content *Content
	Enabled *bool
}

// Add stores a new keyword rule. The keyword must be new to the account (in any match mode): else
// ErrKeywordTaken.
func (s *Service) Add(ctx context.Context, accountID int64, in Input) (*Rule, error) {
	mode := in.Match
	if mode == "" {
		mode = MatchExact
	}
	if !mode.Valid() {
		return nil, ErrBadMatch
	}
	keywords := in.Keywords
	if len(keywords) == 0 {
		keywords = []string{in.Request}
	}
	kws, err := checkKeywords(keywords, mode)
	if err != nil {
		return nil, err
	}
	replies := in.Replies
	if len(replies) == 0 {
		if !in.Type.Valid() {
			if in.Type == "" {
				return nil, apperr.Missing("type")
			}
			return nil, ErrBadType
		}
		if err := in.Content.Validate(in.Type, MaxArticlesMessage); err != nil {
			return nil, err
		}
		replies = []Reply{{Type: in.Type, Content: in.Content}}
	} else if err := checkReplies(replies); err != nil {
		return nil, err
	}
	replyMode, err := checkMode(in.Mode)
	if err != nil {
		return nil, err
	}
	if err := in.Schedule.Validate(); err != nil {
		return nil, err
	}
	r := &Rule{AccountID: accountID, Kind: KindKeyword, Keyword: kws[0], Keywords: kws, Match: mode,
		Type: replies[0].Type, Reply: replies[0].Content, Replies: replies, Mode: replyMode,
		Schedule: in.Schedule, Enabled: true}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	err = s.change(ctx, accountID, func(tx *gorm.DB) error {
		if err := checkCaps(tx, accountID, regexCount(r.Match, r.Keywords), 0); err != nil {
			return err
		}
		if err := insertRule(tx, r); err != nil {
			return err
		}
		return recordRule(ctx, tx, "addReply", nil, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Update changes a keyword rule.
func (s *Service) Update(ctx context.Context, accountID int64, sel Selector, ch Changes) (*Rule, error) {
	if err := sel.check(); err != nil {
		return nil, err
	}
	var mode MatchMode
	if ch.Match != nil {
		if mode = *ch.Match; mode == "" {
			mode = MatchExact
		}
		if !mode.Valid() {
			return nil, ErrBadMatch
		}
	}
	if ch.Type != "" && !ch.Type.Valid() {
		return nil, ErrBadType
	}
	if ch.Replies != nil {
		if err := checkReplies(ch.Replies); err != nil {
			return nil, err
		}
	}
	if ch.Mode != nil {
		if _, err := checkMode(*ch.Mode); err != nil {
			return nil, err
		}
	}
	var out *Rule
	err := s.change(ctx, accountID, func(tx *gorm.DB) error {
		r, err := findKeywordRule(tx, accountID, sel, true)
		if err != nil {
			return err
		}
		before := *r
		if ch.Match != nil {
			r.Match = mode
		}
		switch {
		case ch.Keywords != nil:
			if r.Keywords, err = checkKeywords(ch.Keywords, r.Match); err != nil {
				return err
			}
		case ch.Request != nil:
			kwField := "request"
			if sel.ID == 0 {
				kwField = "newRequest"
			}
			kw, err := checkKeyword(kwField, *ch.Request, r.Match)
			if err != nil {
				return err
			}
			r.Keywords = []string{kw}
		default:
			// The mode may have changed: the keywords must suit it.
			if r.Keywords, err = checkKeywords(r.Keywords, r.Match); err != nil {
				return err
			}
		}
		r.Keyword = r.Keywords[0]
		if r.Match == MatchRegex {
			if err := checkCaps(tx, accountID, regexCount(r.Match, r.Keywords), r.ID); err != nil {
				return err
			}
		}
		switch {
		case ch.Replies != nil:
			r.Replies = ch.Replies
		case ch.Content != nil:
			t := ch.Type
			if t == "" {
				t = r.Type
			}
			if err := ch.Content.Validate(t, MaxArticlesMessage); err != nil {
				return err
			}
			// The reply replaces the first; the others stay.
			r.Replies[0] = Reply{Type: t, Content: *ch.Content}
		case ch.Type != "" && ch.Type != r.Type:
			return apperr.Invalidf(ReplyField, "is required to change the type").WithKey("err.reply.type_change", ReplyField)
		}
		r.Type, r.Reply = r.Replies[0].Type, r.Replies[0].Content
		if ch.Mode != nil {
			r.Mode, _ = checkMode(*ch.Mode)
		}
		if ch.ActiveFrom != nil {
			r.Schedule.From = *ch.ActiveFrom
		}
		if ch.ActiveTo != nil {
			r.Schedule.To = *ch.ActiveTo
		}
		if ch.Hours != nil {
			r.Schedule.Hours = *ch.Hours
		}
		if err := r.Schedule.Validate(); err != nil {
			return err
		}
		if ch.Enabled != nil {
			r.Enabled = *ch.Enabled
		}
		if err := updateRule(tx, r); err != nil {
			return err
		}
		out = r
		return recordRule(ctx, tx, "updateReply", &before, r)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetEnabled turns a keyword rule on or off.
func (s *Service) SetEnabled(ctx context.Context, accountID int64, sel Selector, enabled bool) (*Rule, error) {
	return s.Update(audit.WithAction(ctx, "enableReply"), accountID, sel, Changes{Enabled: &enabled})
}

// Delete removes a keyword rule; ErrNotFound when there is none.
func (s *Service) Delete(ctx context.Context, accountID int64, sel Selector) error {
	if err := sel.check(); err != nil {
		return err
	}
	return s.change(ctx, accountID, func(tx *gorm.DB) error {
		r, err := findKeywordRule(tx, accountID, sel, true)
		if err != nil {
			return err
		}
		if err := deleteRule(tx, accountID, r.ID); err != nil {
			return err
		}
		return recordRule(ctx, tx, "deleteReply", r, nil)
	})
}

// List answers the account's keyword rules, oldest first.
func (s *Service) List(ctx context.Context, accountID int64) ([]*Rule, error) {
	return s.store.list(ctx, accountID)
}

// Get answers one keyword rule.
func (s *Service) Get(ctx context.Context, accountID int64, sel Selector) (*Rule, error) {
	if err := sel.check(); err != nil {
		return nil, err
	}
	return findKeywordRule(s.store.db.WithContext(ctx), accountID, sel, false)
}

// SetSpecial sets the account's subscribe reply (kind KindSubscribe, up to 8 articles) or default reply
// (KindDefault, 1 article) to c, of type t. An empty type clears it, and it answers nil.
func (s *Service) SetSpecial(ctx context.Context, accountID int64, kind Kind, t ReplyType, c Content) (*Rule, error) {
	maxArticles := MaxArticlesMessage
	switch kind {
	case KindSubscribe:
		maxArticles = MaxArticlesEvent
	case KindDefault:
	default:
		return nil, fmt.Errorf("reply: SetSpecial of kind %q", kind)
	}
	clear := t == ""
	if !clear {
		if !t.Valid() {
			return nil, ErrBadType
		}
		if err := c.Validate(t, maxArticles); err != nil {
			return nil, err
		}
	}
	var out *Rule
	err := s.change(ctx, accountID, func(tx *gorm.DB) error {
		cur, err := special(tx, accountID, kind, true)
		if err != nil {
			return err
		}
		var before *Rule
		if cur != nil {
			b := *cur
			before = &b
		}
		switch {
		case clear && cur == nil:
			return nil
		case clear:
			err = deleteRule(tx, accountID, cur.ID)
		case cur == nil:
			out = &Rule{AccountID: accountID, Kind: kind, Match: MatchExact, Type: t, Reply: c, Enabled: true}
			err = insertRule(tx, out)
		default:
			cur.Type, cur.Reply, cur.Enabled = t, c, true
			out = cur
			err = updateRule(tx, cur)
		}
		if err != nil {
			return err
		}
		return recordSpecial(ctx, tx, kind, before, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Specials answers the account's subscribe and default replies (nil for none).
func (s *Service) Specials(ctx context.Context, accountID int64) (subscribe, def *Rule, err error) {
	return s.store.specials(ctx, accountID)
}

// change commits fn with the account's version bump and NOTIFY, then rebuilds this process's matcher of the
// account (if it has one) before answering, so the change answers the next message here at once.
func (s *Service) change(ctx context.Context, accountID int64, fn func(tx *gorm.DB) error) error {
	if err := s.store.change(ctx, accountID, fn); err != nil {
		return err
	}
	// The change is committed: rebuild even if the caller has gone.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.refresh(rctx, accountID); err != nil {
		s.log.Warn("rebuild reply rules after a change; will retry", "account_id", accountID, "err", err)
		s.markDirty(accountID)
	}
	return nil
}

// Match answers the automatic reply to an inbound message of an account, or (nil, nil) when none applies:
//
//   - a text message: the keyword rule it matches (exact, then contains, then regex; see matcher.keyword),
//     else the default reply;
//   - another message (image, voice, video, shortvideo, location, link, …): the default reply;
//   - the subscribe event: the subscribe reply (a multitext one with up to 8 articles);
//   - a CLICK menu event: the exact keyword rule whose keyword is the EventKey (Kind "click");
//   - unsubscribe and every other event: nothing.
//
// A multitext reply answers a message with its first article only (WeChat shows one).
//
// Once an account's rules are loaded, Match answers from memory and never waits on Postgres. Before that it
// loads them, waiting at most LoadTimeout; if that fails the error wraps ErrUnavailable, and the callback
// answers "success".
func (s *Service) Match(ctx context.Context, accountID int64, msg *wxcrypto.Message) (*Match, error) {
	if msg == nil {
		return nil, nil
	}
	m, err := s.matcher(ctx, accountID)
	if err != nil {
		return nil, err
	}
	// The regexes stop at ctx's deadline (the callback's matching budget): the message then gets what it
	// would get had none matched.
	deadline, _ := ctx.Deadline()
	// The clock is read only when a rule has a schedule; the instant is a value, checking it allocates
	// nothing.
	var at instant
	if m.scheduled {
		at = instantOf(s.opts.Now(), s.opts.Location)
	}
	r, kind := m.match(msg, deadline, at)
	if r == nil {
		return nil, nil
	}
	return answer(r, kind), nil
}

// matcher answers the account's compiled rules, loading them the first time.
func (s *Service) matcher(ctx context.Context, accountID int64) (*matcher, error) {
	e := s.entry(accountID)
	if m := e.m.Load(); m != nil {
		return m, nil
	}
	if at := e.failedAt.Load(); at != 0 && time.Since(time.Unix(0, at)) < s.opts.RetryAfter {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, errLoadThrottled)
	}
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
	defer func() { <-e.sem }()
	if m := e.m.Load(); m != nil {
		return m, nil
	}
	lctx, cancel := context.WithTimeout(ctx, s.opts.LoadTimeout)
	defer cancel()
	m, err := s.build(lctx, accountID)
	if err != nil {
		e.failedAt.Store(time.Now().UnixNano())
		s.log.Warn("reply rules could not be loaded", "account_id", accountID, "err", err)
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	e.failedAt.Store(0)
	e.m.Store(m)
	return m, nil
}

// entry answers the account's cache entry, creating it.
func (s *Service) entry(accountID int64) *entry {
	if e := (*s.entries.Load())[accountID]; e != nil {
		return e
	}
	s.entryMu.Lock()
	defer s.entryMu.Unlock()
	cur := *s.entries.Load()
	if e := cur[accountID]; e != nil {
		return e
	}
	next := make(map[int64]*entry, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	e := &entry{sem: make(chan struct{}, 1)}
	next[accountID] = e
	s.entries.Store(&next)
	return e
}

// loaded answers the account's entry if its rules are in memory.
func (s *Service) loaded(accountID int64) *entry {
	e := (*s.entries.Load())[accountID]
	if e == nil || e.m.Load() == nil {
		return nil
	}
	return e
}

// build reads and compiles the account's rules.
func (s *Service) build(ctx context.Context, accountID int64) (*matcher, error) {
	version, rules, err := s.store.load(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return buildMatcher(version, rules, s.opts.Location, func(r *Rule, err error) {
		s.log.Error("stored regex does not compile; rule skipped", "account_id", accountID, "rule_id", r.ID, "err", err)
	}), nil
}

// refresh rebuilds the matcher of an account already in memory; one not loaded is left to load when first
// needed. Rebuilds of one account run one at a time, each reading after the previous finished, so the
// latest swapped in is always the newest; readers keep using the previous matcher meanwhile.
func (s *Service) refresh(ctx context.Context, accountID int64) error {
	e := s.loaded(accountID)
	if e == nil {
		return nil
	}
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-e.sem }()
	m, err := s.build(ctx, accountID)
	if err != nil {
		return err
	}
	e.m.Store(m)
	return nil
}

// Loaded reports whether the account's rules are in memory (for tests and health pages).
func (s *Service) Loaded(accountID int64) bool { return s.loaded(accountID) != nil }

// IsUnavailable reports whether err is Match's "rules unavailable" error.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// Location answers TIMEZONE, the zone of the rules' dates and hours.
func (s *Service) Location() *time.Location { return s.opts.Location }

package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Paging limits of auditLog and the page.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Service reads the log: auditLog and the Settings → Audit log page.
type Service struct {
	db  *gorm.DB
	loc *time.Location
}

// NewService reads the log in db; loc is the operators' time zone, in which a filter's bare date
// (2026-12-03) is a day.
func NewService(db *gorm.DB, loc *time.Location) *Service {
	if loc == nil {
		loc = time.UTC
	}
	return &Service{db: db, loc: loc}
}

// Location answers the operators' time zone.
func (s *Service) Location() *time.Location { return s.loc }

// Filter selects entries of one account; zero fields select everything.
type Filter struct {
	Offset int
	Limit  int // 1..MaxLimit; 0 is DefaultLimit
	Action string
	UserID int64
	Target string
	From   time.Time // inclusive
	To     time.Time // exclusive
}

// Query is a filter as the API and the page receive it: text, validated by Parse.
type Query struct {
	Offset, Limit, Action, UserID, Target, From, To string
}

var (
	actionRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	targetRe = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,31}(:[^\s]{1,128})?$`)
	// errBadRange is a from that is not before to.
	errBadRange = apperr.New(apperr.Invalid, "from: must be before to").WithKey("err.audit.range")
)

func badField(field, want string) error {
	return apperr.Invalidf(field, "must be %s", want).WithKey("err.audit.field", field)
}

// Parse validates q: offset ≥ 0, limit 1..200 (default 50), an action name, a positive user id, a
// target kind[:id], from/to as a date (YYYY-MM-DD, in the operators' zone; to includes its day) or an
// RFC 3339 time, from before to. A bad field is 40000 naming it.
func (s *Service) Parse(q Query) (Filter, error) {
	var f Filter
	var err error
	if f.Offset, err = intField("offset", q.Offset, 0, 0, 1<<31-1); err != nil {
		return f, err
	}
	if f.Limit, err = intField("limit", q.Limit, DefaultLimit, 1, MaxLimit); err != nil {
		return f, err
	}
	if f.Action = strings.TrimSpace(q.Action); f.Action != "" && !actionRe.MatchString(f.Action) {
		return f, badField("action", "an action name")
	}
	if u := strings.TrimSpace(q.UserID); u != "" {
		n, err := strconv.ParseInt(u, 10, 64)
		if err != nil || n <= 0 {
			return f, badField("userId", "a user id")
		}
		f.UserID = n
	}
	if f.Target = strings.TrimSpace(q.Target); f.Target != "" && !targetRe.MatchString(f.Target) {
		return f, badField("target", "kind:id")
	}
	if f.From, err = s.instant("from", q.From, false); err != nil {
		return f, err
	}
	if f.To, err = s.instant("to", q.To, true); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, errBadRange
	}
	return f, nil
}

func intField(field, v string, def, lo, hi int) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, apperr.Invalidf(field, "must be an integer between %d and %d", lo, hi).WithKey("err.audit.between", field, lo, hi)
	}
	return n, nil
}

// instant reads a date or a time; a date's end (endOfDay) is the next day's start.
func (s *Service) instant(field, v string, endOfDay bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, v, s.loc); err == nil {
		if endOfDay {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil || t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}, apperr.Invalidf(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time").WithKey("err.audit.date", field)
	}
	return t, nil
}

// View is an entry as the API and the page show it.
type View struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	UserID     *int64          `json:"userId"`
	Username   string          `json:"username"`
	Action     string          `json:"action"`
	Target     string          `json:"target"`
	Changes    json.RawMessage `json:"changes"`
	ClientAddr string          `json:"clientAddr"`
	RequestID  string          `json:"requestId"`
}

// Decoded answers the entry's changes as values (for the page's "field: before → after").
func (v View) Decoded() Changes {
	var c Changes
	_ = json.Unmarshal(v.Changes, &c)
	return c
}

// Page is one page of entries, newest first, and how many the filter selects in all.
type Page struct {
	Total   int64  `json:"total"`
	Entries []View `json:"entries"`
}

type viewRow struct {
	ID         int64
	At         time.Time
	UserID     *int64
	Username   string
	Action     string
	Target     string
	Changes    string
	ClientAddr string
	RequestID  string
}

// List answers the account's entries that f selects, newest first.
func (s *Service) List(ctx context.Context, accountID int64, f Filter) (*Page, error) {
	if f.Limit <= 0 || f.Limit > MaxLimit {
		f.Limit = DefaultLimit
	}
	q := s.db.WithContext(ctx).Table("audit_entries").Where("account_id = ?", accountID)
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.UserID != 0 {
		q = q.Where("user_id = ?", f.UserID)
	}
	if f.Target != "" {
		if strings.Contains(f.Target, ":") {
			q = q.Where("target = ?", f.Target)
		} else {
			q = q.Where("target LIKE ?", f.Target+":%")
		}
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To)
	}
	var p Page
	if err := q.Session(&gorm.Session{}).Count(&p.Total).Error; err != nil {
		return nil, fmt.Errorf("count audit entries: %w", err)
	}
	var rows []viewRow
	err := q.Select("id, at, user_id, username, action, target, changes::text AS changes, client_addr, request_id").
		Order("at DESC, id DESC").Offset(f.Offset).Limit(f.Limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	p.Entries = make([]View, len(rows))
	for i, r := range rows {
		p.Entries[i] = View{ID: r.ID, At: r.At, UserID: r.UserID, Username: r.Username, Action: r.Action,
			Target: r.Target, Changes: json.RawMessage(r.Changes), ClientAddr: r.ClientAddr, RequestID: r.RequestID}
	}
	return &p, nil
}

// Actor is someone who appears in an account's log (the page's member filter).
type Actor struct {
	UserID   int64
	Username string
}

// Facets answers the action names and the operators an account's log holds, for the page's filters.
func (s *Service) Facets(ctx context.Context, accountID int64) (actions []string, actors []Actor, err error) {
	db := s.db.WithContext(ctx)
	if err = db.Raw(`SELECT DISTINCT action FROM audit_entries WHERE account_id = ? ORDER BY action`, accountID).
		Scan(&actions).Error; err != nil {
		return nil, nil, fmt.Errorf("audit actions: %w", err)
	}
	if err = db.Raw(`SELECT DISTINCT ON (user_id) user_id, username FROM audit_entries
		WHERE account_id = ? AND user_id IS NOT NULL ORDER BY user_id, at DESC`, accountID).
		Scan(&actors).Error; err != nil {
		return nil, nil, fmt.Errorf("audit actors: %w", err)
	}
	return actions, actors, nil
}

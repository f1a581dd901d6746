package reply

import (
	"fmt"
	"strings"
	"time"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Date is a calendar date in the operators' time zone (TIMEZONE); the zero Date is "unbounded".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports an unset date.
func (d Date) IsZero() bool { return d == Date{} }

// String answers the date as YYYY-MM-DD, "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// before reports d < e.
func (d Date) before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// ParseDate reads YYYY-MM-DD ("" is the zero Date); field names it in the error.
func ParseDate(field, s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 2000 || t.Year() > 2199 {
		return Date{}, apperr.Invalidf(field, "must be a date YYYY-MM-DD, got %q", s).WithKey("err.rule.date", field, s)
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

// Hours is a daily time window in TIMEZONE: from From (inclusive) to To (exclusive), in minutes since
// midnight. To before From runs past midnight (22:00-02:00). The zero Hours is "all day".
type Hours struct {
	From, To int16
	Set      bool
}

// String answers "HH:MM-HH:MM", "" when unset.
func (h Hours) String() string {
	if !h.Set {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", h.From/60, h.From%60, h.To/60, h.To%60)
}

// ParseHours reads "HH:MM-HH:MM" ("" is all day): hours 00–23 (24:00 as an end means midnight), minutes
// 00–59, start and end different. field names it in the error.
func ParseHours(field, s string) (Hours, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Hours{}, nil
	}
	bad := func() (Hours, error) {
		return Hours{}, apperr.Invalidf(field, "must be a daily time range HH:MM-HH:MM between 00:00 and 24:00, got %q", s).
			WithKey("err.rule.hours", field, s)
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return bad()
	}
	f, ok1 := clockMinutes(strings.TrimSpace(from), false)
	t, ok2 := clockMinutes(strings.TrimSpace(to), true)
	if !ok1 || !ok2 || f == t {
		return bad()
	}
	return Hours{From: f, To: t, Set: true}, nil
}

// clockMinutes reads H:MM or HH:MM; end allows 24:00.
func clockMinutes(s string, end bool) (int16, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, mm := 0, 0
	for _, c := range h {
		if c < '0' || c > '9' {
			return 0, false
		}
		hh = hh*10 + int(c-'0')
	}
	for _, c := range m {
		if c < '0' || c > '9' {
			return 0, false
		}
		mm = mm*10 + int(c-'0')
	}
	switch {
	case mm > 59:
		return 0, false
	case hh == 24 && end && mm == 0:
	case hh > 23:
		return 0, false
	}
	return int16(hh*60 + mm), true
}

// Schedule is when a keyword rule answers: between the dates (inclusive, either may be unset) and within
// the daily hours. The zero Schedule is always.
type Schedule struct {
	From, To Date
	Hours    Hours
}

// IsZero reports a rule that always answers.
func (s Schedule) IsZero() bool { return s.From.IsZero() && s.To.IsZero() && !s.Hours.Set }

// Validate checks the period's order.
func (s Schedule) Validate() error {
	if !s.From.IsZero() && !s.To.IsZero() && s.To.before(s.From) {
		return apperr.Invalidf("activeTo", "must not be before activeFrom").WithKey("err.rule.period")
	}
	return nil
}

// window is a Schedule compiled for matching: the period as Unix seconds and the hours as minutes, so that
// checking a message costs a few comparisons and no allocation.
type window struct {
	from, to   int64 // [from, to) in Unix seconds; 0 means unbounded
	hourFrom   int32 // minutes since midnight in the location
	hourTo     int32
	hours      bool
	overnight  bool
	hasPeriod  bool
	alwaysOpen bool
}

// compileWindow turns a schedule into a window in loc.
func compileWindow(s Schedule, loc *time.Location) window {
	if s.IsZero() {
		return window{alwaysOpen: true}
	}
	w := window{}
	if !s.From.IsZero() {
		w.from = time.Date(s.From.Year, s.From.Month, s.From.Day, 0, 0, 0, 0, loc).Unix()
		w.hasPeriod = true
	}
	if !s.To.IsZero() {
		w.to = time.Date(s.To.Year, s.To.Month, s.To.Day+1, 0, 0, 0, 0, loc).Unix()
		w.hasPeriod = true
	}
	if s.Hours.Set {
		w.hours = true
		w.hourFrom, w.hourTo = int32(s.Hours.From), int32(s.Hours.To)
		w.overnight = w.hourTo < w.hourFrom
	}
	return w
}

// instant is the moment a message is matched, as the windows need it: computed once per message.
type instant struct {
	unix   int64
	minute int32 // minutes since midnight in the location
}

func instantOf(now time.Time, loc *time.Location) instant {
	_, offset := now.In(loc).Zone()
	sec := now.Unix()
	day := (sec + int64(offset)) % 86400
	if day < 0 {
		day += 86400
	}
	return instant{unix: sec, minute: int32(day / 60)}
}

// open reports whether the window is open at t.
func (w *window) open(t instant) bool {
	if w.alwaysOpen {
		return true
	}
	if w.hasPeriod {
		if w.from != 0 && t.unix < w.from {
			return false
		}
		if w.to != 0 && t.unix >= w.to {
			return false
		}
	}
	if w.hours {
		if w.overnight {
			return t.minute >= w.hourFrom || t.minute < w.hourTo
		}
		return t.minute >= w.hourFrom && t.minute < w.hourTo
	}
	return true
}

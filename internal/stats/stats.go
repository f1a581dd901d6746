// Package stats keeps WeChat's statistics of each official account for good and draws them over any range
// (contract §19).
//
// WeChat's datacube answers a few days at a time (each endpoint has its span), from 08:00 Beijing time the
// next day, and forgets nothing but answers nothing in bulk: the console pulls every day at 08:30 in
// TIMEZONE, backfills 180 days when an account is bound, and on syncStats. The pull (pull.go) splits ranges
// by span, stores each day's rows under WeChat's field names with idempotent upserts (store.go), and
// remembers per endpoint and day what WeChat answered, so a settled day is not asked again unless syncStats
// names it and a failed one is asked again by the next pull. getStats and exportStats (query.go, csv.go)
// read the stored days beside the console's own message log.
package stats

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// WeChat is the part of the WeChat client the pull calls (wxclient.Client).
type WeChat interface {
	UserSummary(ctx context.Context, appid string, begin, end time.Time) (wxclient.DatacubeList[wxclient.UserSummary], error)
	UserCumulate(ctx context.Context, appid string, begin, end time.Time) (wxclient.DatacubeList[wxclient.UserCumulate], error)
	UpstreamMsg(ctx context.Context, appid string, begin, end time.Time) (wxclient.DatacubeList[wxclient.UpstreamMsg], error)
	InterfaceSummary(ctx context.Context, appid string, begin, end time.Time) (wxclient.DatacubeList[wxclient.InterfaceSummary], error)
	ArticleRead(ctx context.Context, appid string, begin, end time.Time) (wxclient.DatacubeList[wxclient.ArticleRead], error)
	BizSummary(ctx context.Context, appid string, begin, end time.Time) (wxclient.DatacubeList[wxclient.BizSummary], error)
}

// ConsoleLog answers the console's own daily message counts (the callback's message store).
type ConsoleLog interface {
	ConsoleDays(ctx context.Context, accountID int64, first, last time.Time, loc *time.Location) ([]messages.ConsoleDay, error)
}

// Queue puts a pull in the background (River, see jobs.go): an account's days from first to last, every
// one asked again when force is set. QueuePullTx queues inside a GORM transaction: the pull exists only if
// the transaction commits.
type Queue interface {
	QueuePull(ctx context.Context, accountID int64, first, last time.Time, force bool) error
	QueuePullTx(ctx context.Context, tx *gorm.DB, accountID int64, first, last time.Time, force bool) error
}

// Options wire the service.
type Options struct {
	WeChat   WeChat
	Console  ConsoleLog // nil: the console's counts are zero
	Location *time.Location
	Now      func() time.Time
	Logger   *slog.Logger
	// SyncBudget bounds how long syncStats pulls before it leaves the rest to a background pull
	// (default 20 s).
	SyncBudget time.Duration
}

// Service pulls and reads the statistics.
type Service struct {
	db    *gorm.DB
	opts  Options
	loc   *time.Location
	now   func() time.Time
	log   *slog.Logger
	queue Queue
}

// NewService builds the service.
func NewService(db *gorm.DB, opts Options) *Service {
	s := &Service{db: db, opts: opts, loc: opts.Location, now: opts.Now, log: opts.Logger}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.opts.SyncBudget <= 0 {
		s.opts.SyncBudget = 20 * time.Second
	}
	return s
}

// SetQueue gives the service its background queue, once the job client exists (it needs the service's
// workers first).
func (s *Service) SetQueue(q Queue) { s.queue = q }

// Location answers TIMEZONE.
func (s *Service) Location() *time.Location { return s.loc }

// Backfill is how far back a newly bound account's statistics are pulled.
const BackfillDays = 180

// MaxRange is the longest range getStats and exportStats answer.
const MaxRange = 2 // years

// Errors of the package.
var (
	ErrNoWeChat = errors.New("stats: no WeChat client")
)

// A day is a calendar date, held as midnight UTC of that date, whatever the time zone it was read in.

// dateOf answers the calendar date of t in its own location.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// today answers today's date in TIMEZONE.
func (s *Service) today() time.Time { return dateOf(s.now().In(s.loc)) }

// beijing is WeChat's time zone: datacube days are Beijing days, available from 08:00 the next day.
var beijing = time.FixedZone("CST", 8*3600)

// lastAvailable answers the last day WeChat can answer: yesterday, in TIMEZONE and in Beijing alike.
func (s *Service) lastAvailable() time.Time {
	a := s.today().AddDate(0, 0, -1)
	b := dateOf(s.now().In(beijing)).AddDate(0, 0, -1)
	if b.Before(a) {
		return b
	}
	return a
}

// final answers when WeChat's figures of day are complete: 08:00 Beijing time the next day.
func final(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 8, 0, 0, 0, beijing)
}

// ParseRange reads the from and to of getStats and exportStats: YYYY-MM-DD dates in TIMEZONE, from not
// after to, to not after today, at most two years apart. Empty ones default to the last 30 days.
func (s *Service) ParseRange(from, to string) (time.Time, time.Time, error) {
	today := s.today()
	last, err := parseDate("to", to, today)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	first, err := parseDate("from", from, last.AddDate(0, 0, -29))
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	switch {
	case last.After(today):
		return time.Time{}, time.Time{}, apperr.Invalidf("to", "must not be after today (%s in %s)",
			today.Format(wxclient.DateLayout), s.loc).WithKey("stats.err.future", today.Format(wxclient.DateLayout))
	case first.After(last):
		return time.Time{}, time.Time{}, apperr.Invalidf("from", "must not be after to").WithKey("stats.err.order")
	case first.Before(last.AddDate(-MaxRange, 0, 0)):
		return time.Time{}, time.Time{}, apperr.Invalidf("from", "the range must not exceed %d years", MaxRange).
			WithKey("stats.err.span", MaxRange)
	}
	return first, last, nil
}

func parseDate(field, v string, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.Parse(wxclient.DateLayout, v)
	if err != nil {
		return time.Time{}, apperr.Invalidf(field, "must be a date YYYY-MM-DD").WithKey("stats.err.date", field)
	}
	return d, nil
}

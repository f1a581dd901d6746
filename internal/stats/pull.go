package stats

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// endpoints are the datacube endpoints the console pulls, in the order it pulls them.
var endpoints = []string{
	wxclient.DatacubeUserSummary, wxclient.DatacubeUserCumulate, wxclient.DatacubeUpstreamMsg,
	wxclient.DatacubeInterfaceSummary, wxclient.DatacubeArticleRead, wxclient.DatacubeBizSummary,
}

// PullResult tells what a pull did.
type PullResult struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Calls int    `json:"calls"`  // requests made to WeChat
	Days  int    `json:"days"`   // endpoint-days stored
	Fails int    `json:"failed"` // endpoint-days WeChat did not answer (asked again by the next pull)
}

// Pull asks WeChat for an account's statistics from first to last (dates; last is brought back to the
// last day WeChat can answer, yesterday) and stores them. Unless force is set, the days already settled
// are not asked again. Each endpoint's days are asked in runs of at most its span; a range WeChat refuses
// (61501) is asked again in halves. A day WeChat does not answer is recorded as failed and asked again by
// the next pull; Pull then answers an error, after having asked for everything else. WeChat is never called
// inside a database transaction.
func (s *Service) Pull(ctx context.Context, accountID int64, appid string, first, last time.Time, force bool) (PullResult, error) {
	first, last = dateOf(first), dateOf(last)
	if la := s.lastAvailable(); last.After(la) {
		last = la
	}
	res := PullResult{From: ds(first), To: ds(last)}
	if s.opts.WeChat == nil {
		return res, ErrNoWeChat
	}
	if last.Before(first) {
		return res, nil
	}
	var errs []error
	for _, ep := range endpoints {
		settled := map[time.Time]bool{}
		if !force {
			var err error
			if settled, err = s.settledDays(ctx, accountID, ep, first, last); err != nil {
				return res, err
			}
		}
		// Newest days first: the dashboard shows the recent ones, and a long backfill fills them first.
		cs := chunks(first, last, wxclient.DatacubeSpans[ep], settled)
		slices.Reverse(cs)
		for _, c := range cs {
			if err := s.pullChunk(ctx, &res, accountID, appid, ep, c[0], c[1]); err != nil {
				errs = append(errs, err)
				if ctx.Err() != nil {
					return res, errors.Join(errs...)
				}
				if !isDayError(err) {
					break // WeChat refuses the endpoint or does not answer: leave its other days to the next pull
				}
			}
		}
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("stats pull of %s: %d endpoint-days failed: %w", appid, res.Fails, errors.Join(errs...))
	}
	return res, nil
}

// isDayError reports the errors that concern the days asked, not the endpoint: the next chunk may succeed.
func isDayError(err error) bool {
	code := wxclient.Code(err)
	return code == wxclient.CodeBadDate || code == wxclient.CodeDateRange
}

// chunks splits the days from first to last that are not settled into runs of consecutive days of at most
// span days each.
func chunks(first, last time.Time, span int, settled map[time.Time]bool) [][2]time.Time {
	span = max(span, 1)
	var out [][2]time.Time
	var start time.Time
	n := 0
	flush := func(end time.Time) {
		if n > 0 {
			out = append(out, [2]time.Time{start, end})
			n = 0
		}
	}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		if settled[d] {
			flush(d.AddDate(0, 0, -1))
			continue
		}
		if n == 0 {
			start = d
		}
		n++
		if n == span {
			flush(d)
		}
	}
	flush(last)
	return out
}

// pullChunk asks one endpoint for the days begin to end and stores the answer.
func (s *Service) pullChunk(ctx context.Context, res *PullResult, accountID int64, appid, ep string, begin, end time.Time) error {
	res.Calls++
	got, err := s.fetch(ctx, ep, appid, begin, end)
	if err != nil {
		if wxclient.Code(err) == wxclient.CodeDateRange && end.After(begin) {
			mid := begin.AddDate(0, 0, int(end.Sub(begin).Hours()/24)/2)
			err1 := s.pullChunk(ctx, res, accountID, appid, ep, begin, mid)
			err2 := s.pullChunk(ctx, res, accountID, appid, ep, mid.AddDate(0, 0, 1), end)
			return errors.Join(err1, err2)
		}
		var states []dayState
		msg := failure(err)
		for d := begin; !d.After(end); d = d.AddDate(0, 0, 1) {
			states = append(states, dayState{day: d, errcode: wxclient.Code(err), err: msg})
		}
		res.Fails += len(states)
		s.log.WarnContext(ctx, "stats pull failed", "appid", appid, "endpoint", ep, "from", ds(begin), "to", ds(end), "err", err)
		if merr := markDays(s.db.WithContext(context.WithoutCancel(ctx)), accountID, ep, states, s.now()); merr != nil {
			return errors.Join(err, merr)
		}
		return fmt.Errorf("%s %s..%s: %w", ep, ds(begin), ds(end), err)
	}
	now := s.now()
	t := tables[ep]
	var states []dayState
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for d := begin; !d.After(end); d = d.AddDate(0, 0, 1) {
			rows := got.byDay[d]
			if err := saveDay(tx, t, accountID, d, rows); err != nil {
				return err
			}
			settled := !got.delay && (len(rows) > 0 || !now.Before(final(d)))
			states = append(states, dayState{day: d, ok: true, settled: settled, rows: len(rows)})
		}
		return markDays(tx, accountID, ep, states, now)
	})
	if err != nil {
		return fmt.Errorf("store %s: %w", ep, err)
	}
	res.Days += len(states)
	return nil
}

// failure is what the operator reads of a failed day: WeChat's errcode and errmsg, or the kind of failure.
func failure(err error) string {
	var wx *wxclient.Error
	if errors.As(err, &wx) {
		return fmt.Sprintf("%d %s", wx.Errcode, wx.Errmsg)
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Msg
	}
	return "failed"
}

// fetched is an endpoint's answer, as rows per day.
type fetched struct {
	byDay map[time.Time][]row
	delay bool
}

// add files a row under its day, adding the values of a row with the same key (WeChat may split a day's
// figures of one source over rows).
func (f *fetched) add(refDate string, key any, vals ...any) {
	d, err := time.Parse(wxclient.DateLayout, refDate)
	if err != nil {
		return
	}
	if f.byDay == nil {
		f.byDay = map[time.Time][]row{}
	}
	rows := f.byDay[d]
	if key == nil && len(rows) > 0 { // one row a day: the last one wins
		rows[0].vals = vals
		return
	}
	for i := range rows {
		if key != nil && rows[i].key == key {
			for j, v := range vals {
				if a, ok := rows[i].vals[j].(int64); ok {
					if b, ok := v.(int64); ok {
						rows[i].vals[j] = a + b
					}
				}
			}
			return
		}
	}
	f.byDay[d] = append(rows, row{key: key, vals: vals})
}

// fetch calls one endpoint and turns its rows into table rows.
func (s *Service) fetch(ctx context.Context, ep, appid string, begin, end time.Time) (fetched, error) {
	var f fetched
	w := s.opts.WeChat
	i := func(n int) int64 { return int64(n) }
	switch ep {
	case wxclient.DatacubeUserSummary:
		l, err := w.UserSummary(ctx, appid, begin, end)
		if err != nil {
			return f, err
		}
		for _, r := range l.List {
			f.add(r.RefDate, i(r.UserSource), i(r.NewUser), i(r.CancelUser))
		}
	case wxclient.DatacubeUserCumulate:
		l, err := w.UserCumulate(ctx, appid, begin, end)
		if err != nil {
			return f, err
		}
		for _, r := range l.List {
			f.add(r.RefDate, nil, i(r.CumulateUser))
		}
	case wxclient.DatacubeUpstreamMsg:
		l, err := w.UpstreamMsg(ctx, appid, begin, end)
		if err != nil {
			return f, err
		}
		for _, r := range l.List {
			f.add(r.RefDate, i(r.MsgType), i(r.MsgUser), i(r.MsgCount))
		}
	case wxclient.DatacubeInterfaceSummary:
		l, err := w.InterfaceSummary(ctx, appid, begin, end)
		if err != nil {
			return f, err
		}
		for _, r := range l.List {
			f.add(r.RefDate, nil, i(r.CallbackCount), i(r.FailCount), r.TotalTimeCost, i(r.MaxTimeCost))
		}
	case wxclient.DatacubeArticleRead:
		l, err := w.ArticleRead(ctx, appid, begin, end)
		if err != nil {
			return f, err
		}
		f.delay = l.IsDelay
		for _, r := range l.List {
			f.add(r.RefDate, r.MsgID, i(r.Detail.ReadUser), rawJSON(r.Detail.Raw))
		}
	case wxclient.DatacubeBizSummary:
		l, err := w.BizSummary(ctx, appid, begin, end)
		if err != nil {
			return f, err
		}
		f.delay = l.IsDelay
		for _, r := range l.List {
			d := r.Detail
			f.add(r.RefDate, nil, i(d.ReadUser), i(d.ShareUser), i(d.ZaikanUser), i(d.LikeUser), i(d.CommentCount), rawJSON(d.Raw))
		}
	default:
		return f, fmt.Errorf("stats: unknown endpoint %q", ep)
	}
	return f, nil
}

// rawJSON is a detail object as stored: WeChat's JSON, or {} when it sent none.
func rawJSON(b []byte) string {
	if len(b) == 0 || string(b) == "null" {
		return "{}"
	}
	return string(b)
}

package stats

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Metrics getStats answers besides the console's own counts.
const (
	MetricUsers     = "users"
	MetricMessages  = "messages"
	MetricInterface = "interface"
	MetricArticles  = "articles"
)

// AllMetrics is every metric, the default of getStats.
var AllMetrics = []string{MetricUsers, MetricMessages, MetricInterface, MetricArticles}

// ParseMetrics checks the metrics asked for; none means all.
func ParseMetrics(list []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, m := range list {
		switch m {
		case MetricUsers, MetricMessages, MetricInterface, MetricArticles:
			out[m] = true
		case "":
		default:
			return nil, apperr.Invalidf("metrics", "unknown metric %q: use users, messages, interface, articles", m).WithKey("stats.err.metric", "metrics", m)
		}
	}
	if len(out) == 0 {
		for _, m := range AllMetrics {
			out[m] = true
		}
	}
	return out, nil
}

// UserDay is a day of followers: follows, unfollows, their difference, the followers at the day's end
// (null when WeChat's count of that day is not stored) and follows by WeChat's user_source code.
type UserDay struct {
	Date     string         `json:"date"`
	New      int            `json:"new"`
	Cancel   int            `json:"cancel"`
	Net      int            `json:"net"`
	Cumulate *int           `json:"cumulate"`
	BySource map[string]int `json:"bySource"`
}

// MessageDay is a day of messages followers sent, as WeChat counts them: users is the largest count of
// writers of one message type (WeChat counts writers per type, not in all), count the messages, byType
// the messages by WeChat's msg_type code.
type MessageDay struct {
	Date   string         `json:"date"`
	Users  int            `json:"users"`
	Count  int            `json:"count"`
	ByType map[string]int `json:"byType"`
}

// InterfaceDay is a day of WeChat's calls to the console's callback: calls, failed calls, average and
// longest time in milliseconds.
type InterfaceDay struct {
	Date     string `json:"date"`
	Calls    int    `json:"calls"`
	Failures int    `json:"failures"`
	AvgMs    int    `json:"avgMs"`
	MaxMs    int    `json:"maxMs"`
}

// ArticleDay is a day of article reading: reads sums every article's readers (getarticleread), readers is
// the distinct readers of the account's content and shares its sharers (getbizsummary).
type ArticleDay struct {
	Date    string `json:"date"`
	Reads   int    `json:"reads"`
	Readers int    `json:"readers"`
	Shares  int    `json:"shares"`
}

// ConsoleDay is a day of the console's own message log.
type ConsoleDay struct {
	Date           string `json:"date"`
	Received       int    `json:"received"`
	AnsweredByRule int    `json:"answeredByRule"`
	Unanswered     int    `json:"unanswered"`
}

// Report is getStats' answer: one entry per day from From to To in every list asked for.
type Report struct {
	From      string         `json:"from"`
	To        string         `json:"to"`
	TimeZone  string         `json:"timezone"`
	Users     []UserDay      `json:"users,omitempty"`
	Messages  []MessageDay   `json:"messages,omitempty"`
	Interface []InterfaceDay `json:"interface,omitempty"`
	Articles  []ArticleDay   `json:"articles,omitempty"`
	Console   []ConsoleDay   `json:"console"`
}

// Report reads an account's statistics from first to last (a range ParseRange accepted).
func (s *Service) Report(ctx context.Context, accountID int64, first, last time.Time, metrics map[string]bool) (*Report, error) {
	first, last = dateOf(first), dateOf(last)
	n := int(last.Sub(first).Hours()/24) + 1
	if n < 1 {
		return nil, apperr.Invalidf("from", "must not be after to").WithKey("stats.err.order")
	}
	r := &Report{From: ds(first), To: ds(last), TimeZone: s.loc.String()}
	idx := func(d time.Time) (int, bool) {
		i := int(dateOf(d).Sub(first).Hours() / 24)
		return i, i >= 0 && i < n
	}
	dates := make([]string, n)
	for i := range dates {
		dates[i] = ds(first.AddDate(0, 0, i))
	}
	db := s.db.WithContext(ctx)
	a, b := ds(first), ds(last)
	const where = ` WHERE account_id = ? AND ref_date BETWEEN ?::date AND ?::date`

	if metrics[MetricUsers] {
		r.Users = make([]UserDay, n)
		for i := range r.Users {
			r.Users[i] = UserDay{Date: dates[i], BySource: map[string]int{}}
		}
		var rows []struct {
			RefDate                         time.Time
			UserSource, NewUser, CancelUser int
		}
		if err := db.Raw(`SELECT ref_date, user_source, new_user, cancel_user FROM wx_stats_user_summary`+where,
			accountID, a, b).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read user summary: %w", err)
		}
		for _, x := range rows {
			if i, ok := idx(x.RefDate); ok {
				u := &r.Users[i]
				u.New += x.NewUser
				u.Cancel += x.CancelUser
				u.Net = u.New - u.Cancel
				if x.NewUser > 0 {
					u.BySource[strconv.Itoa(x.UserSource)] += x.NewUser
				}
			}
		}
		var cum []struct {
			RefDate      time.Time
			CumulateUser int
		}
		if err := db.Raw(`SELECT ref_date, cumulate_user FROM wx_stats_user_cumulate`+where,
			accountID, a, b).Scan(&cum).Error; err != nil {
			return nil, fmt.Errorf("read user cumulate: %w", err)
		}
		for _, x := range cum {
			if i, ok := idx(x.RefDate); ok {
				v := x.CumulateUser
				r.Users[i].Cumulate = &v
			}
		}
	}

	if metrics[MetricMessages] {
		r.Messages = make([]MessageDay, n)
		for i := range r.Messages {
			r.Messages[i] = MessageDay{Date: dates[i], ByType: map[string]int{}}
		}
		var rows []struct {
			RefDate                    time.Time
			MsgType, MsgUser, MsgCount int
		}
		if err := db.Raw(`SELECT ref_date, msg_type, msg_user, msg_count FROM wx_stats_upstream_msg`+where,
			accountID, a, b).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read upstream messages: %w", err)
		}
		for _, x := range rows {
			if i, ok := idx(x.RefDate); ok {
				m := &r.Messages[i]
				m.Users = max(m.Users, x.MsgUser)
				m.Count += x.MsgCount
				m.ByType[strconv.Itoa(x.MsgType)] += x.MsgCount
			}
		}
	}

	if metrics[MetricInterface] {
		r.Interface = make([]InterfaceDay, n)
		for i := range r.Interface {
			r.Interface[i] = InterfaceDay{Date: dates[i]}
		}
		var rows []struct {
			RefDate                               time.Time
			CallbackCount, FailCount, MaxTimeCost int
			TotalTimeCost                         int64
		}
		if err := db.Raw(`SELECT ref_date, callback_count, fail_count, total_time_cost, max_time_cost
			FROM wx_stats_interface_summary`+where, accountID, a, b).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("read interface summary: %w", err)
		}
		for _, x := range rows {
			if i, ok := idx(x.RefDate); ok {
				d := &r.Interface[i]
				d.Calls, d.Failures, d.MaxMs = x.CallbackCount, x.FailCount, x.MaxTimeCost
				if x.CallbackCount > 0 {
					d.AvgMs = int((x.TotalTimeCost + int64(x.CallbackCount)/2) / int64(x.CallbackCount))
				}
			}
		}
	}

	if metrics[MetricArticles] {
		r.Articles = make([]ArticleDay, n)
		for i := range r.Articles {
			r.Articles[i] = ArticleDay{Date: dates[i]}
		}
		var reads []struct {
			RefDate time.Time
			Reads   int
		}
		if err := db.Raw(`SELECT ref_date, sum(read_user) AS reads FROM wx_stats_article_read`+where+` GROUP BY ref_date`,
			accountID, a, b).Scan(&reads).Error; err != nil {
			return nil, fmt.Errorf("read article reads: %w", err)
		}
		for _, x := range reads {
			if i, ok := idx(x.RefDate); ok {
				r.Articles[i].Reads = x.Reads
			}
		}
		var biz []struct {
			RefDate             time.Time
			ReadUser, ShareUser int
		}
		if err := db.Raw(`SELECT ref_date, read_user, share_user FROM wx_stats_biz_summary`+where,
			accountID, a, b).Scan(&biz).Error; err != nil {
			return nil, fmt.Errorf("read biz summary: %w", err)
		}
		for _, x := range biz {
			if i, ok := idx(x.RefDate); ok {
				r.Articles[i].Readers, r.Articles[i].Shares = x.ReadUser, x.ShareUser
			}
		}
	}

	r.Console = make([]ConsoleDay, n)
	for i := range r.Console {
		r.Console[i] = ConsoleDay{Date: dates[i]}
	}
	if s.opts.Console != nil {
		days, err := s.opts.Console.ConsoleDays(ctx, accountID, first, last, s.loc)
		if err != nil {
			return nil, err
		}
		for _, d := range days {
			if i, ok := idx(d.Day); ok {
				r.Console[i] = ConsoleDay{Date: dates[i], Received: d.Received, AnsweredByRule: d.AnsweredByRule,
					Unanswered: d.Unanswered}
			}
		}
	}
	return r, nil
}

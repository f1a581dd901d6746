package stats

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// table describes where one endpoint's rows go: its table, the column that tells a day's rows apart (empty
// when a day has one row), and the value columns, all named as WeChat names them.
type table struct {
	name string
	key  string
	vals []string
	json []bool // vals cast to jsonb
}

var tables = map[string]table{
	"getusersummary":      {name: "wx_stats_user_summary", key: "user_source", vals: []string{"new_user", "cancel_user"}},
	"getusercumulate":     {name: "wx_stats_user_cumulate", vals: []string{"cumulate_user"}},
	"getupstreammsg":      {name: "wx_stats_upstream_msg", key: "msg_type", vals: []string{"msg_user", "msg_count"}},
	"getinterfacesummary": {name: "wx_stats_interface_summary", vals: []string{"callback_count", "fail_count", "total_time_cost", "max_time_cost"}},
	"getarticleread":      {name: "wx_stats_article_read", key: "msgid", vals: []string{"read_user", "detail"}, json: []bool{false, true}},
	"getbizsummary": {name: "wx_stats_biz_summary", vals: []string{"read_user", "share_user", "zaikan_user", "like_user", "comment_count", "detail"},
		json: []bool{false, false, false, false, false, true}},
}

// row is one stored row: its key (nil for a table without one) and its values, in the table's order.
type row struct {
	key  any
	vals []any
}

// saveDay replaces the rows of an account's day in t with rows, leaving untouched the rows equal to what is
// stored (pulling a day twice changes nothing), and deleting those WeChat no longer answers.
func saveDay(tx *gorm.DB, t table, accountID int64, day time.Time, rows []row) error {
	if len(rows) > 0 {
		cols := []string{"account_id", "ref_date"}
		conflict := []string{"account_id", "ref_date"}
		if t.key != "" {
			cols = append(cols, t.key)
			conflict = append(conflict, t.key)
		}
		cols = append(cols, t.vals...)
		var ph []string
		var args []any
		for _, r := range rows {
			p := []string{"?", "?::date"}
			args = append(args, accountID, ds(day))
			if t.key != "" {
				p = append(p, "?")
				args = append(args, r.key)
			}
			for i, v := range r.vals {
				if t.json != nil && t.json[i] {
					p = append(p, "?::jsonb")
				} else {
					p = append(p, "?")
				}
				args = append(args, v)
			}
			ph = append(ph, "("+strings.Join(p, ", ")+")")
		}
		set := make([]string, len(t.vals))
		cur := make([]string, len(t.vals))
		exc := make([]string, len(t.vals))
		for i, v := range t.vals {
			set[i] = v + " = excluded." + v
			cur[i] = t.name + "." + v
			exc[i] = "excluded." + v
		}
		q := "INSERT INTO " + t.name + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(ph, ", ") +
			" ON CONFLICT (" + strings.Join(conflict, ", ") + ") DO UPDATE SET " + strings.Join(set, ", ") +
			" WHERE (" + strings.Join(cur, ", ") + ") IS DISTINCT FROM (" + strings.Join(exc, ", ") + ")"
		if err := tx.Exec(q, args...).Error; err != nil {
			return fmt.Errorf("save %s: %w", t.name, err)
		}
	}
	del := "DELETE FROM " + t.name + " WHERE account_id = ? AND ref_date = ?::date"
	args := []any{accountID, ds(day)}
	switch {
	case len(rows) == 0:
	case t.key == "":
		return nil // the one row of the day was just written
	default:
		keys := make([]any, len(rows))
		for i, r := range rows {
			keys[i] = r.key
		}
		del += " AND " + t.key + " NOT IN ?"
		args = append(args, keys)
	}
	if err := tx.Exec(del, args...).Error; err != nil {
		return fmt.Errorf("prune %s: %w", t.name, err)
	}
	return nil
}

// dayState is what the pull learnt of one endpoint's day.
type dayState struct {
	day     time.Time
	ok      bool
	settled bool
	rows    int
	errcode int
	err     string
}

// markDays records the outcome of asking WeChat for days of endpoint.
func markDays(tx *gorm.DB, accountID int64, endpoint string, states []dayState, at time.Time) error {
	if len(states) == 0 {
		return nil
	}
	var ph []string
	var args []any
	for _, st := range states {
		state := "failed"
		if st.ok {
			state = "ok"
		}
		ph = append(ph, "(?, ?, ?::date, ?, ?, ?, ?, ?, ?)")
		args = append(args, accountID, endpoint, ds(st.day), state, st.settled, st.rows, st.errcode, st.err, at)
	}
	q := `INSERT INTO wx_stats_days (account_id, endpoint, ref_date, state, settled, rows, errcode, error, fetched_at)
		VALUES ` + strings.Join(ph, ", ") + `
		ON CONFLICT (account_id, endpoint, ref_date) DO UPDATE SET state = excluded.state, settled = excluded.settled,
			rows = excluded.rows, errcode = excluded.errcode, error = excluded.error, fetched_at = excluded.fetched_at,
			attempts = wx_stats_days.attempts + 1`
	if err := tx.Exec(q, args...).Error; err != nil {
		return fmt.Errorf("mark stats days: %w", err)
	}
	return nil
}

// settledDays answers the days of endpoint from first to last that need not be asked again.
func (s *Service) settledDays(ctx context.Context, accountID int64, endpoint string, first, last time.Time) (map[time.Time]bool, error) {
	var days []time.Time
	err := s.db.WithContext(ctx).Raw(`SELECT ref_date FROM wx_stats_days WHERE account_id = ? AND endpoint = ?
		AND ref_date BETWEEN ?::date AND ?::date AND settled`, accountID, endpoint, ds(first), ds(last)).Scan(&days).Error
	if err != nil {
		return nil, fmt.Errorf("settled stats days: %w", err)
	}
	out := make(map[time.Time]bool, len(days))
	for _, d := range days {
		out[dateOf(d)] = true
	}
	return out, nil
}

// DayStatus is the pull's knowledge of a range for the operator: per endpoint, the days stored and
// settled, and the failed ones with WeChat's last answer.
type DayStatus struct {
	Endpoint  string `json:"endpoint"`
	Stored    int    `json:"stored"`
	Settled   int    `json:"settled"`
	Failed    int    `json:"failed"`
	LastError string `json:"lastError,omitempty"`
}

// Status answers what is stored of an account's days from first to last.
func (s *Service) Status(ctx context.Context, accountID int64, first, last time.Time) ([]DayStatus, error) {
	var rows []struct {
		Endpoint                string
		Stored, Settled, Failed int
		LastError               string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT endpoint, count(*) FILTER (WHERE state = 'ok') AS stored,
		count(*) FILTER (WHERE settled) AS settled, count(*) FILTER (WHERE state = 'failed') AS failed,
		coalesce(max(error) FILTER (WHERE state = 'failed'), '') AS last_error
		FROM wx_stats_days WHERE account_id = ? AND ref_date BETWEEN ?::date AND ?::date GROUP BY endpoint`,
		accountID, ds(first), ds(last)).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("stats status: %w", err)
	}
	byName := map[string]DayStatus{}
	for _, r := range rows {
		byName[r.Endpoint] = DayStatus{r.Endpoint, r.Stored, r.Settled, r.Failed, r.LastError}
	}
	out := make([]DayStatus, 0, len(endpoints))
	for _, ep := range endpoints {
		st, ok := byName[ep]
		if !ok {
			st = DayStatus{Endpoint: ep}
		}
		out = append(out, st)
	}
	return out, nil
}

// ds writes a day as Postgres reads a date, whatever the session's time zone.
func ds(day time.Time) string { return day.Format("2006-01-02") }

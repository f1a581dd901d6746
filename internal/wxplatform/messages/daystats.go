package messages

import (
	"context"
	"fmt"
	"time"
)

// ConsoleDay is what the console's own message log holds for one day: the messages followers sent (events
// are not messages), those a reply rule answered (a keyword, the subscribe or the default reply), and the
// rest, which no rule answered.
type ConsoleDay struct {
	Day            time.Time
	Received       int
	AnsweredByRule int
	Unanswered     int
}

// consoleDaysSQL counts an account's stored messages per calendar day in a time zone; the range scan uses
// the inbox's index (account_id, received_at).
const consoleDaysSQL = `SELECT (received_at AT TIME ZONE ?)::date AS day,
	count(*) AS received,
	count(*) FILTER (WHERE rule_kind IS NOT NULL AND reply_xml IS NOT NULL) AS answered
FROM wx_messages WHERE account_id = ? AND received_at >= ? AND received_at < ? AND msg_type <> 'event'
GROUP BY 1`

// ConsoleDays answers every day from first to last (dates in loc; their clock time is ignored), oldest
// first, with the counts of the messages received that day in loc, zero for a quiet day.
func (s *Store) ConsoleDays(ctx context.Context, accountID int64, first, last time.Time, loc *time.Location) ([]ConsoleDay, error) {
	first = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc)
	last = time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, loc)
	if last.Before(first) {
		return nil, nil
	}
	var rows []struct {
		Day      time.Time // a date: midnight UTC
		Received int
		Answered int
	}
	if err := s.db.WithContext(ctx).Raw(consoleDaysSQL, loc.String(), accountID, first.UTC(),
		last.AddDate(0, 0, 1).UTC()).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("console message counts: %w", err)
	}
	byDay := make(map[string]int, len(rows))
	for i, r := range rows {
		byDay[r.Day.UTC().Format("2006-01-02")] = i
	}
	var out []ConsoleDay
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		cd := ConsoleDay{Day: d}
		if i, ok := byDay[d.Format("2006-01-02")]; ok {
			cd.Received, cd.AnsweredByRule = rows[i].Received, rows[i].Answered
			cd.Unanswered = cd.Received - cd.AnsweredByRule
		}
		out = append(out, cd)
	}
	return out, nil
}

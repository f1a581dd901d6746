package messages

import (
	"context"
	"fmt"
	"time"
)

// DayCounts is what the callback stored on one day: messages from followers, follows and unfollows.
type DayCounts struct {
	Day                          time.Time
	Messages, Follows, Unfollows int
}

// dailyCountsSQL counts an account's stored messages and events by day, days numbered from the Unix epoch
// in the console's time zone (the offset in seconds is the first argument). It reads only wx_messages, the
// callback's table; the range scan uses the inbox's index (account_id, received_at).
const dailyCountsSQL = `SELECT floor((extract(epoch FROM received_at) + ?) / 86400)::bigint AS day,
	count(*) FILTER (WHERE msg_type <> 'event') AS messages,
	count(*) FILTER (WHERE lower(event) = 'subscribe') AS follows,
	count(*) FILTER (WHERE lower(event) = 'unsubscribe') AS unfollows
FROM wx_messages WHERE account_id = ? AND received_at >= ?
GROUP BY 1`

// DailyCounts answers the last n days up to now's day, oldest first, each with its counts (zero for a
// quiet day), for the dashboard's charts.
func (s *Store) DailyCounts(ctx context.Context, accountID int64, now time.Time, n int) ([]DayCounts, error) {
	_, off := now.Zone()
	y, m, d := now.Date()
	first := time.Date(y, m, d, 0, 0, 0, 0, now.Location()).AddDate(0, 0, -(n - 1))
	dayOf := func(t time.Time) int64 { return (t.Unix() + int64(off)) / 86400 }
	var rows []struct {
		Day                          int64
		Messages, Follows, Unfollows int
	}
	if err := s.db.WithContext(ctx).Raw(dailyCountsSQL, off, accountID, first.UTC()).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("daily message counts: %w", err)
	}
	out := make([]DayCounts, n)
	index := map[int64]int{}
	for i := range out {
		out[i].Day = first.AddDate(0, 0, i)
		index[dayOf(out[i].Day)] = i
	}
	for _, r := range rows {
		if i, ok := index[r.Day]; ok {
			out[i].Messages, out[i].Follows, out[i].Unfollows = r.Messages, r.Follows, r.Unfollows
		}
	}
	return out, nil
}

package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// Schedule says when a periodic job runs next; river.PeriodicSchedule.
type Schedule = river.PeriodicSchedule

// Every runs a periodic job at a fixed interval ("every 10 minutes").
func Every(d time.Duration) Schedule { return river.PeriodicInterval(d) }

// DailyAt runs a periodic job once a day at hour:minute wall-clock time in loc ("every day at 08:30 in
// Asia/Shanghai"). Across a daylight-saving change it keeps the wall-clock time; a time that does not exist
// that day (a spring-forward gap) runs at the first instant after the gap.
func DailyAt(hour, minute int, loc *time.Location) Schedule {
	if loc == nil {
		loc = time.UTC
	}
	return dailyAt{hour: hour, minute: minute, loc: loc}
}

type dailyAt struct {
	hour, minute int
	loc          *time.Location
}

// Next is the first hour:minute in loc strictly after now.
func (d dailyAt) Next(now time.Time) time.Time {
	t := now.In(d.loc)
	for i := 0; i < 3; i++ {
		y, m, day := t.AddDate(0, 0, i).Date()
		c := time.Date(y, m, day, d.hour, d.minute, 0, 0, d.loc)
		if c.After(now) {
			return c
		}
	}
	return now.Add(24 * time.Hour) // unreachable for valid hours; never spin
}

package stats

import (
	"encoding/csv"
	"io"
	"strconv"
)

// CSVHeader is the header row of exportStats: the date, then the fields of getStats' lists.
var CSVHeader = []string{"date", "new", "cancel", "net", "cumulate", "messageUsers", "messages", "calls", "failures",
	"avgMs", "maxMs", "reads", "readers", "shares", "received", "answeredByRule", "unanswered"}

// WriteCSV writes a report with every metric as CSV: the header and one row per day. A cumulative count
// WeChat has not given is an empty cell.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	itoa := strconv.Itoa
	for i, c := range r.Console {
		rec := []string{c.Date}
		if i < len(r.Users) {
			u := r.Users[i]
			cum := ""
			if u.Cumulate != nil {
				cum = itoa(*u.Cumulate)
			}
			rec = append(rec, itoa(u.New), itoa(u.Cancel), itoa(u.Net), cum)
		} else {
			rec = append(rec, "", "", "", "")
		}
		if i < len(r.Messages) {
			rec = append(rec, itoa(r.Messages[i].Users), itoa(r.Messages[i].Count))
		} else {
			rec = append(rec, "", "")
		}
		if i < len(r.Interface) {
			d := r.Interface[i]
			rec = append(rec, itoa(d.Calls), itoa(d.Failures), itoa(d.AvgMs), itoa(d.MaxMs))
		} else {
			rec = append(rec, "", "", "", "")
		}
		if i < len(r.Articles) {
			d := r.Articles[i]
			rec = append(rec, itoa(d.Reads), itoa(d.Readers), itoa(d.Shares))
		} else {
			rec = append(rec, "", "", "")
		}
		rec = append(rec, itoa(c.Received), itoa(c.AnsweredByRule), itoa(c.Unanswered))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

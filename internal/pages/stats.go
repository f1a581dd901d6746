package pages

import (
	"html/template"
	"math"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/stats"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// statsView is the dashboard's statistics section: the range picker (a GET form), WeChat's figures as
// charts, where new followers came from, and every figure in a table.
type statsView struct {
	From, To, Today string
	Error           string
	HasWeChat       bool // some WeChat figure is stored in the range
	Charts          []statsChart
	Sources         []sourceRow
	Table           []statsRow
	Presets         []statsPreset
	ExportURL       template.URL
}

type statsChart struct {
	ID, Heading string
	SVG         template.HTML
}

type sourceRow struct {
	Name     string
	New, Pct int
}

type statsRow struct {
	Date                                     string
	New, Cancel, Net                         int
	Cumulate                                 string
	MsgCount, Received, Answered, Unanswered int
	Calls, Failures, AvgMs, MaxMs            int
	Reads, Readers, Shares                   int
}

type statsPreset struct {
	Label string
	URL   template.URL
}

// userSources are the user_source codes of getusersummary that have a name (stats.source.N).
var userSources = map[int]bool{0: true, 1: true, 17: true, 30: true, 57: true, 100: true, 149: true, 161: true, 200: true, 201: true}

// statsSection reads the range asked for (from, to in the query; the last 30 days by default) and draws it.
func (p *Pages) statsSection(c *gin.Context, a *accounts.Account) *statsView {
	svc := p.deps.Stats
	if svc == nil {
		return nil
	}
	tr := func(key string, args ...any) string { return t(c, key, args...) }
	today := time.Now().In(svc.Location()).Format(time.DateOnly)
	v := &statsView{Today: today}
	first, last, err := svc.ParseRange(c.Query("from"), c.Query("to"))
	if err != nil {
		v.Error = errText(c, err)
		first, last, _ = svc.ParseRange("", "")
	}
	v.From, v.To = first.Format(time.DateOnly), last.Format(time.DateOnly)
	for _, n := range []int{7, 30, 90, 180, 365} {
		q := url.Values{"from": {last.AddDate(0, 0, -(n - 1)).Format(time.DateOnly)}, "to": {v.To}}
		v.Presets = append(v.Presets, statsPreset{tr("stats.preset", n), template.URL("/console?" + q.Encode() + "#stats")}) //nolint:gosec // encoded query
	}
	q := url.Values{"appid": {a.AppID}, "from": {v.From}, "to": {v.To}}
	v.ExportURL = template.URL("/apis/stats/exportStats?" + q.Encode()) //nolint:gosec // encoded query

	all, _ := stats.ParseMetrics(nil) // every metric
	r, err := svc.Report(c.Request.Context(), a.ID, first, last, all)
	if err != nil {
		logger(c).Warn("dashboard: statistics", "err", err)
		v.Error = errText(c, err)
		return v
	}
	n := len(r.Console)
	days := make([]time.Time, n)
	for i := range days {
		days[i] = first.AddDate(0, 0, i)
	}
	vals := func(f func(i int) float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	var tot struct {
		new, cancel, msgs, recv, answered, calls, fails, reads, shares int
		timeSum, timeN, maxMs                                          int
	}
	bySource := map[string]int{}
	for i := range n {
		u, m, f, ar, cs := r.Users[i], r.Messages[i], r.Interface[i], r.Articles[i], r.Console[i]
		tot.new += u.New
		tot.cancel += u.Cancel
		tot.msgs += m.Count
		tot.recv += cs.Received
		tot.answered += cs.AnsweredByRule
		tot.calls += f.Calls
		tot.fails += f.Failures
		tot.reads += ar.Reads
		tot.shares += ar.Shares
		tot.timeSum += f.AvgMs * f.Calls
		tot.timeN += f.Calls
		tot.maxMs = max(tot.maxMs, f.MaxMs)
		for k, x := range u.BySource {
			bySource[k] += x
		}
		cum := ""
		if u.Cumulate != nil {
			cum = strconv.Itoa(*u.Cumulate)
			v.HasWeChat = true
		}
		if u.New+u.Cancel+m.Count+f.Calls+ar.Reads+ar.Readers > 0 {
			v.HasWeChat = true
		}
		v.Table = append(v.Table, statsRow{Date: cs.Date, New: u.New, Cancel: u.Cancel, Net: u.Net, Cumulate: cum,
			MsgCount: m.Count, Received: cs.Received, Answered: cs.AnsweredByRule, Unanswered: cs.Unanswered,
			Calls: f.Calls, Failures: f.Failures, AvgMs: f.AvgMs, MaxMs: f.MaxMs,
			Reads: ar.Reads, Readers: ar.Readers, Shares: ar.Shares})
	}
	span := []any{v.From, v.To}
	with := func(args ...any) []any { return append(append([]any{}, span...), args...) }
	add := func(id, heading, desc, unit string, data ...series) {
		v.Charts = append(v.Charts, statsChart{ID: id, Heading: heading, SVG: statChart(chartSpec{ID: id + "-svg",
			Title: heading, Desc: desc, Unit: unit, Days: days, Data: data})})
	}

	add("chart-followers", tr("stats.followers"), tr("stats.desc.followers", with(tot.new, tot.cancel, tot.new-tot.cancel)...), "",
		series{Name: tr("stats.s.new"), Class: "s1", Values: vals(func(i int) float64 { return float64(r.Users[i].New) })},
		series{Name: tr("stats.s.cancel"), Class: "s2", Values: vals(func(i int) float64 { return float64(r.Users[i].Cancel) })},
		series{Name: tr("stats.s.net"), Class: "s3", Line: true, Values: vals(func(i int) float64 { return float64(r.Users[i].Net) })})
	firstCum, lastCum := "—", "—"
	for i := range n {
		if c := r.Users[i].Cumulate; c != nil {
			if firstCum == "—" {
				firstCum = strconv.Itoa(*c)
			}
			lastCum = strconv.Itoa(*c)
		}
	}
	add("chart-cumulate", tr("stats.cumulate"), tr("stats.desc.cumulate", with(firstCum, lastCum)...), "",
		series{Name: tr("stats.s.cumulate"), Class: "s1", Line: true, Values: vals(func(i int) float64 {
			if c := r.Users[i].Cumulate; c != nil {
				return float64(*c)
			}
			return math.NaN()
		})})
	add("chart-messages", tr("stats.messages"), tr("stats.desc.messages", with(tot.msgs, tot.recv, tot.answered)...), "",
		series{Name: tr("stats.s.msgcount"), Class: "s1", Values: vals(func(i int) float64 { return float64(r.Messages[i].Count) })},
		series{Name: tr("stats.s.msguser"), Class: "s3", Line: true, Values: vals(func(i int) float64 { return float64(r.Messages[i].Users) })},
		series{Name: tr("stats.s.received"), Class: "s2", Line: true, Values: vals(func(i int) float64 { return float64(r.Console[i].Received) })},
		series{Name: tr("stats.s.answered"), Class: "s4", Line: true, Values: vals(func(i int) float64 { return float64(r.Console[i].AnsweredByRule) })})
	add("chart-interface", tr("stats.interface"), tr("stats.desc.interface", with(tot.calls, tot.fails)...), "",
		series{Name: tr("stats.s.calls"), Class: "s1", Values: vals(func(i int) float64 { return float64(r.Interface[i].Calls) })},
		series{Name: tr("stats.s.failures"), Class: "s2", Values: vals(func(i int) float64 { return float64(r.Interface[i].Failures) })})
	rate := 0.0
	if tot.calls > 0 {
		rate = math.Round(1000*float64(tot.fails)/float64(tot.calls)) / 10
	}
	add("chart-failrate", tr("stats.failrate"), tr("stats.desc.failrate", with(strconv.FormatFloat(rate, 'f', 1, 64))...), "%",
		series{Name: tr("stats.s.failrate"), Class: "s2", Line: true, Values: vals(func(i int) float64 {
			f := r.Interface[i]
			if f.Calls == 0 {
				return 0
			}
			return math.Round(1000*float64(f.Failures)/float64(f.Calls)) / 10
		})})
	avg := 0
	if tot.timeN > 0 {
		avg = tot.timeSum / tot.timeN
	}
	add("chart-times", tr("stats.times"), tr("stats.desc.times", with(avg, tot.maxMs)...), " ms",
		series{Name: tr("stats.s.avg"), Class: "s1", Line: true, Values: vals(func(i int) float64 { return float64(r.Interface[i].AvgMs) })},
		series{Name: tr("stats.s.max"), Class: "s2", Line: true, Values: vals(func(i int) float64 { return float64(r.Interface[i].MaxMs) })})
	add("chart-articles", tr("stats.articles"), tr("stats.desc.articles", with(tot.reads, tot.shares)...), "",
		series{Name: tr("stats.s.reads"), Class: "s1", Values: vals(func(i int) float64 { return float64(r.Articles[i].Reads) })},
		series{Name: tr("stats.s.readers"), Class: "s3", Line: true, Values: vals(func(i int) float64 { return float64(r.Articles[i].Readers) })},
		series{Name: tr("stats.s.shares"), Class: "s2", Line: true, Values: vals(func(i int) float64 { return float64(r.Articles[i].Shares) })})

	total := 0
	for _, x := range bySource {
		total += x
	}
	for k, x := range bySource {
		code, _ := strconv.Atoi(k)
		name := tr("stats.source.other", k)
		if userSources[code] {
			name = tr("stats.source." + k)
		}
		v.Sources = append(v.Sources, sourceRow{Name: name, New: x, Pct: x * 100 / max(total, 1)})
	}
	sort.Slice(v.Sources, func(i, j int) bool {
		if v.Sources[i].New != v.Sources[j].New {
			return v.Sources[i].New > v.Sources[j].New
		}
		return v.Sources[i].Name < v.Sources[j].Name
	})
	return v
}

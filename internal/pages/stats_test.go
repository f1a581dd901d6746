package pages

import (
	"context"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
)

// TestDashboardStatistics pulls 30 days of the account's statistics from the emulator and reads the
// dashboard: the charts are SVG with a title and a description, every day is in the table, the range
// picker is a GET form, and a wrong range says why.
func TestDashboardStatistics(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 60)
	doc := e.get("/console").Doc(t)
	require.Equal(t, 1, doc.Find("#stats-nodata").Length(), "nothing pulled yet")

	now := time.Now().In(e.stats.Location())
	last := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	_, err := e.stats.Pull(context.Background(), e.acct.ID, e.acct.AppID, last.AddDate(0, 0, -29), last, false)
	require.NoError(t, err)

	for _, lang := range []string{LangZH, LangEN} {
		e.lang = lang
		doc = requirePage(t, e.get("/console"), lang)
		require.Equal(t, 0, doc.Find("#stats-nodata").Length(), lang)
		figs := doc.Find("#stats figure.statchart")
		require.Equal(t, 7, figs.Length(), "followers, total, messages, calls, failure rate, times, articles")
		figs.Each(func(_ int, f *goquery.Selection) {
			svg := f.Find("svg")
			require.Equal(t, 1, svg.Length())
			role, _ := svg.Attr("role")
			require.Equal(t, "img", role)
			labelled, _ := svg.Attr("aria-labelledby")
			id, _ := svg.Attr("id")
			require.Equal(t, id+"-title "+id+"-desc", labelled)
			require.NotEmpty(t, strings.TrimSpace(svg.ChildrenFiltered("title").Text()))
			require.NotEmpty(t, strings.TrimSpace(svg.ChildrenFiltered("desc").Text()))
		})
		require.Positive(t, doc.Find("#chart-followers rect.s1 title").Length(), "bars with their day and value")
		require.Equal(t, 1, doc.Find("#chart-cumulate polyline").Length())
		require.Equal(t, 30, doc.Find("#stats-table tbody tr").Length(), "a row per day")
		require.Positive(t, doc.Find("table.sources tbody tr").Length(), "new followers by source")
		form := doc.Find("form#stats-range")
		method, _ := form.Attr("method")
		require.Equal(t, "get", method)
		require.Equal(t, 1, form.Find(`input[type=date][name=from]`).Length())
		require.Equal(t, 1, form.Find(`input[type=date][name=to]`).Length())
		href, _ := doc.Find("#stats-range a.export").Attr("href")
		require.Contains(t, href, "/apis/stats/exportStats?")
	}
	e.lang = LangZH

	from := last.AddDate(0, 0, -6).Format(time.DateOnly)
	doc = e.get("/console?from=" + from + "&to=" + last.Format(time.DateOnly)).Doc(t)
	require.Equal(t, 7, doc.Find("#stats-table tbody tr").Length(), "the range asked for")
	v, _ := doc.Find("#stats-range input[name=from]").Attr("value")
	require.Equal(t, from, v)
	desc := doc.Find("#chart-followers-svg desc").Text()
	require.Contains(t, desc, from)

	p := e.get("/console?from=2026-13-01&to=2026-01-01")
	require.Equal(t, http.StatusOK, p.Status)
	doc = p.Doc(t)
	require.Contains(t, doc.Find("#stats-error").Text(), "YYYY-MM-DD")
	require.Equal(t, 30, doc.Find("#stats-table tbody tr").Length(), "back to the last 30 days")
	doc = e.get("/console?from=2020-01-01&to=2026-01-01").Doc(t)
	require.Equal(t, 1, doc.Find("#stats-error").Length(), "over two years")
}

// TestStatChartSkipsMissingDays draws a line with days without a figure: no NaN reaches the SVG.
func TestStatChartSkipsMissingDays(t *testing.T) {
	t.Parallel()
	days := []time.Time{time.Now(), time.Now().AddDate(0, 0, 1), time.Now().AddDate(0, 0, 2)}
	for _, vals := range [][]float64{{math.NaN(), 5, math.NaN()}, {math.NaN(), math.NaN(), math.NaN()}, {-3, 0, 7}} {
		svg := string(statChart(chartSpec{ID: "c", Title: "t", Desc: "d", Days: days, Data: []series{
			{Name: "a", Class: "s1", Values: vals}, {Name: "b", Class: "s2", Line: true, Values: vals}}}))
		require.NotContains(t, svg, "NaN")
		require.NotContains(t, svg, "Inf")
	}
}

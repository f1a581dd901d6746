package pages

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"
)

// DayValue is one day's figures for a chart; B is optional (a second series drawn beside A).
type DayValue struct {
	Day  time.Time
	A, B int
}

// barChart draws days as an SVG bar chart on the server (no script, no library): one or two bars per day,
// the highest value labelled, every fifth day named. The caption is the chart's accessible name.
func barChart(caption string, days []DayValue, twoSeries bool) template.HTML {
	const w, h, top, bottom, left = 600.0, 160.0, 14.0, 20.0, 28.0
	maxV := 1
	for _, d := range days {
		maxV = max(maxV, d.A, d.B)
	}
	n := max(len(days), 1)
	slot := (w - left) / float64(n)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`, w, h, html.EscapeString(caption))
	fmt.Fprintf(&b, `<text x="0" y="%.0f">%d</text><text x="0" y="%.0f">0</text>`, top, maxV, h-bottom)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#d8dee4"/>`, left, h-bottom, w, h-bottom)
	plot := h - top - bottom
	for i, d := range days {
		x := left + float64(i)*slot
		bw := slot * 0.7
		if twoSeries {
			bw = slot * 0.38
		}
		ha := plot * float64(d.A) / float64(maxV)
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
			x+slot*0.1, h-bottom-ha, bw, ha, d.Day.Format("01-02"), d.A)
		if twoSeries {
			hb := plot * float64(d.B) / float64(maxV)
			fmt.Fprintf(&b, `<rect class="bar2" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d</title></rect>`,
				x+slot*0.1+bw, h-bottom-hb, bw, hb, d.Day.Format("01-02"), d.B)
		}
		if i%5 == 0 || i == len(days)-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f">%s</text>`, x, h-4, d.Day.Format("01-02"))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built from numbers and an escaped caption only
}

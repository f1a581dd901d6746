package pages

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"
)

// A statistics chart of the dashboard: days along the x axis, any number of series drawn as bars (side by
// side) or lines, negative values below a zero line. Drawn on the server as SVG, no script: the chart's
// title and description are its accessible name (<title>, <desc>, aria-labelledby), every bar and point
// carries a <title> tooltip with its day and value, and the page shows the same figures in a table.

// series is one line or set of bars of a chart.
type series struct {
	Name   string
	Class  string // s1 … s4: the colour (app.css)
	Line   bool
	Values []float64
}

// chartSpec is a whole chart.
type chartSpec struct {
	ID    string // the element id; its title and desc are ID-title and ID-desc
	Title string
	Desc  string
	Unit  string // after values in tooltips ("%", " ms")
	Days  []time.Time
	Data  []series
}

// statChart draws spec as SVG.
func statChart(spec chartSpec) template.HTML {
	const w, h, top, bottom, left, right = 640.0, 220.0, 16.0, 34.0, 44.0, 8.0
	n := max(len(spec.Days), 1)
	lo, hi := 0.0, 1.0
	for _, s := range spec.Data {
		for _, v := range s.Values {
			if !math.IsNaN(v) { // a day without a figure
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	hi = niceCeil(hi)
	if lo < 0 {
		lo = -niceCeil(-lo)
	}
	plotH := h - top - bottom
	y := func(v float64) float64 { return top + plotH*(hi-v)/(hi-lo) }
	slot := (w - left - right) / float64(n)
	x := func(i int) float64 { return left + slot*float64(i) + slot/2 }
	esc := html.EscapeString
	fmtV := func(v float64) string {
		if v == math.Trunc(v) {
			return fmt.Sprintf("%.0f", v)
		}
		return fmt.Sprintf("%.1f", v)
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="statsvg" id="%s" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="%s-title %s-desc" xmlns="http://www.w3.org/2000/svg">`,
		esc(spec.ID), w, h, esc(spec.ID), esc(spec.ID))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(spec.ID), esc(spec.Title), esc(spec.ID), esc(spec.Desc))
	// Axis: the top, the zero line and the bottom.
	for _, v := range []float64{hi, (hi + lo) / 2, lo} {
		fmt.Fprintf(&b, `<text class="axis" x="%.0f" y="%.1f" text-anchor="end">%s</text>`, left-4, y(v)+3, esc(fmtV(v)+strings.TrimSpace(spec.Unit)))
		fmt.Fprintf(&b, `<line class="grid" x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f"/>`, left, y(v), w-right, y(v))
	}
	if lo < 0 {
		fmt.Fprintf(&b, `<line class="zero" x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f"/>`, left, y(0), w-right, y(0))
	}
	// Day labels: about eight along the axis.
	every := max(1, (n+7)/8)
	for i, d := range spec.Days {
		if i%every == 0 || (i == n-1 && i%every > every/2) {
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%.0f" text-anchor="middle">%s</text>`, x(i), h-bottom+14, d.Format("01-02"))
		}
	}
	var bars []series
	for _, s := range spec.Data {
		if !s.Line {
			bars = append(bars, s)
		}
	}
	bw := slot * 0.8 / float64(max(len(bars), 1))
	for k, s := range bars {
		for i, v := range s.Values {
			if v == 0 || math.IsNaN(v) {
				continue
			}
			top, bot := y(math.Max(v, 0)), y(math.Min(v, 0))
			fmt.Fprintf(&b, `<rect class="%s" x="%.2f" y="%.2f" width="%.2f" height="%.2f"><title>%s %s: %s%s</title></rect>`,
				esc(s.Class), x(i)-slot*0.4+bw*float64(k), top, math.Max(bw, 0.5), math.Max(bot-top, 0.5),
				spec.Days[i].Format("2006-01-02"), esc(s.Name), fmtV(v), esc(spec.Unit))
		}
	}
	for _, s := range spec.Data {
		if !s.Line {
			continue
		}
		pts := make([]string, 0, len(s.Values))
		for i, v := range s.Values {
			if math.IsNaN(v) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		}
		fmt.Fprintf(&b, `<polyline class="line %s" points="%s"/>`, esc(s.Class), strings.Join(pts, " "))
		if n <= 62 {
			for i, v := range s.Values {
				if math.IsNaN(v) {
					continue
				}
				fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="2.5"><title>%s %s: %s%s</title></circle>`,
					esc(s.Class), x(i), y(v), spec.Days[i].Format("2006-01-02"), esc(s.Name), fmtV(v), esc(spec.Unit))
			}
		}
	}
	// The legend, inside the picture so that a saved chart keeps it.
	lx := left
	for _, s := range spec.Data {
		fmt.Fprintf(&b, `<rect class="%s" x="%.0f" y="%.0f" width="10" height="10"/><text class="legend" x="%.0f" y="%.0f">%s</text>`,
			esc(s.Class), lx, h-12, lx+14, h-3, esc(s.Name))
		lx += 24 + textWidth(s.Name)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers, dates and escaped texts only
}

// niceCeil rounds a chart's top up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// textWidth estimates the width of a legend text at the charts' 10px font: CJK characters are square.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r >= 0x2e80 {
			w += 10
		} else {
			w += 5.6
		}
	}
	return w
}

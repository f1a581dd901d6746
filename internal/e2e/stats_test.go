package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
)

// TestStatisticsDashboard opens the sandbox's dashboard as the demo operator, with JavaScript off: the
// demo account's 180-day backfill (queued when the sandbox bound it) fills the statistics charts, which
// are SVG pictures with titles; the range picker, a plain GET form, narrows them to a week.
func TestStatisticsDashboard(t *testing.T) {
	t.Parallel()
	began := time.Now()
	exe := requireChromium(t)
	con := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, exe, con.URL, browserOptions{NoScript: true})

	b.step("open the login page", stepTimeout, chromedp.Navigate(b.url("/login")))
	b.login(operator{Username: "demo", Password: "demo-password"}, "body.page-console")

	// The backfill runs in the background: reload until the charts are filled.
	b.eventually("the backfill fills the charts", 90*time.Second, func(ctx context.Context) error {
		if err := chromedp.Do(ctx, chromedp.Navigate(b.url("/console")), chromedp.WaitVisible(chromedp.ID("stats"))); err != nil {
			return err
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#stats-nodata").length`))
		if err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("no statistics yet")
		}
		return nil
	})
	charts := b.count("the charts", `#stats figure.statchart svg[role=img]`)
	titled := b.evalInt("the charts' titles",
		`[...document.querySelectorAll("#stats figure.statchart svg")].filter(s => s.querySelector("title") && s.querySelector("desc")).length`)
	rows := b.count("the days", "#stats-table tbody tr")
	if charts != 7 || titled != 7 {
		t.Errorf("e2e: the dashboard shows %d statistics charts, %d with a title and a description; want 7", charts, titled)
	}
	if rows != 30 {
		t.Errorf("e2e: the statistics table has %d days, want the last 30", rows)
	}
	if bars := b.text("the followers chart", "#chart-followers figcaption"); bars == "" {
		t.Errorf("e2e: the followers chart has no caption")
	}
	b.page("statistics")

	// A week, through the range picker.
	to := b.attr("the range's end", `#stats-range input[name=to]`, "value")
	end, err := time.Parse(time.DateOnly, to)
	if err != nil {
		t.Fatalf("e2e: the range picker's end is %q", to)
	}
	from := end.AddDate(0, 0, -6).Format(time.DateOnly)
	b.step("show a week", stepTimeout,
		chromedp.SetValue(chromedp.CSS(`#stats-range input[name=from]`), from),
		chromedp.Submit(chromedp.CSS(`#stats-range`)),
	)
	b.eventually("the week shows", stepTimeout, func(ctx context.Context) error {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#stats-table tbody tr").length`))
		if err != nil {
			return err
		}
		if n != 7 {
			return fmt.Errorf("%d days shown", n)
		}
		return nil
	})
	if loc := b.location(); !strings.Contains(loc, "from="+from) {
		t.Errorf("e2e: the range picker did not ask with GET: %s", loc)
	}
	b.page("statistics-week")
	b.checkConsole("the statistics")
	t.Logf("e2e: statistics dashboard took %s", time.Since(began).Round(100*time.Millisecond))
}

// evalInt answers a number the page computes.
func (b *browser) evalInt(name, js string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
	if err != nil {
		b.fail(name, err)
	}
	return n
}

// count answers how many elements sel selects.
func (b *browser) count(name, sel string) int {
	b.t.Helper()
	return b.evalInt(name, fmt.Sprintf("document.querySelectorAll(%q).length", sel))
}

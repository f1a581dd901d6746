package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
)

// phonePages are the pages an operator reaches from the navigation.
var phonePages = []string{"/console", "/console/replies", "/console/followers", "/console/qrcodes",
	"/console/materials", "/console/menu", "/console/articles", "/console/jssdk", "/console/conversations",
	"/console/inbox", "/console/settings"}

// overflowJS answers how far the page is wider than the screen, and the widest offenders.
const overflowJS = `(() => {
  const w = document.documentElement.clientWidth;
  const over = document.documentElement.scrollWidth - w;
  const who = [];
  if (over > 0) {
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.right > w + 1 && r.width > 0) who.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' right=' + Math.round(r.right));
      if (who.length >= 5) break;
    }
  }
  return {over: over, who: who};
})()`

type overflow struct {
	Over int      `json:"over"`
	Who  []string `json:"who"`
}

// TestPhoneWidth looks at every page at 390 px (a phone), with the sandbox's demo data so the tables are
// full: the navigation is folded into a menu that opens, and nothing is wider than the screen — a wide
// table scrolls inside itself. Each page's screenshot is kept.
func TestPhoneWidth(t *testing.T) {
	t.Parallel()
	exe := requireChromium(t)
	con := apptest.Start(t, apptest.Options{Env: map[string]string{"SANDBOX_DEMO_DATA": "true"}})
	b := newBrowser(t, exe, con.URL, browserOptions{})
	if _, err := chromedp.Call(b.ctx, emulation.SetDeviceMetricsOverride,
		emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 2, Mobile: true}); err != nil {
		t.Fatalf("e2e: phone viewport: %v", err)
	}

	check := func(name string) {
		t.Helper()
		b.page("phone-" + name)
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		defer cancel()
		o, err := chromedp.Run(ctx, chromedp.Evaluate[overflow](overflowJS))
		if err != nil {
			b.fail(name, err)
		}
		if o.Over > 0 {
			t.Errorf("e2e: %s is %d px wider than a 390 px screen: %v (screenshot %s)", name, o.Over, o.Who, b.shot(name+"-overflow"))
		}
	}

	b.step("open login", stepTimeout, chromedp.Navigate(b.url("/login")), chromedp.WaitVisible(chromedp.ID("login-submit")))
	check("login")
	b.login(operator{Username: "demo", Password: "demo-password"}, "#main")
	for _, p := range phonePages {
		b.step("open "+p, stepTimeout, chromedp.Navigate(b.url(p)), chromedp.WaitVisible(chromedp.ID("main")))
		if b.isVisible("#mainnav") {
			t.Errorf("e2e: %s: the navigation is not folded at 390 px", p)
		}
		check(strings.ReplaceAll(p[1:], "/", "-"))
	}
	b.step("open the menu", stepTimeout,
		chromedp.Click(chromedp.CSS("label.navbutton")),
		chromedp.WaitVisible(chromedp.CSS(`#mainnav a[href="/console/replies"]`)),
	)
	check("menu-open")
	b.step("follow a link of the menu", stepTimeout,
		chromedp.Click(chromedp.CSS(`#mainnav a[href="/console/followers"]`)),
		chromedp.WaitVisible(chromedp.ID("main")),
	)
	if loc := b.location(); loc != con.URL+"/console/followers" {
		t.Errorf("e2e: the menu's link led to %s", loc)
	}
}

// isVisible reports whether the first element sel selects is displayed.
func (b *browser) isVisible(sel string) bool {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+"`"+sel+"`"+`); return !!e && e.offsetParent !== null; })()`))
	if err != nil {
		b.fail("visible "+sel, err)
	}
	return v
}

package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
)

// TestComponentJourney binds an account by scanning, in the sandbox (contract §15): a new operator clicks
// "scan to authorize", consents on the emulator's authorization page, lands in the console with the
// account bound, adds a rule, and a simulated follower's message gets the rule's reply through the
// component message URL. The settings page shows the ticket's age.
func TestComponentJourney(t *testing.T) {
	t.Parallel()
	exe := requireChromium(t)
	con := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, exe, con.URL, browserOptions{})
	emu := con.Emulator()

	op := newOperator("comp")
	b.register(op)
	mail := con.Mail.Wait(t, op.Email, 10*time.Second)
	b.openVerifyLink(mail.Link(con.URL + "/apis/user/verify?token="))
	b.login(op, "#scan-authorize")
	b.page("authorize-with-scan")

	b.step("scan to authorize", stepTimeout,
		chromedp.Click(chromedp.ID("scan-authorize")),
		chromedp.WaitVisible(chromedp.ID("authorize")),
	)
	if loc := b.location(); !strings.Contains(loc, "/sandbox/cgi-bin/componentloginpage?component_appid=") {
		t.Fatalf("e2e: scan to authorize opened %s, want WeChat's componentloginpage", loc)
	}
	b.shot("component-consent")
	b.step("consent on WeChat's page", stepTimeout,
		chromedp.Click(chromedp.ID("authorize")),
		chromedp.WaitVisible(chromedp.CSS("body.page-console")),
	)
	b.page("console-after-scan")
	u, err := url.Parse(b.location())
	if err != nil {
		t.Fatal(err)
	}
	appid := u.Query().Get("appid")
	if appid == "" {
		t.Fatalf("e2e: the console after authorization is %s, without the account's appid", b.location())
	}
	if got := b.text("the dashboard names the authorized account", "body"); !strings.Contains(got, "组件演示号甲") {
		t.Errorf("e2e: the dashboard does not name the authorized account: %.300s", got)
	}

	b.addTextRule("hello", "你好，扫码授权")
	b.page("replies-component")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := emu.SendText(ctx, appid, "", "hello")
	if err != nil {
		t.Fatalf("e2e: a follower's message: %v", err)
	}
	if !strings.Contains(d.URL, "/wxplatform/component/callback/"+appid) {
		t.Errorf("e2e: the message went to %s, not the component message URL", d.URL)
	}
	if d.Reply == nil || d.Reply.Content != "你好，扫码授权" {
		t.Fatalf("e2e: the follower got %q (HTTP %d), want the rule's reply", d.Body, d.Status)
	}

	b.step("open settings", stepTimeout,
		chromedp.Navigate(b.url("/console/settings?appid="+appid)),
		chromedp.WaitVisible(chromedp.ID("ticket-age")),
	)
	b.page("settings-component")
	if got := b.text("the ticket's age", "#ticket-age"); !strings.Contains(got, "秒") {
		t.Errorf("e2e: the settings page shows the ticket as %q, want its age", got)
	}
	if got := b.text("the account's binding", chromedp.CSS(`td.binding[data-appid="`+appid+`"]`)); !strings.Contains(got, "扫码授权") {
		t.Errorf("e2e: the settings page shows the binding as %q", got)
	}
}

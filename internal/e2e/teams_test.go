package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
	"github.com/socialinzen/socialinzen/internal/mail"
	"github.com/socialinzen/socialinzen/internal/user"
)

// TestTeamJourney (contract §14): the owner invites an editor by mail; the editor signs up with the
// invited address and accepts, adds a rule, and cannot open Members; the owner sees the rule's creation in
// the audit log; a viewer sees the rule and cannot change it, on the page or behind it.
func TestTeamJourney(t *testing.T) {
	t.Parallel()
	exe := requireChromium(t)
	con := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, exe, con.URL, browserOptions{})
	owner := operator{Username: "demo", Email: "demo@example.com", Password: "demo-password"}
	editor := newOperator("ed")

	// The owner (the sandbox's demo operator, who bound the demo account) invites the editor.
	b.step("open login", stepTimeout, chromedp.Navigate(b.url("/login")))
	b.login(owner, "body.page-console")
	b.step("open members", stepTimeout,
		chromedp.Navigate(b.url("/console/members")),
		chromedp.WaitVisible(chromedp.ID("invite-form")),
	)
	b.page("members")
	b.step("invite the editor", stepTimeout,
		chromedp.SetValue(chromedp.ID("f-email"), editor.Email),
		chromedp.SetValue(chromedp.ID("f-role"), "editor"),
		chromedp.Click(chromedp.ID("invite-submit")),
		chromedp.WaitVisible(chromedp.CSS("#invitations tbody tr")),
	)
	b.waitText("the invitation is listed", "#invitations", editor.Email)
	b.page("members-invited")
	b.step("log out", stepTimeout, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-submit")))

	// The editor follows the mailed link, signs up with that address, verifies it and logs in: the
	// invitation comes back, and one click joins.
	m := con.Mail.Wait(t, editor.Email, 10*time.Second)
	link := m.Link(con.URL + "/invite?token=")
	if link == "" {
		t.Fatalf("e2e: the invitation mail has no /invite link: %s", m.Text)
	}
	b.step("open the invitation", stepTimeout, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("invite-register")))
	b.page("invite-anonymous")
	b.register(editor)
	verify := con.Mail.Wait(t, editor.Email, 10*time.Second)
	for i := 0; i < 50 && !strings.Contains(verify.Text, "/apis/user/verify"); i++ {
		time.Sleep(100 * time.Millisecond)
		for _, r := range con.Mail.All() {
			if r.SentTo(editor.Email) && strings.Contains(r.Text, "/apis/user/verify") {
				verify = r
			}
		}
	}
	b.openVerifyLink(verify.Link(con.URL + "/apis/user/verify?token="))
	b.login(editor, "#invite-accept")
	b.page("invite-logged-in")
	b.step("accept", stepTimeout, chromedp.Click(chromedp.ID("invite-accept")), chromedp.WaitVisible(chromedp.CSS("body.page-console")))
	b.page("console-as-editor")

	b.addTextRule("team-hello", "hello from the editor")
	b.page("replies-as-editor")
	if got := b.text("the nav", "#mainnav"); strings.Contains(got, "成员") {
		t.Errorf("e2e: an editor's navigation offers Members: %q", got)
	}
	b.step("members refused", stepTimeout, chromedp.Navigate(b.url("/console/members")), chromedp.WaitVisible(chromedp.CSS("main [role=alert]")))
	if got := b.text("the refusal", "main [role=alert]"); !strings.Contains(got, "admin") {
		t.Errorf("e2e: the editor's refusal does not name the admin role: %q", got)
	}
	b.shot("members-refused")
	b.forgetConsole() // the refused page's 403 is the point
	b.step("log out", stepTimeout, chromedp.Navigate(b.url("/console")), chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-submit")))

	// The owner sees the rule's creation in the audit log, by the editor.
	b.login(owner, "body.page-console")
	b.step("open the audit log", stepTimeout,
		chromedp.Navigate(b.url("/console/settings/audit")),
		chromedp.WaitVisible(chromedp.CSS(`#audit-entries tr[data-action="addReply"]`)),
	)
	b.page("audit-log")
	if got := b.text("the rule's entry", `#audit-entries tr[data-action="addReply"]`); !strings.Contains(got, editor.Username) {
		t.Errorf("e2e: the audit log's addReply entry does not name the editor %q: %q", editor.Username, got)
	}
	b.step("log out", stepTimeout, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-submit")))

	// A viewer sees the rule and gets no way to change it; the server refuses it anyway.
	users := user.NewService(con.App.DB(), mail.NewLog(slog.New(slog.NewTextHandler(io.Discard, nil))), user.Options{BaseURL: con.URL})
	viewer := newOperator("vw")
	vid, err := users.EnsureUser(context.Background(), user.Registration{Username: viewer.Username, Password: viewer.Password, Email: viewer.Email})
	if err != nil {
		t.Fatal(err)
	}
	if err := con.App.DB().Exec(`INSERT INTO account_members (account_id, user_id, role) SELECT id, ?, 'viewer' FROM wx_accounts WHERE appid = ?`,
		vid, con.Emulator().Demo().AppID).Error; err != nil {
		t.Fatal(err)
	}
	b.login(viewer, "body.page-console")
	b.step("open replies as a viewer", stepTimeout, chromedp.Navigate(b.url("/console/replies")), chromedp.WaitVisible(chromedp.ID("rules")))
	b.page("replies-as-viewer")
	b.waitText("the viewer sees the editor's rule", "#rules", "team-hello")
	html, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, `id="rule-submit"`) || strings.Contains(html, `/delete"`) {
		t.Errorf("e2e: a viewer is offered to add or delete rules")
	}

	sess, err := users.Login(context.Background(), user.Credentials{Username: viewer.Username, Password: viewer.Password, ClientAddr: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, con.URL+"/console/replies", strings.NewReader(url.Values{"request": {"viewer-rule"}, "type": {"text"}, "content": {"no"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "SocialinzenToken", Value: sess.Token})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("e2e: a viewer's rule post answered %d, want 403", res.StatusCode)
	}
}

// forgetConsole marks what the page logged so far as seen (a page expected to answer an error status).
func (b *browser) forgetConsole() {
	b.settleConsole()
	b.mu.Lock()
	b.checked = len(b.console)
	b.mu.Unlock()
}

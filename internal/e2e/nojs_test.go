package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
)

// TestFormsWithoutJavaScript checks the promise that every page works with JavaScript off (contract §11):
// register, log in, bind an account, add a keyword rule and upload an image, with plain form posts.
func TestFormsWithoutJavaScript(t *testing.T) {
	t.Parallel()
	began := time.Now()
	exe := requireChromium(t)
	con := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, exe, con.URL, browserOptions{NoScript: true})

	emu := con.Emulator()
	acct := emu.NewAccount("E2E 无脚本")
	emu.SetCallback(acct.AppID, con.URL+"/wxplatform/callback/"+acct.AppID, "safe")

	op := newOperator("nojs")
	b.register(op)
	mail := con.Mail.Wait(t, op.Email, 10*time.Second)
	b.openVerifyLink(mail.Link(con.URL + "/apis/user/verify?token="))
	b.login(op, "#authorize-form")
	b.page("authorize")
	b.bindAccount(acct.AppID, acct.Secret, acct.Token, acct.EncodingAESKey, acct.Name)
	b.page("console")

	b.addTextRule("hello", "你好, no script")
	// The script would hide the fields of the other reply types; with it off every field shows. This
	// proves the page really ran without its script.
	b.step("the script did not run", 2*time.Second, chromedp.WaitVisible(chromedp.ID("r-title")))
	b.page("replies-rule-added")

	b.uploadImage(writePNG(t))
	b.page("materials-uploaded")
	if hidden := b.hasAttr("the upload progress bar", "#upload-form progress", "hidden"); !hidden {
		t.Errorf("e2e: the upload's progress bar shows without script")
	}

	b.step("log out", stepTimeout,
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("login-submit")),
	)
	b.page("logged-out")

	b.checkConsole("the end of the journey")
	t.Logf("e2e: journey without JavaScript took %s", time.Since(began).Round(100*time.Millisecond))
}

// hasAttr reports whether the first element sel selects has the attribute.
func (b *browser) hasAttr(name string, sel chromedp.CSS, attr string) bool {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(sel, attr))
	if err != nil {
		b.fail(name, err)
	}
	return v.Exists
}

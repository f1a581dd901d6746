package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
)

// TestBroadcastJourney: an operator syncs the followers, sends a text to all of them as a mass message
// (the owner's own send needs no approval), follows its page until WeChat's MASSSENDJOBFINISH fills the
// counts, then adds a template and sends it to one follower with the form built from its fields.
func TestBroadcastJourney(t *testing.T) {
	t.Parallel()
	exe := requireChromium(t)
	con := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, exe, con.URL, browserOptions{})
	emu := con.Emulator()
	acct := emu.NewAccount("E2E 群发号")
	openids := emu.AddFollowers(acct.AppID, 12)
	emu.SetCallback(acct.AppID, con.URL+"/wxplatform/callback/"+acct.AppID, "safe")

	op := newOperator("bc")
	b.register(op)
	b.openVerifyLink(con.Mail.Wait(t, op.Email, 10*time.Second).Link(con.URL + "/apis/user/verify?token="))
	b.login(op, "#authorize-form")
	b.bindAccount(acct.AppID, acct.Secret, acct.Token, acct.EncodingAESKey, acct.Name)

	b.step("open followers", stepTimeout,
		chromedp.Navigate(b.url("/console/followers")),
		chromedp.WaitVisible(chromedp.ID("sync-start")),
	)
	b.step("start the sync", stepTimeout, chromedp.Click(chromedp.ID("sync-start")))
	b.waitSync(12)

	b.step("open broadcasts", stepTimeout,
		chromedp.Navigate(b.url("/console/broadcasts")),
		chromedp.WaitVisible(chromedp.ID("bc-submit")),
	)
	b.waitText("the target counts the mirror's followers", "#count-all", "12")
	// The reach follows the target as the operator changes it (broadcasts.js, targetCount).
	b.waitText("the reach of all followers", "#bc-reach-n", "12")
	b.step("choose an openid list", stepTimeout,
		chromedp.Click(chromedp.CSS(`input[name="target"][value="openids"]`)),
		chromedp.SendKeys(chromedp.ID("f-openids"), openids[0]+"\n"+openids[1]+"\n"+openids[2]),
	)
	b.waitText("the reach of the list", "#bc-reach-n", "3")
	b.step("back to all followers", stepTimeout, chromedp.Click(chromedp.CSS(`input[name="target"][value="all"]`)))
	b.waitText("the reach of all followers again", "#bc-reach-n", "12")
	b.page("broadcasts")
	b.step("send a text to all", stepTimeout,
		chromedp.SetValue(chromedp.ID("f-content"), "周末活动，欢迎参加"),
		chromedp.Click(chromedp.ID("bc-submit")),
		chromedp.WaitVisible(chromedp.ID("bc-counts")),
	)
	b.page("broadcast")
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.step("reload the broadcast", stepTimeout, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("bc-counts")))
		if strings.TrimSpace(b.text("sent count", "#bc-counts .sent")) == "12" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("e2e: the broadcast's sent count never reached 12: %s", b.text("counts", "#bc-counts"))
		}
		time.Sleep(500 * time.Millisecond)
	}
	b.waitText("the state is sent", "#bc-state", "已发送")
	b.page("broadcast-finished")

	b.step("add a template", stepTimeout,
		chromedp.Navigate(b.url("/console/broadcasts")),
		chromedp.WaitVisible(chromedp.ID("f-shortId")),
		chromedp.SetValue(chromedp.ID("f-shortId"), "TM00015"),
		chromedp.SetValue(chromedp.ID("f-keywordNames"), "订单号"),
		chromedp.Submit(chromedp.ID("f-shortId")),
		chromedp.WaitVisible(chromedp.CSS("form.tpl-send")),
	)
	b.step("fill the template's fields", stepTimeout,
		chromedp.SetValue(chromedp.CSS(`form.tpl-send input[name="data.first"]`), "您好"),
		chromedp.SetValue(chromedp.CSS(`form.tpl-send input[name="data.keyword1"]`), "A-1001"),
		chromedp.SetValue(chromedp.CSS(`form.tpl-send input[name="data.remark"]`), "谢谢"),
		chromedp.SetValue(chromedp.CSS(`form.tpl-send input[name="openid"]`), openids[0]),
		chromedp.Submit(chromedp.CSS(`form.tpl-send input[name="openid"]`)),
		chromedp.WaitVisible(chromedp.ID("tpl-sync")),
	)
	b.waitText("the template message was sent", "body", "msgid")
	b.page("template-sent")
	b.checkConsole("the end of the broadcast journey")
}

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

// liveTimeout bounds how long a live update may take to show. The contract promises a second from the
// database; the browser's own work (fetching and swapping the page's parts) comes on top, on a busy machine.
const liveTimeout = 3 * time.Second

// TestConversationsLive: two operators' browsers on the same account (today an account has one owner, so
// they are two sessions of the sandbox's demo operator — two separate browsers, each with its own login);
// a follower writes through the emulator; both pages show it without reloading; one answers; the follower
// receives it through message/custom/send; the other page shows the answer without reloading. The second
// browser is phone-sized.
func TestConversationsLive(t *testing.T) {
	t.Parallel()
	exe := requireChromium(t)
	con := apptest.Start(t, apptest.Options{})
	emu := con.Emulator()
	demo := emu.Demo()
	follower := emu.Followers(demo.AppID)[0].OpenID
	op := operator{Username: "demo", Password: "demo-password"}

	a := newBrowser(t, exe, con.URL, browserOptions{})
	b := newBrowser(t, exe, con.URL, browserOptions{})
	b.step("phone-sized screen", stepTimeout, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	for _, br := range []*browser{a, b} {
		br.step("open the login page", stepTimeout, chromedp.Navigate(br.url("/login")))
		br.login(op, "body.page-console")
		br.step("open conversations", stepTimeout,
			chromedp.Navigate(br.url("/console/conversations")),
			chromedp.WaitVisible(chromedp.ID("conv-empty")),
			chromedp.WaitVisible(chromedp.ID("live-status")), // the stream is connected
		)
		br.page("conversations-empty")
		br.mark()
	}

	// The follower writes: both lists show it, live.
	if _, err := emu.SendText(context.Background(), demo.AppID, follower, "你好，我的订单还没到"); err != nil {
		t.Fatal(err)
	}
	for _, br := range []*browser{a, b} {
		br.waitLive("the follower's message appears in the list", "#conv-items", "你好，我的订单还没到")
		br.page("conversations-new")
	}

	// Both open the conversation.
	for _, br := range []*browser{a, b} {
		br.step("open the conversation", stepTimeout,
			chromedp.Click(chromedp.CSS(`#conv-items li[data-openid="`+follower+`"] a`)),
			chromedp.WaitVisible(chromedp.ID("composer-text")),
			// The stream is connected again (on a phone the indicator is in the hidden list).
			chromedp.WaitReady(chromedp.CSS("#live-status:not([hidden])")),
		)
		br.waitText("the timeline shows the message", "#timeline", "你好，我的订单还没到")
		br.waitText("the window is open", "#window", "还可发送 5 条")
		br.page("conversation")
		br.mark()
	}
	// On a phone the list gives way to the conversation.
	b.eventually("the list is hidden on a phone", stepTimeout, func(ctx context.Context) error {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector(".conv-list")).display === "none"`))
		if err != nil || !v {
			return fmt.Errorf("the list still shows at phone width (%v)", err)
		}
		return nil
	})

	// Operator A answers.
	a.step("answer", stepTimeout,
		chromedp.SendKeys(chromedp.ID("composer-text"), "您好，已为您催促物流"),
		chromedp.Click(chromedp.ID("composer-send")),
		chromedp.WaitVisible(chromedp.CSS("#timeline .msg.out")),
	)
	a.waitText("the answer is in A's timeline", "#timeline .msg.out", "您好，已为您催促物流")
	a.page("answered")

	// The follower received it through the customer-service API.
	deadline := time.Now().Add(liveTimeout)
	for {
		got := emu.Received(demo.AppID, follower)
		if len(got) == 1 && got[0].MsgType == "text" && got[0].Content == "您好，已为您催促物流" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("e2e: the follower received %+v, want the answer", got)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// B sees the answer appear, without reloading; the window counts one message less.
	b.waitLive("the answer appears in B's timeline", "#timeline", "您好，已为您催促物流")
	b.waitLive("B's window indicator follows", "#window", "还可发送 4 条")
	b.page("answer-seen")
	b.checkConsole("conversations")
	a.checkConsole("conversations")
}

// mark leaves a marker in the page: it survives live updates and disappears with a reload.
func (b *browser) mark() {
	b.t.Helper()
	b.step("mark the page", stepTimeout, chromedp.Evaluate[chromedp.Void](`window.__e2eMark = 42`))
}

// waitLive waits up to liveTimeout until sel shows want, and checks the page was not reloaded to show it.
func (b *browser) waitLive(name string, sel chromedp.CSS, want string) {
	b.t.Helper()
	b.eventually(name, liveTimeout, func(ctx context.Context) error {
		got, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			return err
		}
		if !strings.Contains(got, want) {
			return fmt.Errorf("%s shows %q, want %q in it", sel, strings.TrimSpace(got), want)
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	marked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__e2eMark === 42`))
	if err != nil || !marked {
		b.fail(name, fmt.Errorf("the page was reloaded to show it, not updated live (%v)", err))
	}
}

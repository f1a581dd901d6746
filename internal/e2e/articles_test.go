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

// TestArticlesJourney writes a two-article draft in the article editor with a picture in the content,
// checks the phone preview, saves, publishes, and watches the status become published with the articles'
// links — as an operator would, in a real Chromium, against the console in sandbox mode (the emulator ends
// the publishing job after a delay and pushes PUBLISHJOBFINISH to the console's callback).
func TestArticlesJourney(t *testing.T) {
	t.Parallel()
	exe := requireChromium(t)
	con := apptest.Start(t, apptest.Options{})
	b := newBrowser(t, exe, con.URL, browserOptions{})

	b.step("open login", stepTimeout, chromedp.Navigate(b.url("/login")))
	b.login(operator{Username: "demo", Password: "demo-password"}, "nav.mainnav")
	b.uploadImage(writePNG(t)) // the cover: a permanent image material
	picture := writePNG(t)

	b.step("open the editor", stepTimeout,
		chromedp.Navigate(b.url("/console/articles/edit")),
		chromedp.WaitVisible(chromedp.CSS("#article-0 .rte")),
	)
	b.page("articles-editor")
	chooseCover := func(i int) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.querySelector("#f-thumb-%d");
			s.selectedIndex = 1; s.dispatchEvent(new Event("change")); })()`, i))
	}
	b.step("write the first article", stepTimeout,
		chromedp.SetValue(chromedp.ID("f-title-0"), "第一篇：浏览器测试"),
		chromedp.SendKeys(chromedp.ID("f-author-0"), "编辑部"),
		chromedp.SendKeys(chromedp.ID("f-digest-0"), "摘要"),
		chooseCover(0),
		chromedp.Click(chromedp.CSS("#article-0 .rte")),
		chromedp.SendKeys(chromedp.CSS("#article-0 .rte"), "第一段正文。"),
		chromedp.Click(chromedp.CSS(`#article-0 .toolbar button[data-cmd="bold"]`)),
		chromedp.SendKeys(chromedp.CSS("#article-0 .rte"), "加粗"),
		chromedp.SetUploadFiles(chromedp.CSS("#article-0 input.image-file"), []string{picture}),
		chromedp.WaitVisible(chromedp.CSS("#article-0 .rte img")),
	)
	b.imageLoaded("the picture shows in the editor", "#article-0 .rte img")
	b.step("add and write the second article", stepTimeout,
		chromedp.Click(chromedp.ID("add-article")),
		chromedp.WaitVisible(chromedp.CSS("#article-1 .rte")),
		chromedp.SendKeys(chromedp.ID("f-title-1"), "第二篇"),
		chooseCover(1),
		chromedp.Click(chromedp.CSS("#article-1 .rte")),
		chromedp.SendKeys(chromedp.CSS("#article-1 .rte"), "第二篇的正文"),
	)
	b.waitText("the preview shows the second article", `#preview .preview-article[data-index="1"] .pv-title`, "第二篇")
	b.waitText("the preview shows the first article", `#preview .preview-article[data-index="0"] .pv-content`, "第一段正文。")
	b.imageLoaded("the preview shows the picture", "#preview .pv-content img")
	if w := b.attr("the preview is phone-sized", "#preview", "class"); w == "" {
		t.Errorf("e2e: the preview has no class")
	}
	width, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](`document.getElementById("preview").getBoundingClientRect().width`))
	if err != nil || width > 400 || width < 300 {
		t.Errorf("e2e: the preview is %v px wide (err %v), want a phone's width", width, err)
	}
	b.page("articles-written")

	b.step("save the draft", stepTimeout,
		chromedp.Click(chromedp.ID("save-draft")),
		chromedp.WaitVisible(chromedp.ID("publish-draft")),
	)
	b.page("articles-saved")
	if got := b.text("the saved draft keeps both articles", "#preview"); !strings.Contains(got, "第一篇：浏览器测试") || !strings.Contains(got, "第二篇的正文") {
		t.Errorf("e2e: after saving, the preview shows %q", got)
	}
	b.imageLoaded("the saved picture shows", "#preview .pv-content img")
	if src := b.attr("the saved picture is the console's copy", "#preview .pv-content img", "src"); !strings.HasPrefix(src, "/apis/articles/image/") {
		t.Errorf("e2e: the saved picture's address is %q", src)
	}

	b.step("publish", stepTimeout,
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(chromedp.ID("publish-draft")),
		chromedp.WaitVisible(chromedp.ID("publish-status")),
	)
	b.page("articles-publishing")
	b.eventually("the status becomes published", 30*time.Second, func(ctx context.Context) error {
		st, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
			const box = document.getElementById("publish-status");
			return {state: box.getAttribute("data-state"), label: box.querySelector(".status-label").textContent,
				links: Array.from(box.querySelectorAll(".status-links a")).map(a => a.href)};
		})()`))
		if err != nil {
			return err
		}
		links, _ := st["links"].([]any)
		if st["state"] != "published" || st["label"] != "已发布" || len(links) != 2 {
			return fmt.Errorf("the status shows %v", st)
		}
		for _, l := range links {
			if s, _ := l.(string); !strings.HasPrefix(s, "http://mp.weixin.qq.com/s?") {
				return fmt.Errorf("an article link is %q", s)
			}
		}
		return nil
	})
	b.page("articles-published")
	b.checkConsole("the end of the articles journey")
}

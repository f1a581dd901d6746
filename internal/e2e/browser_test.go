package e2e

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/socialinzen/socialinzen/internal/testenv"
)

// stepTimeout bounds an ordinary step: a page load, or a click and what it shows. A broken page fails the
// test here, fast, with a screenshot of where it stopped, instead of at the test binary's timeout.
const stepTimeout = 10 * time.Second

// authTimeout bounds a step that hashes a password (register, log in): bcrypt at the console's cost takes
// several seconds under the race detector.
const authTimeout = 30 * time.Second

// browser is one headless Chromium tab driven by a test: every step has a deadline, every page is
// photographed, and everything the page writes to its console is kept, so the test can fail on an error.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab; it has no deadline (a step derives one)
	base string          // the console's URL
	dir  string          // where the screenshots go
	n    int             // screenshots taken, for their file names

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
	checked int // console messages already reported by checkConsole
}

// browserOptions adjust newBrowser.
type browserOptions struct {
	// NoScript turns JavaScript off in the tab, as an operator with scripts blocked would browse.
	NoScript bool
}

// requireChromium finds the browser: E2E_CHROMIUM, /usr/bin/chromium (Debian's package, which CI installs
// with apt-get), or a Chromium or Chrome on PATH. Without one the test skips, except on CI (CI=true),
// where a missing browser must not pass silently. The journeys also skip under -short. A test calls it
// first, before it starts a console.
func requireChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: the browser journeys do not run with -short")
	}
	return testenv.RequireTool(t, os.Getenv("E2E_CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser",
		"google-chrome", "google-chrome-stable")
}

// screenshotDir is where a test's screenshots go: E2E_SCREENSHOT_DIR/<test name> when the variable is set,
// else the test's artifact directory (kept under -outputdir with `go test -artifacts`, removed otherwise).
func screenshotDir(t *testing.T) string {
	t.Helper()
	if root := os.Getenv("E2E_SCREENSHOT_DIR"); root != "" {
		dir := filepath.Join(root, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("e2e: screenshot directory: %v", err)
		}
		t.Logf("e2e: screenshots in %s", dir)
		return dir
	}
	dir := t.ArtifactDir()
	t.Logf("e2e: screenshots in %s (kept with `go test -artifacts -outputdir DIR`, or set E2E_SCREENSHOT_DIR)", dir)
	return dir
}

// newBrowser starts a fresh headless Chromium exe (its own profile in a temporary directory) with one tab
// on the console at base, and closes it when the test ends. The tab asks for Chinese, the console's default
// language.
func newBrowser(t *testing.T, exe, base string, o browserOptions) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox, // CI containers run as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b := &browser{t: t, ctx: ctx, base: base, dir: screenshotDir(t)}

	// The first Do starts the browser and binds its life to ctx, so it gets no deadline of its own
	// (chromedp's docs/API.md, example 21); a browser that hangs at start still fails within 30 s.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			cancelTab()
			cancelAlloc()
			t.Fatalf("e2e: start %s: %v", exe, err)
		}
	case <-time.After(30 * time.Second):
		cancelTab()
		cancelAlloc()
		t.Fatalf("e2e: %s did not start within 30 s", exe)
	}

	// Keep every console message, exception and browser log entry of the whole journey.
	messages := chromedp.Console(ctx)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		<-collected
	})

	if o.NoScript {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatalf("e2e: turn JavaScript off: %v", err)
		}
	}
	return b
}

// url answers the console's address of a path.
func (b *browser) url(path string) string { return b.base + path }

// step runs actions within timeout; when they fail it saves a screenshot of where the page stopped and
// ends the test.
func (b *browser) step(name string, timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(name, err)
	}
}

// fail ends the test at a failed step, with a screenshot, the page's address and its console so far.
func (b *browser) fail(name string, err error) {
	b.t.Helper()
	shot := b.shot("FAIL-" + name)
	b.t.Fatalf("e2e: step %q failed on %s: %v\n  the page shows: %s\n  screenshot: %s%s", name, b.location(), err,
		b.pageText(), shot, b.consoleLog())
}

// pageText answers the start of the main text of the page, for a failure message.
func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		return "(no main element: " + err.Error() + ")"
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	return strconv.Quote(s)
}

// eventually retries check until it answers nil or timeout passes (then the step fails with its last
// error). It suits conditions that survive a reload, which a single query does not.
func (b *browser) eventually(name string, timeout time.Duration, check func(ctx context.Context) error) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.fail(name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// text answers the visible text of the first element sel selects, waiting for it up to stepTimeout.
func (b *browser) text(name string, sel chromedp.CSS) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		b.fail(name, err)
	}
	return strings.TrimSpace(s)
}

// waitText waits until the first element sel selects shows want.
func (b *browser) waitText(name string, sel chromedp.CSS, want string) {
	b.t.Helper()
	b.eventually(name, stepTimeout, func(ctx context.Context) error {
		got, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			return err
		}
		if !strings.Contains(got, want) {
			return fmt.Errorf("%s shows %q, want %q in it", sel, strings.TrimSpace(got), want)
		}
		return nil
	})
}

// location answers the tab's address, for messages.
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown address: " + err.Error() + ")"
	}
	return loc
}

// shot saves a full-page screenshot and answers its file.
func (b *browser) shot(name string) string {
	b.t.Helper()
	b.n++
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	data, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("e2e: screenshot %s: %v", name, err)
		return "(none)"
	}
	file := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.n, name))
	if err := os.WriteFile(file, data, 0o644); err != nil {
		b.t.Logf("e2e: screenshot %s: %v", name, err)
		return "(none)"
	}
	return file
}

// untranslated matches a translation key the page shows in place of its text: the translator renders a
// missing key as "[key.name]".
var untranslated = regexp.MustCompile(`\[[a-z][a-zA-Z0-9_-]*(\.[a-zA-Z0-9_-]+)+\]`)

// page marks the arrival on a page: it saves a screenshot, and reports (without stopping the journey)
// untranslated keys anywhere in the document and the console errors the page produced.
func (b *browser) page(name string) {
	b.t.Helper()
	b.shot(name)
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		b.fail(name, err)
	}
	if keys := untranslated.FindAllString(html, -1); len(keys) > 0 {
		b.t.Errorf("e2e: page %s (%s) shows untranslated keys %v", name, b.location(), keys)
	}
	b.checkConsole(name)
}

// settleConsole waits until the collector has received everything the page logged so far: it logs a marker
// and waits for it, as the messages arrive in order. With scripts off the marker cannot run, so it waits a
// moment instead.
func (b *browser) settleConsole() {
	marker := "e2e-marker-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void]("console.debug("+strconv.Quote(marker)+")")); err != nil {
		time.Sleep(300 * time.Millisecond)
		return
	}
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b.mu.Lock()
		seen := false
		for _, m := range b.console[b.checked:] {
			seen = seen || m.Text == marker
		}
		b.mu.Unlock()
		if seen {
			return
		}
	}
}

// checkConsole reports the errors and exceptions logged since the last check (CSP violations and failed
// requests are among them), naming where the journey was.
func (b *browser) checkConsole(where string) {
	b.t.Helper()
	b.settleConsole()
	b.mu.Lock()
	fresh := b.console[b.checked:]
	b.checked = len(b.console)
	b.mu.Unlock()
	for _, m := range fresh {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			b.t.Errorf("e2e: browser console on %s: %s (%s:%d)", where, m, m.URL, m.Line+1)
		}
	}
}

// consoleLog answers the console so far, for a failure message.
func (b *browser) consoleLog() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var sb strings.Builder
	for _, m := range b.console {
		if strings.HasPrefix(m.Text, "e2e-marker-") {
			continue
		}
		fmt.Fprintf(&sb, "\n  console %s (%s:%d)", m, m.URL, m.Line+1)
	}
	return sb.String()
}

// operator is an operator the journey registers.
type operator struct {
	Username, Email, Password string
}

// newOperator answers an operator whose name and address no other test uses.
func newOperator(prefix string) operator {
	id := strconv.FormatInt(time.Now().UnixNano()%1e10, 36)
	return operator{Username: prefix + "_" + id, Email: prefix + "." + id + "@example.com", Password: "e2e-Passw0rd!"}
}

// register fills the register form and checks the page promises a mail.
func (b *browser) register(op operator) {
	b.t.Helper()
	b.step("open register", stepTimeout,
		chromedp.Navigate(b.url("/register")),
		chromedp.WaitVisible(chromedp.ID("register-submit")),
	)
	b.page("register")
	b.step("submit register", authTimeout,
		chromedp.SetValue(chromedp.ID("f-username"), op.Username),
		chromedp.SetValue(chromedp.ID("f-email"), op.Email),
		chromedp.SetValue(chromedp.ID("f-password"), op.Password),
		chromedp.Click(chromedp.ID("register-submit")),
		chromedp.WaitVisible(chromedp.ID("register-done")),
	)
	b.page("register-done")
}

// openVerifyLink follows the link of the verification mail and checks the login page confirms it.
func (b *browser) openVerifyLink(link string) {
	b.t.Helper()
	if link == "" {
		b.t.Fatal("e2e: the verification mail has no link to /apis/user/verify")
	}
	b.step("follow the verification link", stepTimeout,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("verified-ok")),
	)
	b.page("verified")
}

// login fills the login form (on the page the browser is on, which must be /login) and waits for wantSel
// on the page the console sends the operator to.
func (b *browser) login(op operator, wantSel chromedp.CSS) {
	b.t.Helper()
	b.step("log in", authTimeout,
		chromedp.WaitVisible(chromedp.ID("login-submit")),
		chromedp.SetValue(chromedp.ID("f-username"), op.Username),
		chromedp.SetValue(chromedp.ID("f-password"), op.Password),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(wantSel),
	)
}

// bindAccount fills the authorize form with an official account's credentials and waits for the console's
// dashboard.
func (b *browser) bindAccount(appid, secret, token, aesKey, name string) {
	b.t.Helper()
	b.step("bind the account", stepTimeout,
		chromedp.WaitVisible(chromedp.ID("authorize-submit")),
		chromedp.SetValue(chromedp.ID("f-appid"), appid),
		chromedp.SetValue(chromedp.ID("f-secret"), secret),
		chromedp.SetValue(chromedp.ID("f-token"), token),
		chromedp.SetValue(chromedp.ID("f-encodingAESKey"), aesKey),
		chromedp.SetValue(chromedp.ID("f-name"), name),
		chromedp.Click(chromedp.ID("authorize-submit")),
		chromedp.WaitVisible(chromedp.CSS("body.page-console")),
	)
}

// addTextRule adds a keyword rule with a text reply on the replies page and waits for it in the list.
func (b *browser) addTextRule(request, content string) {
	b.t.Helper()
	b.step("open replies", stepTimeout,
		chromedp.Navigate(b.url("/console/replies")),
		chromedp.WaitVisible(chromedp.ID("rule-submit")),
	)
	b.page("replies")
	b.step("add a rule", stepTimeout,
		chromedp.SetValue(chromedp.ID("r-request"), request),
		chromedp.SetValue(chromedp.ID("r-type"), "text"),
		chromedp.SetValue(chromedp.ID("r-content"), content),
		chromedp.Click(chromedp.ID("rule-submit")),
		chromedp.WaitVisible(chromedp.CSS("#rules tbody tr")),
	)
	b.waitText("the rule is listed", "#rules tbody", request)
	b.waitText("the rule shows its reply", "#rules tbody", content)
}

// uploadImage uploads file as an image material and waits for it in the list.
func (b *browser) uploadImage(file string) {
	b.t.Helper()
	b.step("open materials", stepTimeout,
		chromedp.Navigate(b.url("/console/materials")),
		chromedp.WaitVisible(chromedp.ID("upload-submit")),
	)
	b.page("materials")
	b.step("upload an image", stepTimeout,
		chromedp.SetValue(chromedp.ID("f-type"), "image"),
		chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{file}),
		chromedp.Click(chromedp.ID("upload-submit")),
		chromedp.WaitVisible(chromedp.CSS("#materials article.preview")),
	)
	b.waitText("the upload is listed", "#materials", filepath.Base(file))
}

// writePNG writes a small generated picture (a gradient, so it is a real image and not a blank one) and
// answers its file.
func writePNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for y := range 64 {
		for x := range 96 {
			img.Set(x, y, color.RGBA{R: uint8(x * 255 / 96), G: uint8(y * 255 / 64), B: 160, A: 255})
		}
	}
	file := filepath.Join(t.TempDir(), "e2e-upload.png")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(png.Encode(f, img), f.Close()); err != nil {
		t.Fatal(err)
	}
	return file
}

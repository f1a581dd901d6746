package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/user"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// Sandbox credentials printed at start, so a newcomer can log in at once.
const (
	demoUsername = "demo"
	demoPassword = "demo-password"
	demoEmail    = "demo@example.com"
)

// newSandbox makes the WeChat emulator of sandbox mode and the HTTP client that reaches it in-process.
// The emulator's simulated followers reach the console's callback in-process too (through the whole
// router, as WeChat's requests would), so the demo can be seeded before the listener accepts.
func (a *App) newSandbox() (*wxemu.Emulator, http.Handler, *http.Client) {
	toConsole := wxclient.NewHTTPClient()
	toConsole.Transport = &inProcess{prefix: a.cfg.BaseURL + "/wxplatform/callback/",
		h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }), next: toConsole.Transport}
	emu := wxemu.New(wxemu.Options{Logger: a.log.With("component", "wxemu"), DemoAccount: a.demoAccount(), HTTPClient: toConsole})
	h := http.StripPrefix("/sandbox", emu.Handler())
	hc := wxclient.NewHTTPClient()
	hc.Transport = &inProcess{prefix: a.cfg.SandboxBase() + "/", h: h, next: hc.Transport}
	return emu, h, hc
}

// mountSandbox serves the WeChat emulator under /sandbox/ (contract §12).
func mountSandbox(e *gin.Engine, h http.Handler) {
	e.Any("/sandbox/*path", gin.WrapH(h))
}

// demoAccount derives the demo account's credentials from SECRET_KEY, so that they stay the same across
// restarts and across processes sharing the database.
func (a *App) demoAccount() *wxemu.Account {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	text := func(purpose string, n int) string {
		k := a.box.Derive("sandbox-demo-" + purpose)
		for len(k) < n {
			k = append(k, a.box.Derive(string(k))...)
		}
		out := make([]byte, n)
		for i := range out {
			out[i] = alnum[int(k[i])%len(alnum)]
		}
		return string(out)
	}
	return &wxemu.Account{
		AppID:          "wx" + hex.EncodeToString(a.box.Derive("sandbox-demo-appid"))[:16],
		Secret:         hex.EncodeToString(a.box.Derive("sandbox-demo-secret"))[:32],
		Token:          text("token", 32),
		EncodingAESKey: text("aeskey", 43),
		OriginalID:     "gh_" + hex.EncodeToString(a.box.Derive("sandbox-demo-gh"))[:12],
		Name:           "沙盒演示号 Sandbox Demo",
	}
}

// demoBinding is the emulator's demo account as authorize takes it.
func demoBinding(emu *wxemu.Emulator) accounts.BindInput {
	d := emu.Demo()
	return accounts.BindInput{AppID: d.AppID, Secret: d.Secret, Token: d.Token, EncodingAESKey: d.EncodingAESKey, Name: d.Name}
}

// prepareSandbox makes the demo ready to use: a verified demo operator with the emulator's demo account
// bound, and the emulator's follower simulator pointed at the console's callback in safe mode.
func (a *App) prepareSandbox(ctx context.Context, s *services, emu *wxemu.Emulator) error {
	demo := demoBinding(emu)
	emu.SetCallback(demo.AppID, s.accounts.CallbackURL(demo.AppID), wxemu.ModeSafe)
	uid, err := s.users.EnsureUser(ctx, user.Registration{Username: demoUsername, Password: demoPassword, Email: demoEmail})
	if err != nil {
		return err
	}
	if existing, err := s.accounts.ByAppID(ctx, demo.AppID); err == nil && existing.UserID != uid {
		return nil // another operator bound it already
	} else if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		return err
	}
	if _, err := s.accounts.Bind(ctx, uid, demo); err != nil && apperr.KindOf(err) != apperr.Conflict {
		return err
	}
	return nil
}

// Demo content, so that a newcomer's first look at the console is a living account, not zeros.
var (
	demoRules = []struct{ keyword, match, reply string }{
		{"你好", "contains", "你好！欢迎关注沙盒演示号。回复「营业时间」或「help」试试。"},
		{"营业时间", "exact", "我们每天 9:00–21:00 营业，节假日照常。"},
		{"help", "exact", "Send 你好, 营业时间 or help; every other message lands in the console's inbox."},
	}
	demoMessages = []string{"你好", "请问营业时间？", "help", "营业时间", "这个沙盒是做什么的？"}
)

// seedSandbox fills the demo account once: a few keyword rules, its followers synced (a job), and a few
// messages sent by simulated followers through the real callback path (signed, encrypted in safe mode,
// matched against the rules, stored). Each part runs only while its part of the console is still empty,
// so a restart or a second process adds nothing twice.
func (a *App) seedSandbox(ctx context.Context, s *services, emu *wxemu.Emulator) error {
	demo := emu.Demo()
	acct, err := s.accounts.ByAppID(ctx, demo.AppID)
	if err != nil {
		return err
	}
	if acct.UserID == 0 {
		return nil
	}
	rules, err := s.replies.List(ctx, acct.ID)
	if err != nil {
		return err
	}
	if len(rules) == 0 {
		for _, r := range demoRules {
			if _, err := s.replies.Add(ctx, acct.ID, demoRule(r.keyword, reply.MatchMode(r.match), r.reply)); err != nil && apperr.KindOf(err) != apperr.Conflict {
				return fmt.Errorf("demo rule %q: %w", r.keyword, err)
			}
		}
	}
	if st, err := s.followers.SyncStatus(ctx, acct); err != nil {
		return err
	} else if st.State == followers.StateIdle {
		if _, err := s.followers.StartSync(ctx, acct); err != nil {
			return fmt.Errorf("demo follower sync: %w", err)
		}
	}
	page, err := s.messages.Inbox(ctx, messages.InboxQuery{AccountID: acct.ID, Limit: 1})
	if err != nil {
		return err
	}
	fl := emu.Followers(demo.AppID)
	if page.Total > 0 || len(fl) == 0 {
		return nil
	}
	for i, text := range demoMessages {
		if _, err := emu.SendText(ctx, demo.AppID, fl[i%len(fl)].OpenID, text); err != nil {
			return fmt.Errorf("demo message: %w", err)
		}
	}
	return nil
}

func demoRule(keyword string, match reply.MatchMode, text string) reply.Input {
	return reply.Input{Type: reply.TypeText, Content: reply.Content{Content: text}, Request: keyword, Match: match}
}

// inProcess routes the console's own calls to the sandbox emulator straight to its handler, without a
// network hop: the emulator is part of this process, and at start-up (binding the demo account) the
// listener does not accept connections yet. Every other URL goes over the network as usual.
type inProcess struct {
	prefix string // BASE_URL + "/sandbox/"
	h      http.Handler
	next   http.RoundTripper
}

func (t *inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
	if !strings.HasPrefix(u, t.prefix) {
		return t.next.RoundTrip(req)
	}
	rec := httptest.NewRecorder()
	r2 := req.Clone(req.Context())
	r2.RequestURI = req.URL.RequestURI()
	if r2.Body == nil {
		r2.Body = http.NoBody
	}
	t.h.ServeHTTP(rec, r2)
	if err := req.Context().Err(); err != nil {
		// The caller gave up (its deadline passed) while the emulator was still answering: report it as
		// the network would, a timeout, not as an empty answer.
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

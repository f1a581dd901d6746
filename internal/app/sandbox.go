package app

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/user"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
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
func (a *App) newSandbox() (*wxemu.Emulator, http.Handler, *http.Client) {
	emu := wxemu.New(wxemu.Options{Logger: a.log.With("component", "wxemu"), DemoAccount: a.demoAccount()})
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

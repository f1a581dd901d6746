package user_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/user"
)

func TestVerifyLinkIsSingleUseAndExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	get := func(path string, accept string) res {
		return a.do(req{method: http.MethodGet, path: path, header: map[string]string{"Accept": accept}})
	}

	require.Equal(t, http.StatusOK, a.register("frank", "frank@example.com", "12345678").Code)
	link, _ := e.linkToken("frank@example.com", "/apis/user/verify?")
	path := strings.TrimPrefix(link, baseURL)

	// Expires after 24 h, not before.
	e.clock.Add(24*time.Hour - time.Second)
	first := get(path, "text/html")
	require.Equal(t, http.StatusSeeOther, first.Code)
	require.Equal(t, "/login?verified=1", first.Header().Get("Location"))

	again := get(path, "text/html")
	require.Equal(t, http.StatusSeeOther, again.Code)
	require.Equal(t, "/login?verified=0&reason=invalid", again.Header().Get("Location"))
	requireFail(t, get(path, "application/json"), http.StatusBadRequest, httpapi.CodeInvalid, "token:")

	require.Equal(t, http.StatusOK, a.register("grace", "grace@example.com", "12345678").Code)
	link, _ = e.linkToken("grace@example.com", "/apis/user/verify?")
	e.clock.Add(24*time.Hour + time.Second)
	late := get(strings.TrimPrefix(link, baseURL), "")
	require.Equal(t, http.StatusSeeOther, late.Code)
	require.Equal(t, "/login?verified=0&reason=expired", late.Header().Get("Location"))
	requireFail(t, get(strings.TrimPrefix(link, baseURL), "application/json"), http.StatusBadRequest, httpapi.CodeInvalid, "token: has expired")
	requireFail(t, a.login("grace", "12345678"), http.StatusForbidden, httpapi.CodeUnverified, "email not verified")

	for _, bad := range []string{"/apis/user/verify", "/apis/user/verify?token=", "/apis/user/verify?token=nope"} {
		r := get(bad, "")
		require.Equal(t, "/login?verified=0&reason=invalid", r.Header().Get("Location"), bad)
	}

	// A new link works; the expired one stays dead.
	require.Equal(t, http.StatusOK, a.post("/apis/user/resendVerification", map[string]string{"email": "GRACE@example.com"}).Code)
	link2, _ := e.linkToken("grace@example.com", "/apis/user/verify?")
	require.Equal(t, "/login?verified=1", get(strings.TrimPrefix(link2, baseURL), "").Header().Get("Location"))
	require.Equal(t, http.StatusOK, a.login("grace", "12345678").Code)
}

func TestResetRevokesEveryToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	a.verified("heidi", "heidi@example.com", "old password")
	tok1, tok2 := a.token("heidi", "old password"), a.token("heidi@example.com", "old password")

	require.Equal(t, http.StatusOK, a.post("/apis/user/forgotPassword", map[string]string{"email": "heidi@example.com"}).Code)
	m := e.mail.Wait(t, "heidi@example.com", 10*time.Second)
	require.Equal(t, "重置您的密码 / Reset your password", m.Subject)
	link := m.Link(baseURL + "/reset?token=")
	require.NotEmpty(t, link, m.Text)
	_, token, _ := strings.Cut(link, "token=")

	reset := func(token, password string) res {
		return a.post("/apis/user/resetPassword", map[string]string{"token": token, "password": password})
	}
	requireFail(t, reset(token, "short"), http.StatusBadRequest, httpapi.CodeInvalid, "password:")
	requireFail(t, reset("made-up", "new password"), http.StatusBadRequest, httpapi.CodeInvalid, "token:")
	requireFail(t, reset("", "new password"), http.StatusBadRequest, httpapi.CodeInvalid, "token:")
	require.Equal(t, http.StatusOK, a.me(tok1).Code, "a failed reset changes nothing")

	r := reset(token, "new password")
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	requireFail(t, a.me(tok1), http.StatusUnauthorized, httpapi.CodeUnauthenticated, "access_token")
	requireFail(t, a.me(tok2), http.StatusUnauthorized, httpapi.CodeUnauthenticated, "access_token")
	requireFail(t, a.login("heidi", "old password"), http.StatusUnauthorized, httpapi.CodeBadCredentials, "wrong")
	require.Equal(t, http.StatusOK, a.me(a.token("heidi", "new password")).Code)
	requireFail(t, reset(token, "third password"), http.StatusBadRequest, httpapi.CodeInvalid, "token: is invalid")

	// A reset link lives one hour.
	e.clock.Add(2 * time.Minute)
	require.Equal(t, http.StatusOK, a.post("/apis/user/forgotPassword", map[string]string{"email": "heidi@example.com"}).Code)
	_, token = e.linkToken("heidi@example.com", "/reset?")
	e.clock.Add(time.Hour + time.Second)
	requireFail(t, reset(token, "third password"), http.StatusBadRequest, httpapi.CodeInvalid, "token: has expired")
}

// TestResetVerifies: following a reset link proves the mailbox as well as a verification link does.
func TestResetVerifies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	require.Equal(t, http.StatusOK, a.register("ivan", "ivan@example.com", "12345678").Code)
	e.mail.Wait(t, "ivan@example.com", 10*time.Second)
	require.NoError(t, a.svc.ForgotPassword(t.Context(), "ivan@example.com"))
	_, token := e.linkToken("ivan@example.com", "/reset?")
	require.NoError(t, a.svc.ResetPassword(t.Context(), token, "87654321"))
	require.Equal(t, http.StatusOK, a.login("ivan", "87654321").Code)
}

// TestNoEnumeration: resend and forgot answer the same whatever the address, and mail only real operators.
func TestNoEnumeration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	a.verified("judy", "judy@example.com", "12345678")
	require.Equal(t, http.StatusOK, a.register("ken", "ken@example.com", "12345678").Code)
	e.mail.Wait(t, "ken@example.com", 10*time.Second)
	e.clock.Add(2 * time.Minute) // past the one-mail-a-minute guard

	for _, path := range []string{"/apis/user/resendVerification", "/apis/user/forgotPassword"} {
		var first res
		for i, email := range []string{"judy@example.com", "ken@example.com", "nobody@example.com", "KEN@EXAMPLE.COM"} {
			r := a.post(path, map[string]string{"email": email})
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			if i == 0 {
				first = r
				continue
			}
			require.Equal(t, first.Body.String(), r.Body.String(), "%s %s", path, email)
			require.Equal(t, first.Header().Get("Content-Type"), r.Header().Get("Content-Type"))
		}
		requireFail(t, a.post(path, map[string]string{"email": "not an address"}), http.StatusBadRequest, httpapi.CodeInvalid, "email:")
	}
	require.NoError(t, a.svc.Shutdown(t.Context()))
	// ken: the verification of register + one resend + one reset; the second of each within a minute is dropped.
	require.Equal(t, 3, e.mail.Count("ken@example.com"))
	// judy is verified already: only her own verification and one reset.
	require.Equal(t, 2, e.mail.Count("judy@example.com"))
	require.Zero(t, e.mail.Count("nobody@example.com"))
}

func TestAccessTokenLifetime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	a.verified("leo", "leo@example.com", "12345678")
	tok := a.token("leo", "12345678")
	idle := a.token("leo", "12345678")

	// Each use renews the lifetime to 7 days from then: used every 6 days, the token lives on.
	for range 3 {
		e.clock.Add(6 * 24 * time.Hour)
		require.Equal(t, http.StatusOK, a.me(tok).Code)
	}
	requireFail(t, a.me(idle), http.StatusUnauthorized, httpapi.CodeUnauthenticated, "access_token")
	e.clock.Add(7*24*time.Hour + time.Second)
	requireFail(t, a.me(tok), http.StatusUnauthorized, httpapi.CodeUnauthenticated, "access_token")

	for _, bad := range []string{"", "x", strings.Repeat("a", 43), strings.Repeat("a", 5000)} {
		_, err := a.svc.Authenticate(t.Context(), bad)
		require.ErrorIs(t, err, user.ErrUnauthenticated, bad)
	}
}

// TestRenewalWritesAtMostOncePerMinute keeps the hot path a read.
func TestRenewalWritesAtMostOncePerMinute(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	a.verified("mia", "mia@example.com", "12345678")
	tok := a.token("mia", "12345678")
	lastUsed := func() time.Time {
		var ts time.Time
		require.NoError(t, e.db.Raw(`SELECT last_used_at FROM access_tokens`).Scan(&ts).Error)
		return ts.UTC()
	}
	issued := lastUsed()
	e.clock.Add(59 * time.Second)
	_, err := a.svc.Authenticate(t.Context(), tok)
	require.NoError(t, err)
	require.Equal(t, issued, lastUsed())
	e.clock.Add(2 * time.Second)
	p, err := a.svc.Authenticate(t.Context(), tok)
	require.NoError(t, err)
	require.Equal(t, "mia", p.Username)
	require.Equal(t, e.clock.Now().Truncate(time.Microsecond), lastUsed())
}

func TestCleanup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	a.verified("nick", "nick@example.com", "12345678")
	a.token("nick", "12345678")
	requireFail(t, a.login("nick", "wrong one"), http.StatusUnauthorized, httpapi.CodeBadCredentials, "wrong")
	count := func(table string) int64 {
		var n int64
		require.NoError(t, e.db.Table(table).Count(&n).Error)
		return n
	}
	require.NoError(t, a.svc.Cleanup(context.Background()))
	require.EqualValues(t, 1, count("access_tokens"))
	require.EqualValues(t, 2, count("login_failures"))
	e.clock.Add(8 * 24 * time.Hour)
	require.NoError(t, a.svc.Cleanup(context.Background()))
	for _, table := range []string{"access_tokens", "login_failures", "email_tokens"} {
		require.Zero(t, count(table), table)
	}
	require.EqualValues(t, 1, count("users"))
}

// TestForgotAnswersBeforeAnyWorkForTheAddress: forgot and resend answer without waiting for anything an
// existing address causes (the lookup, the token, the mail), so their time tells nothing. Here the token
// table is locked by another transaction: the answer comes anyway, and the mail follows once it is free.
func TestForgotAnswersBeforeAnyWorkForTheAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.app
	a.verified("mallory", "mallory@example.com", "12345678")
	require.Equal(t, http.StatusOK, a.register("nina", "nina@example.com", "12345678").Code)
	e.mail.Wait(t, "nina@example.com", 10*time.Second)
	e.clock.Add(2 * time.Minute)

	tx := e.db.Begin()
	require.NoError(t, tx.Exec(`LOCK TABLE email_tokens IN ACCESS EXCLUSIVE MODE`).Error)
	for _, c := range []struct{ path, email string }{
		{"/apis/user/forgotPassword", "mallory@example.com"},
		{"/apis/user/resendVerification", "nina@example.com"},
	} {
		done := make(chan res, 1)
		go func() { done <- a.post(c.path, map[string]string{"email": c.email}) }()
		select {
		case r := <-done:
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		case <-time.After(5 * time.Second):
			tx.Rollback()
			t.Fatalf("%s waited on the work of an existing address", c.path)
		}
	}
	require.NoError(t, tx.Rollback().Error)
	e.mail.Wait(t, "mallory@example.com", 10*time.Second)
	require.NoError(t, a.svc.Shutdown(t.Context()))
	require.Equal(t, 2, e.mail.Count("nina@example.com"))
}

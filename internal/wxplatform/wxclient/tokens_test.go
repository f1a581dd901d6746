package wxclient

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/testenv"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// warm makes every client hold the account's current token in memory.
func warm(t *testing.T, ctx context.Context, appid string, clients ...*Client) string {
	t.Helper()
	var tok string
	for _, c := range clients {
		got, err := c.AccessToken(ctx, appid)
		require.NoError(t, err)
		if tok != "" {
			require.Equal(t, tok, got, "every process uses the same token")
		}
		tok = got
	}
	return tok
}

// storm runs 50 goroutines per client at once, each calling f, and answers their errors.
func storm(clients []*Client, f func(c *Client) error) []error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
		start = make(chan struct{})
	)
	for _, c := range clients {
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if err := f(c); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	return errs
}

// TestOneRefreshAcrossProcesses is contract §4: three processes on one database, 50 callers each, one
// token fetch from WeChat per expiry — whether WeChat rejected the token, it expired at WeChat, or it
// reached its refresh time here.
func testOneRefreshAcrossProcesses(t *testing.T, d *sharedDB) {
	cases := []struct {
		name  string
		spoil func(e *testEnv)
		call  func(ctx context.Context, c *Client, appid string) error
	}{
		{"token invalidated at WeChat (40001)", func(e *testEnv) { e.emu.InvalidateTokens(e.demo.AppID) }, callTags},
		{"token expired at WeChat (42001)", func(e *testEnv) { e.emu.ExpireTokens(e.demo.AppID) }, callTags},
		{"token reached its refresh time", func(e *testEnv) { e.clock.Add(6000 * time.Second) }, callToken},
		{"token expired here and at WeChat", func(e *testEnv) { e.clock.Add(7300 * time.Second) }, callTags},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := d.env(t)
			ctx := ctxT(t)
			app := e.demo.AppID
			procs := []*Client{e.process(), e.process(), e.process()}
			old := warm(t, ctx, app, procs...)
			require.Equal(t, 1, e.emu.TokenRequests(app))

			tc.spoil(e)
			before := e.emu.TokenRequests(app)
			errs := storm(procs, func(c *Client) error { return tc.call(ctx, c, app) })
			require.Empty(t, errs)
			require.Equal(t, before+1, e.emu.TokenRequests(app), "exactly one token fetch")

			fresh := warm(t, ctx, app, procs...)
			require.NotEqual(t, old, fresh)
			h, err := procs[0].TokenHealth(ctx, app)
			require.NoError(t, err)
			require.Equal(t, int64(2), h.Refreshes)
			require.Empty(t, h.LastError)
		})
	}
}

func callTags(ctx context.Context, c *Client, appid string) error {
	_, err := c.Tags(ctx, appid)
	return err
}

func callToken(ctx context.Context, c *Client, appid string) error {
	_, err := c.AccessToken(ctx, appid)
	return err
}

func testTicketSharedAcrossProcesses(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	procs := []*Client{e.process(), e.process(), e.process()}
	errs := storm(procs, func(c *Client) error {
		tk, err := c.JSAPITicket(ctx, app)
		if err == nil && tk != e.emu.JSAPITicket(app) {
			t.Errorf("ticket %q is not WeChat's", tk)
		}
		return err
	})
	require.Empty(t, errs)
	require.Len(t, e.requests(pathTicket), 1, "one getticket for everybody")
	require.Equal(t, 1, e.emu.TokenRequests(app))

	// At 80 % of its lifetime the ticket is fetched again, once.
	e.clock.Add(5800 * time.Second)
	errs = storm(procs, func(c *Client) error { _, err := c.JSAPITicket(ctx, app); return err })
	require.Empty(t, errs)
	require.Len(t, e.requests(pathTicket), 2)
}

func testRefreshAheadOfExpiry(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	c := e.client()
	first := warm(t, ctx, app, c)

	e.clock.Add(5700 * time.Second) // 79 % of 7200 s
	require.Equal(t, first, warm(t, ctx, app, c))
	require.Equal(t, 1, e.emu.TokenRequests(app))

	e.clock.Add(100 * time.Second) // 80.5 %
	second := warm(t, ctx, app, c)
	require.NotEqual(t, first, second)
	require.Equal(t, 2, e.emu.TokenRequests(app))
}

func testCachedTokenNeedsNoIO(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	c := e.process()
	tok := warm(t, ctx, app, c)
	n := len(e.emu.Requests())

	// With its database gone and WeChat unreachable, the process still answers from memory.
	sqlDB, err := c.opts.DB.DB()
	require.NoError(t, err)
	require.NoError(t, sqlDB.Close())
	e.srv.Close()
	got, err := c.AccessToken(ctx, app)
	require.NoError(t, err)
	require.Equal(t, tok, got)
	require.Len(t, e.emu.Requests(), n)
}

func testRejectedTokenAlreadyReplacedByAnotherProcess(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	a, b := e.process(), e.process()
	old := warm(t, ctx, app, a, b)

	// b learns that WeChat rejects the token and replaces it; a still holds the old one in memory.
	e.emu.InvalidateTokens(app)
	_, err := b.Tags(ctx, app)
	require.NoError(t, err)
	require.Equal(t, 2, e.emu.TokenRequests(app))

	// a's call is rejected, a finds b's token in Postgres and does not fetch one of its own.
	_, err = a.Tags(ctx, app)
	require.NoError(t, err)
	require.Equal(t, 2, e.emu.TokenRequests(app))
	tok, err := a.AccessToken(ctx, app)
	require.NoError(t, err)
	require.NotEqual(t, old, tok)
}

func testTokenSealedAtRest(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	tok := warm(t, ctx, app, e.client())
	ticket, err := e.client().JSAPITicket(ctx, app)
	require.NoError(t, err)

	var values []string
	require.NoError(t, e.db.Raw(`SELECT value_enc FROM wx_credentials WHERE appid = ?`, app).Scan(&values).Error)
	require.Len(t, values, 2)
	for _, v := range values {
		require.NotContains(t, v, tok)
		require.NotContains(t, v, ticket)
	}

	pgDump := testenv.RequireTool(t, "pg_dump")
	out, err := exec.CommandContext(ctx, pgDump, "--data-only", "--table=wx_credentials", e.dbURL).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), app, "the dump holds the row")
	require.NotContains(t, string(out), tok)
	require.NotContains(t, string(out), ticket)
}

func testCheckCredentials(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	c := e.client()

	err := c.CheckCredentials(ctx, app, "0123456789abcdef0123456789abcdef")
	require.Equal(t, CodeInvalidSecret, Code(err))
	var we *Error
	require.ErrorAs(t, err, &we)
	require.Contains(t, we.Explanation(), "AppSecret is wrong")

	err = c.CheckCredentials(ctx, "wx0000000000000000", e.demo.Secret)
	require.Equal(t, CodeInvalidAppID, Code(err))

	require.NoError(t, c.CheckCredentials(ctx, app, e.demo.Secret))
	require.Equal(t, 1, e.emu.TokenRequests(app))
	// The token fetched to check the secret is the one used afterwards, by every process.
	warm(t, ctx, app, c, e.process())
	require.Equal(t, 1, e.emu.TokenRequests(app))
	_, err = e.process().Tags(ctx, app)
	require.NoError(t, err)
	require.Equal(t, 1, e.emu.TokenRequests(app))
}

func testTokenHealth(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	c := e.client()

	h, err := c.TokenHealth(ctx, app)
	require.NoError(t, err)
	require.Zero(t, h, "nothing known before the first token")

	warm(t, ctx, app, c)
	e.clock.Add(90 * time.Second)
	h, err = c.TokenHealth(ctx, app)
	require.NoError(t, err)
	require.Equal(t, int64(90), h.AgeSeconds)
	require.Equal(t, int64(1), h.Refreshes)
	require.Empty(t, h.LastError)

	// The refresh fails (the IP is not whitelisted): the current token stays in use while it lives, and
	// the operator sees why.
	e.clock.Add(6000 * time.Second)
	e.emu.SetFault(pathToken, faultCode(CodeIPNotWhitelisted, "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 1"))
	_, err = c.Tags(ctx, app)
	require.NoError(t, err, "the old token still works")
	h, err = c.TokenHealth(ctx, app)
	require.NoError(t, err)
	require.Contains(t, h.LastError, "add this server's IP (203.0.113.7) to the account's IP whitelist")
	require.Contains(t, h.LastError, "40164")
	require.Equal(t, int64(1), h.Refreshes)

	// Once WeChat accepts again, the error is history.
	e.emu.ClearFaults()
	e.clock.Add(errorRetry)
	_, err = c.Tags(ctx, app)
	require.NoError(t, err)
	h, err = c.TokenHealth(ctx, app)
	require.NoError(t, err)
	require.Empty(t, h.LastError)
	require.Equal(t, int64(2), h.Refreshes)
	require.Zero(t, h.AgeSeconds)
}

func testRefreshFailsWithoutUsableToken(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	c := e.client()
	e.emu.SetFault(pathToken, faultCode(CodeDailyQuota, ""))
	_, err := c.Tags(ctx, app)
	require.Equal(t, CodeDailyQuota, Code(err))
	require.Len(t, e.requests(pathToken), 1, "45009 is not retried")
	h, err := c.TokenHealth(ctx, app)
	require.NoError(t, err)
	require.Contains(t, h.LastError, "daily quota")
}

func testForget(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	c := e.client()
	warm(t, ctx, app, c)
	_, err := c.JSAPITicket(ctx, app)
	require.NoError(t, err)

	require.NoError(t, c.Forget(ctx, app))
	var n int64
	require.NoError(t, e.db.Raw(`SELECT count(*) FROM wx_credentials WHERE appid = ?`, app).Scan(&n).Error)
	require.Zero(t, n)
	warm(t, ctx, app, c)
	require.Equal(t, 2, e.emu.TokenRequests(app), "a forgotten token is fetched anew")
}

func testStableTokenMode(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	stable := func(o *Options) { o.StableToken = true }
	procs := []*Client{e.process(stable), e.process(stable)}
	old := warm(t, ctx, app, procs...)
	require.Len(t, e.requests(pathStableToken), 1)
	require.Empty(t, e.requests(pathToken))

	// Another party force-refreshed the stable token: WeChat answers the new one without force_refresh.
	e.emu.InvalidateTokens(app)
	errs := storm(procs, func(c *Client) error { return callTags(ctx, c, app) })
	require.Empty(t, errs)
	reqs := e.requests(pathStableToken)
	require.Len(t, reqs, 2)
	require.Contains(t, string(reqs[1].Body), `"force_refresh":false`)
	second := warm(t, ctx, app, procs...)
	require.NotEqual(t, old, second)

	// WeChat rejects the token but keeps answering it as current: only force_refresh replaces it.
	e.emu.SetFault("/cgi-bin/tags/get", wxemu.Fault{Errcode: CodeInvalidCredential, Times: 1})
	require.NoError(t, callTags(ctx, procs[0], app))
	reqs = e.requests(pathStableToken)
	require.Len(t, reqs, 4)
	require.Contains(t, string(reqs[2].Body), `"force_refresh":false`)
	require.Contains(t, string(reqs[3].Body), `"force_refresh":true`)
	require.NotEqual(t, second, warm(t, ctx, app, procs[0]))
}

func testSecretsNeverLogged(t *testing.T, d *sharedDB) {
	e := d.env(t)
	ctx := ctxT(t)
	app := e.demo.AppID
	c := e.client()
	tok := warm(t, ctx, app, c)
	_, err := c.Tags(ctx, app)
	require.NoError(t, err)
	e.emu.InvalidateTokens(app)
	_, err = c.Tags(ctx, app)
	require.NoError(t, err)
	tok2, err := c.AccessToken(ctx, app)
	require.NoError(t, err)

	// WeChat gone: the transport error names the URL, which must not carry the token either.
	e.srv.Close()
	_, err = c.Tags(ctx, app)
	require.Error(t, err)
	_, err2 := c.Token(ctx, app, e.demo.Secret)
	require.Error(t, err2)

	logs := e.logs.String()
	require.NotEmpty(t, logs)
	for _, secret := range []string{tok, tok2, e.demo.Secret} {
		require.NotContains(t, logs, secret)
		require.NotContains(t, err.Error(), secret)
		require.NotContains(t, err2.Error(), secret)
	}
	require.True(t, strings.Contains(logs, "access_token=REDACTED"), "URLs are logged redacted")
}

// TestTokenStore runs the token and ticket store tests on one database.
func TestTokenStore(t *testing.T) {
	t.Parallel()
	d := newSharedDB(t)
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *sharedDB)
	}{
		{"OneRefreshAcrossProcesses", testOneRefreshAcrossProcesses},
		{"TicketSharedAcrossProcesses", testTicketSharedAcrossProcesses},
		{"RefreshAheadOfExpiry", testRefreshAheadOfExpiry},
		{"CachedTokenNeedsNoIO", testCachedTokenNeedsNoIO},
		{"RejectedTokenAlreadyReplacedByAnotherProcess", testRejectedTokenAlreadyReplacedByAnotherProcess},
		{"TokenSealedAtRest", testTokenSealedAtRest},
		{"CheckCredentials", testCheckCredentials},
		{"TokenHealth", testTokenHealth},
		{"RefreshFailsWithoutUsableToken", testRefreshFailsWithoutUsableToken},
		{"Forget", testForget},
		{"StableTokenMode", testStableTokenMode},
		{"SecretsNeverLogged", testSecretsNeverLogged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, d)
		})
	}
}

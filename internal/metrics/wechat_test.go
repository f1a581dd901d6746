package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/metrics"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// The client reports to the observer through its real code paths: calls by path and errcode, refreshes by
// kind and result, never an appid, token or secret as a label.
func TestWeChatCallsAndRefreshes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gdb := dbtest.New(t)
	emu := wxemu.New(wxemu.Options{DemoFollowers: -1, AutoConsent: true})
	srv := httptest.NewServer(emu.Handler())
	defer srv.Close()
	demo := emu.Demo()
	wrong := emu.NewAccount("wrong secret")
	box, err := secretbox.New(bytes.Repeat([]byte("k"), 32))
	require.NoError(t, err)

	m := metrics.New()
	secrets := map[string]string{demo.AppID: demo.Secret, wrong.AppID: "0123456789abcdef0123456789abcdef"}
	c := wxclient.New(wxclient.Options{APIBase: srv.URL, OpenBase: srv.URL, MPBase: srv.URL, DB: gdb, Box: box,
		Logger: slog.New(slog.DiscardHandler), Observer: m, RetryBackoff: time.Millisecond,
		Credentials: wxclient.CredentialFunc(func(_ context.Context, appid string) (string, error) {
			if s, ok := secrets[appid]; ok {
				return s, nil
			}
			return "", apperr.New(apperr.NotFound, "official account not found")
		})})

	tok, err := c.AccessToken(ctx, demo.AppID)
	require.NoError(t, err)
	ticket, err := c.JSAPITicket(ctx, demo.AppID)
	require.NoError(t, err)
	_, err = c.AccessToken(ctx, wrong.AppID)
	wrongCode := wxclient.Code(err)
	require.NotZero(t, wrongCode, "a wrong AppSecret is a WeChat error: %v", err)
	_, err = c.AccessToken(ctx, "wx00000000000000ff")
	require.Error(t, err, "an account without credentials")
	_, err = c.Tags(ctx, demo.AppID)
	require.NoError(t, err)

	fams, body := scrape(t, m)
	calls := func(path, errcode string) float64 {
		return value(t, fams, "socialinzen_wechat_calls_total", map[string]string{"path": path, "errcode": errcode})
	}
	assert.Equal(t, 1.0, calls("/cgi-bin/token", "0"))
	assert.Equal(t, 1.0, calls("/cgi-bin/token", strconv.Itoa(wrongCode)))
	assert.Equal(t, 1.0, calls("/cgi-bin/ticket/getticket", "0"))
	assert.Equal(t, 1.0, calls("/cgi-bin/tags/get", "0"))
	assert.Equal(t, 2.0, value(t, fams, "socialinzen_wechat_call_duration_seconds", map[string]string{"path": "/cgi-bin/token"}))

	refreshes := func(kind, result string) float64 {
		return value(t, fams, "socialinzen_wechat_token_refreshes_total", map[string]string{"kind": kind, "result": result})
	}
	assert.Equal(t, 1.0, refreshes("access_token", "ok"))
	assert.Equal(t, 1.0, refreshes("jsapi_ticket", "ok"))
	assert.Equal(t, 1.0, refreshes("access_token", "error"), "the account without credentials never reached WeChat")

	for _, s := range []string{demo.AppID, wrong.AppID, demo.Secret, tok, ticket, "wx00000000000000ff"} {
		assert.NotContains(t, body, s)
	}
}

// Failures where WeChat gave no errcode are labelled by what happened.
func TestWeChatCallFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer broken.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	m := metrics.New()
	gdb := dbtest.New(t)
	box, err := secretbox.New(bytes.Repeat([]byte("k"), 32))
	require.NoError(t, err)
	noSecrets := wxclient.CredentialFunc(func(context.Context, string) (string, error) { return "", nil })
	client := func(base string) *wxclient.Client {
		return wxclient.New(wxclient.Options{APIBase: base, Timeout: 100 * time.Millisecond, DB: gdb, Box: box,
			Credentials: noSecrets, Logger: slog.New(slog.DiscardHandler), Observer: m})
	}
	_, err = client(slow.URL).Token(ctx, "wx0123456789abcdef", "secret")
	require.Error(t, err)
	_, err = client(broken.URL).Token(ctx, "wx0123456789abcdef", "secret")
	require.Error(t, err)
	_, err = client(closed.URL).Token(ctx, "wx0123456789abcdef", "secret")
	require.Error(t, err)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = client(slow.URL).Token(canceled, "wx0123456789abcdef", "secret")
	require.Error(t, err)

	fams, _ := scrape(t, m)
	for errcode, want := range map[string]float64{"timeout": 1, "upstream": 2, "canceled": 1} {
		assert.Equal(t, want, value(t, fams, "socialinzen_wechat_calls_total",
			map[string]string{"path": "/cgi-bin/token", "errcode": errcode}), errcode)
	}
}

// The errcode label of each kind of failure, as the observer receives them.
func TestWeChatCallLabels(t *testing.T) {
	cases := []struct {
		name    string
		errcode int
		err     error
		want    string
	}{
		{"ok", 0, nil, "0"},
		{"wechat error", 45009, &wxclient.Error{Errcode: 45009, Path: "/cgi-bin/tags/get"}, "45009"},
		{"wechat busy", -1, &wxclient.Error{Errcode: -1}, "-1"},
		{"wechat error, errcode not passed", 0, fmt.Errorf("wrapped: %w", &wxclient.Error{Errcode: 40164}), "40164"},
		{"timeout", 0, apperr.Wrap(apperr.UpstreamTimeout, "slow", context.DeadlineExceeded), "timeout"},
		{"canceled", 0, fmt.Errorf("wechat /x: %w", context.Canceled), "canceled"},
		{"unreachable", 0, apperr.Wrap(apperr.Upstream, "unreachable", errors.New("connection refused")), "upstream"},
		{"other", 0, errors.New("encode request"), "error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := metrics.New()
			m.WeChatCall("/cgi-bin/tags/get", c.errcode, c.err, 10*time.Millisecond)
			fams, _ := scrape(t, m)
			assert.Equal(t, 1.0, value(t, fams, "socialinzen_wechat_calls_total",
				map[string]string{"path": "/cgi-bin/tags/get", "errcode": c.want}))
		})
	}
}

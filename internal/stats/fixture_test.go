package stats

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/testenv"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// env is a stats service on a fresh database, the emulator over HTTP and the real WeChat client, with one
// bound account. The clock is the emulator's: 2026-03-01 10:00 UTC, 18:00 in Shanghai, so WeChat's last
// day is 2026-02-28.
type env struct {
	*wxtest.Env
	t     testing.TB
	clock *testenv.Clock
	svc   *Service
	user  int64
	acct  *accounts.Account
}

func newEnv(t testing.TB) *env {
	t.Helper()
	clock := testenv.NewClock()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{Now: clock.Now, MaxRequests: 100000}, Logger: log})
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	e := &env{Env: w, t: t, clock: clock}
	e.svc = NewService(w.DB, Options{WeChat: w.WX, Console: messages.NewStore(w.DB), Location: shanghai, Now: clock.Now, Logger: log})
	e.user = w.Operator("op")
	e.acct = w.Bind(e.user, w.Emu.Demo())
	return e
}

func day(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// followersBy counts the emulator's followers subscribed before the end of date in Beijing. The seeded ones
// spread up to the clock's now (18:00 on March 1 there), so the last may not count on February 28.
func (e *env) followersBy(date string) int {
	end := day(date).AddDate(0, 0, 1).Add(-8 * time.Hour).Unix()
	n := 0
	for _, f := range e.Emu.Followers(e.acct.AppID) {
		if f.Subscribed && f.SubscribeTime < end {
			n++
		}
	}
	return n
}

func (e *env) pull(from, to string, force bool) (PullResult, error) {
	e.t.Helper()
	return e.svc.Pull(context.Background(), e.acct.ID, e.acct.AppID, day(from), day(to), force)
}

// bodies answers the datacube requests the emulator received at endpoint: their begin and end dates.
func (e *env) bodies(endpoint string) [][2]string {
	e.t.Helper()
	var out [][2]string
	for _, r := range e.Requests("/datacube/" + endpoint) {
		var b struct {
			Begin string `json:"begin_date"`
			End   string `json:"end_date"`
		}
		require.NoError(e.t, json.Unmarshal(r.Body, &b))
		out = append(out, [2]string{b.Begin, b.End})
	}
	return out
}

// snapshot answers every stored statistics row of the account, with the row's version (xmin), so a test
// can tell "nothing changed" from "rewritten with the same values".
func (e *env) snapshot() map[string][]string {
	e.t.Helper()
	out := map[string][]string{}
	for _, t := range tables {
		var rows []string
		require.NoError(e.t, e.DB.Raw(`SELECT xmin::text || ' ' || row_to_json(t)::text FROM `+t.name+
			` t WHERE account_id = ? ORDER BY 1`, e.acct.ID).Scan(&rows).Error)
		out[t.name] = rows
	}
	return out
}

func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.DB.Raw(`SELECT count(*) FROM `+table+` WHERE account_id = ?`, e.acct.ID).Scan(&n).Error)
	return n
}

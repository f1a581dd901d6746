package stats

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

func TestChunks(t *testing.T) {
	t.Parallel()
	settled := map[time.Time]bool{day("2026-02-04"): true, day("2026-02-05"): true}
	got := chunks(day("2026-02-01"), day("2026-02-20"), 7, settled)
	require.Equal(t, [][2]time.Time{
		{day("2026-02-01"), day("2026-02-03")},
		{day("2026-02-06"), day("2026-02-12")},
		{day("2026-02-13"), day("2026-02-19")},
		{day("2026-02-20"), day("2026-02-20")},
	}, got)
	require.Len(t, chunks(day("2026-02-01"), day("2026-02-01"), 30, nil), 1)
	require.Empty(t, chunks(day("2026-02-01"), day("2026-02-01"), 1, map[time.Time]bool{day("2026-02-01"): true}))
}

// TestPullSplitsRangesBySpan pulls 60 days: each endpoint is asked in runs of at most its span, every day
// once, and the stored figures are the emulator's.
func TestPullSplitsRangesBySpan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := e.pull("2025-12-31", "2026-02-28", false)
	require.NoError(t, err)
	require.Equal(t, 60*6, res.Days, "every endpoint-day stored")
	require.Zero(t, res.Fails)

	for ep, span := range wxclient.DatacubeSpans {
		asked := map[string]int{}
		calls := e.bodies(ep)
		require.Len(t, calls, (60+span-1)/span, ep)
		for _, c := range calls {
			b, en := day(c[0]), day(c[1])
			n := int(en.Sub(b).Hours()/24) + 1
			require.LessOrEqual(t, n, span, "%s asked %v", ep, c)
			for d := b; !d.After(en); d = d.AddDate(0, 0, 1) {
				asked[ds(d)]++
			}
		}
		require.Len(t, asked, 60, ep)
		for d, n := range asked {
			require.Equal(t, 1, n, "%s asked %s %d times", ep, d, n)
		}
	}
	var cum int
	require.NoError(t, e.DB.Raw(`SELECT cumulate_user FROM wx_stats_user_cumulate WHERE account_id = ? AND ref_date = '2026-02-28'`,
		e.acct.ID).Scan(&cum).Error)
	require.Equal(t, e.followersBy("2026-02-28"), cum, "the cumulative count is the emulator's followers subscribed by that day")
	require.Positive(t, e.count("wx_stats_article_read"))
	require.Equal(t, 60, e.count("wx_stats_biz_summary"))
	var detail string
	require.NoError(t, e.DB.Raw(`SELECT detail::text FROM wx_stats_article_read WHERE account_id = ? LIMIT 1`, e.acct.ID).Scan(&detail).Error)
	require.Contains(t, detail, `"read_user_source"`, "the detail is WeChat's object, kept whole")
}

// TestPullIsIdempotent pulls the same days again: without force nothing is asked; with force every day is
// asked and nothing stored changes, not even a row's version.
func TestPullIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.pull("2026-02-01", "2026-02-28", false)
	require.NoError(t, err)
	before := e.snapshot()
	n := len(e.Emu.Requests())

	res, err := e.pull("2026-02-01", "2026-02-28", false)
	require.NoError(t, err)
	require.Zero(t, res.Calls, "settled days are not asked again")
	require.Len(t, e.Emu.Requests(), n)

	res, err = e.pull("2026-02-01", "2026-02-28", true)
	require.NoError(t, err)
	require.Positive(t, res.Calls, "forced: asked again")
	require.Equal(t, before, e.snapshot(), "pulling a day twice changes nothing")
}

// TestPullRetriesFailedDays makes WeChat refuse getusersummary once: the other endpoints are stored, the
// failed days are recorded with WeChat's answer, and the next pull asks those days only.
func TestPullRetriesFailedDays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Emu.SetFault("/datacube/getusersummary", wxemu.Fault{Errcode: 45009, Times: 1})
	res, err := e.pull("2026-02-15", "2026-02-28", false)
	require.Error(t, err)
	require.Equal(t, 45009, wxclient.Code(err))
	require.Equal(t, 7, res.Fails, "the first run of 7 days failed; the endpoint's other days wait for the next pull")
	require.Equal(t, 14, e.count("wx_stats_user_cumulate"), "the other endpoints went on")
	var failed []string
	require.NoError(t, e.DB.Raw(`SELECT to_char(ref_date, 'YYYY-MM-DD') || ' ' || error FROM wx_stats_days WHERE account_id = ?
		AND state = 'failed' ORDER BY ref_date`, e.acct.ID).Scan(&failed).Error)
	require.Len(t, failed, 7)
	require.Contains(t, failed[0], "45009")

	before := len(e.bodies("getusersummary"))
	res, err = e.pull("2026-02-15", "2026-02-28", false)
	require.NoError(t, err)
	require.Equal(t, 14, res.Days, "the failed days and the days not asked, of getusersummary only")
	require.Equal(t, [][2]string{{"2026-02-22", "2026-02-28"}, {"2026-02-15", "2026-02-21"}}, e.bodies("getusersummary")[before:],
		"newest first")
	var left int
	require.NoError(t, e.DB.Raw(`SELECT count(*) FROM wx_stats_days WHERE account_id = ? AND state = 'failed'`, e.acct.ID).Scan(&left).Error)
	require.Zero(t, left)
}

// TestPullHalvesARangeWeChatRefuses answers 61501 once: the run is asked again in halves.
func TestPullHalvesARangeWeChatRefuses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Emu.SetFault("/datacube/getupstreammsg", wxemu.Fault{Errcode: 61501, Times: 1})
	res, err := e.pull("2026-02-22", "2026-02-28", false)
	require.NoError(t, err)
	require.Zero(t, res.Fails)
	require.Equal(t, [][2]string{{"2026-02-22", "2026-02-28"}, {"2026-02-22", "2026-02-25"}, {"2026-02-26", "2026-02-28"}},
		e.bodies("getupstreammsg"))
}

// TestPullStopsAtYesterday asks up to today and beyond: WeChat is asked up to yesterday (Shanghai and
// Beijing alike), never 61501.
func TestPullStopsAtYesterday(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, err := e.pull("2026-02-27", "2026-03-05", false)
	require.NoError(t, err)
	require.Equal(t, "2026-02-28", res.To)
	require.Equal(t, [][2]string{{"2026-02-27", "2026-02-28"}}, e.bodies("getusercumulate"))
}

// TestEmptyDays pulls days before the account had followers: WeChat answers empty lists, the days are
// settled with no rows, and getStats shows zeros and no cumulative count.
func TestEmptyDays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.pull("2019-01-01", "2019-01-07", false)
	require.NoError(t, err)
	require.Zero(t, e.count("wx_stats_user_cumulate"))
	var settled int
	require.NoError(t, e.DB.Raw(`SELECT count(*) FROM wx_stats_days WHERE account_id = ? AND settled AND rows = 0`,
		e.acct.ID).Scan(&settled).Error)
	require.Equal(t, 7*6, settled)
	res, err := e.pull("2019-01-01", "2019-01-07", false)
	require.NoError(t, err)
	require.Zero(t, res.Calls)

	r, err := e.svc.Report(context.Background(), e.acct.ID, day("2019-01-01"), day("2019-01-07"), map[string]bool{MetricUsers: true})
	require.NoError(t, err)
	require.Len(t, r.Users, 7)
	require.Nil(t, r.Users[0].Cumulate)
	require.Zero(t, r.Users[0].New)
}

// TestEmptyYesterdayBeforeEight: an empty answer for yesterday before 08:00 Beijing time is not final, so
// the next pull asks again; after 08:00 it is.
func TestEmptyYesterdayBeforeEight(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	quiet := e.Emu.NewAccount("quiet") // no followers: every list is empty
	e.acct = e.Bind(e.user, quiet)
	e.clock.Add(11 * time.Hour) // 2026-03-02 05:00 in Beijing
	res, err := e.pull("2026-03-01", "2026-03-01", false)
	require.NoError(t, err)
	require.Equal(t, 6, res.Calls)
	res, err = e.pull("2026-03-01", "2026-03-01", false)
	require.NoError(t, err)
	require.Equal(t, 6, res.Calls, "not final before 08:00: asked again")
	e.clock.Add(4 * time.Hour) // 09:00
	res, err = e.pull("2026-03-01", "2026-03-01", false)
	require.NoError(t, err)
	require.Equal(t, 6, res.Calls)
	res, err = e.pull("2026-03-01", "2026-03-01", false)
	require.NoError(t, err)
	require.Zero(t, res.Calls, "final after 08:00: settled")
}

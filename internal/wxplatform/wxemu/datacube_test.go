package wxemu

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The clock of newEnv is 2026-03-01 10:00 UTC, 18:00 in Beijing: yesterday is 2026-02-28.

func datacubeBody(begin, end string) map[string]string {
	return map[string]string{"begin_date": begin, "end_date": end}
}

func TestDatacubeFormats(t *testing.T) {
	t.Parallel()
	v := newEnv(t, Options{})
	q := v.q()

	m := v.post("/datacube/getusersummary", q, datacubeBody("2026-02-01", "2026-02-07"))
	require.Len(t, m, 1, "only list: %v", m)
	list := m["list"].([]any)
	require.NotEmpty(t, list)
	for _, r := range list {
		row := r.(map[string]any)
		require.ElementsMatch(t, []string{"ref_date", "user_source", "new_user", "cancel_user"}, keys(row))
		require.GreaterOrEqual(t, row["ref_date"], "2026-02-01")
		require.LessOrEqual(t, row["ref_date"], "2026-02-07")
	}

	m = v.post("/datacube/getusercumulate", q, datacubeBody("2026-02-22", "2026-02-28"))
	list = m["list"].([]any)
	require.Len(t, list, 7, "one row per day")
	last := list[6].(map[string]any)
	require.Equal(t, "2026-02-28", last["ref_date"])
	require.ElementsMatch(t, []string{"ref_date", "cumulate_user"}, keys(last))
	n, _ := last["cumulate_user"].(json.Number).Int64()
	require.InDelta(t, 200, n, 1, "the cumulative count is the demo's 200 followers")

	m = v.post("/datacube/getupstreammsg", q, datacubeBody("2026-02-22", "2026-02-28"))
	for _, r := range m["list"].([]any) {
		require.ElementsMatch(t, []string{"ref_date", "msg_type", "msg_user", "msg_count"}, keys(r.(map[string]any)))
	}

	m = v.post("/datacube/getinterfacesummary", q, datacubeBody("2026-01-30", "2026-02-28"))
	list = m["list"].([]any)
	require.NotEmpty(t, list)
	require.ElementsMatch(t, []string{"ref_date", "callback_count", "fail_count", "total_time_cost", "max_time_cost"},
		keys(list[0].(map[string]any)))

	for _, p := range []string{"/datacube/getarticleread", "/datacube/getbizsummary"} {
		found := false
		for _, day := range []string{"2026-02-26", "2026-02-27", "2026-02-28"} {
			m = v.post(p, q, datacubeBody(day, day))
			require.Equal(t, false, m["is_delay"])
			for _, r := range m["list"].([]any) {
				row := r.(map[string]any)
				found = true
				require.Equal(t, day, row["ref_date"])
				detail := row["detail"].(map[string]any)
				require.Contains(t, detail, "read_user")
				require.Contains(t, detail, "read_user_source")
				if p == "/datacube/getarticleread" {
					require.Regexp(t, `^\d+_\d+$`, row["msgid"])
				} else {
					for _, k := range []string{"share_user", "zaikan_user", "like_user", "comment_count"} {
						require.Contains(t, detail, k)
					}
				}
			}
		}
		require.True(t, found, "%s has rows in three days", p)
	}
}

func TestDatacubeIsDeterministic(t *testing.T) {
	t.Parallel()
	v := newEnv(t, Options{})
	q := v.q()
	for p := range DatacubeSpans {
		a := v.post("/datacube/"+p, q, datacubeBody("2026-02-28", "2026-02-28"))
		b := v.post("/datacube/"+p, q, datacubeBody("2026-02-28", "2026-02-28"))
		require.Equal(t, a, b, p)
	}
}

func TestDatacubeErrors(t *testing.T) {
	t.Parallel()
	v := newEnv(t, Options{})
	q := v.q()
	for name, span := range DatacubeSpans {
		p := "/datacube/" + name
		requireErrcode(t, v.post(p, q, datacubeBody("2026/02/01", "2026-02-01")), 61500)
		requireErrcode(t, v.post(p, q, datacubeBody("2026-02-30", "2026-02-30")), 61500)
		requireErrcode(t, v.post(p, q, map[string]string{"begin_date": "2026-02-01"}), 61500)
		requireErrcode(t, v.post(p, q, datacubeBody("2026-02-10", "2026-02-09")), 61501)
		requireErrcode(t, v.post(p, q, datacubeBody("2026-03-01", "2026-03-01")), 61501) // today in Beijing
		// The longest span is accepted, one day more is not.
		end := "2026-02-28"
		okBegin := dayBefore(end, span-1)
		require.Contains(t, v.post(p, q, datacubeBody(okBegin, end)), "list", name)
		requireErrcode(t, v.post(p, q, datacubeBody(dayBefore(end, span), end)), 61501)
		requireErrcode(t, v.post(p, q, ""), 44002)
		requireErrcode(t, v.post(p, q, "{"), 47001)
		// Before WeChat kept statistics: no rows.
		require.Equal(t, []any{}, v.post(p, q, datacubeBody("2014-11-01", "2014-11-01"))["list"])
	}
	status, b := v.do(http.MethodGet, "/datacube/getusersummary", q, "", nil)
	require.Equal(t, http.StatusOK, status)
	requireErrcode(t, decode(t, b), 43002)
}

func TestDatacubeCountsDeliveredMessages(t *testing.T) {
	t.Parallel()
	v := newEnv(t, Options{DemoFollowers: 3})
	v.clock.Add(-48 * 3600e9) // two days ago…
	v.emu.mu.Lock()
	acc := v.emu.account(v.demo.AppID)
	for range 5 {
		acc.countDelivered(v.clock.Now())
	}
	v.emu.mu.Unlock()
	v.clock.Add(48 * 3600e9)
	m := v.post("/datacube/getupstreammsg", v.q(), datacubeBody("2026-02-27", "2026-02-27"))
	total := 0
	for _, r := range m["list"].([]any) {
		n, _ := r.(map[string]any)["msg_count"].(json.Number).Int64()
		total += int(n)
	}
	require.GreaterOrEqual(t, total, 5, "the simulator's messages are counted: %v", m)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func dayBefore(day string, n int) string {
	d, err := time.ParseInLocation(dateLayout, day, beijing)
	if err != nil {
		panic(err)
	}
	return d.AddDate(0, 0, -n).Format(dateLayout)
}

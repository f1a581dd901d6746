package wxclient

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDatacube calls the six statistics endpoints of the emulator (whose clock is 2026-03-01 18:00 in
// Beijing) and checks the wire: a POST of begin_date and end_date, rows decoded with WeChat's names, and
// 61500/61501 as *Error.
func TestDatacube(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.client()
	ctx := ctxT(t)
	app := e.demo.AppID
	day := func(s string) time.Time { d, _ := time.Parse(DateLayout, s); return d }

	us, err := c.UserCumulate(ctx, app, day("2026-02-22"), day("2026-02-28"))
	require.NoError(t, err)
	require.Len(t, us.List, 7)
	require.Equal(t, "2026-02-28", us.List[6].RefDate)
	require.Equal(t, 3, us.List[6].CumulateUser)
	var body map[string]string
	require.NoError(t, json.Unmarshal(e.last("/datacube/getusercumulate").Body, &body))
	require.Equal(t, map[string]string{"begin_date": "2026-02-22", "end_date": "2026-02-28"}, body)

	_, err = c.UserSummary(ctx, app, day("2026-02-22"), day("2026-02-28"))
	require.NoError(t, err)
	_, err = c.UpstreamMsg(ctx, app, day("2026-02-22"), day("2026-02-28"))
	require.NoError(t, err)
	is, err := c.InterfaceSummary(ctx, app, day("2026-01-30"), day("2026-02-28"))
	require.NoError(t, err)
	require.NotEmpty(t, is.List)
	require.Positive(t, is.List[0].CallbackCount)

	var reads, biz int
	for d := day("2026-02-20"); d.Before(day("2026-03-01")); d = d.AddDate(0, 0, 1) {
		ar, err := c.ArticleRead(ctx, app, d, d)
		require.NoError(t, err)
		for _, r := range ar.List {
			reads++
			require.NotEmpty(t, r.MsgID)
			require.JSONEq(t, string(r.Detail.Raw), mustJSON(t, map[string]any{"read_user": r.Detail.ReadUser,
				"read_user_source": r.Detail.ReadUserSource}))
		}
		bs, err := c.BizSummary(ctx, app, d, d)
		require.NoError(t, err)
		biz += len(bs.List)
	}
	require.Positive(t, reads)
	require.Positive(t, biz)

	_, err = c.UserSummary(ctx, app, day("2026-02-20"), day("2026-02-28"))
	require.Equal(t, CodeDateRange, Code(err), "9 days is over the span")
	_, err = c.UserSummary(ctx, app, day("2026-03-01"), day("2026-03-01"))
	require.Equal(t, CodeDateRange, Code(err), "today is not available")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

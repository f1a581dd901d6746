package stats

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// seedTwoYears stores two years of every statistic for the account (as a busy account has them: 8 sources,
// 3 message types and 6 articles read a day) and 100 messages a day in the console's log.
func seedTwoYears(b *testing.B, e *env) {
	b.Helper()
	id := e.acct.ID
	const days = `(SELECT t::date AS d FROM generate_series(date '2024-03-01', date '2026-02-28', interval '1 day') t)`
	for _, q := range []string{
		`INSERT INTO wx_stats_user_summary SELECT ?, d, s, 10 + s % 7, s % 3 FROM ` + days + ` days, unnest(array[0,1,17,30,57,100,161,200]) s`,
		`INSERT INTO wx_stats_user_cumulate SELECT ?, d, 100000 + (d - date '2024-03-01') * 40 FROM ` + days + ` days`,
		`INSERT INTO wx_stats_upstream_msg SELECT ?, d, t, 300 / t, 900 / t FROM ` + days + ` days, unnest(array[1,2,3]) t`,
		`INSERT INTO wx_stats_interface_summary SELECT ?, d, 1200, 3, 1200 * 45, 900 FROM ` + days + ` days`,
		`INSERT INTO wx_stats_article_read SELECT ?, d, (d - date '2024-03-01') || '_' || i, 500 * i,
			'{"read_user": 500, "read_user_source": [{"user_source": 99999999, "read_user": 500}]}'::jsonb FROM ` + days + ` days, generate_series(1, 6) i`,
		`INSERT INTO wx_stats_biz_summary SELECT ?, d, 2500, 80, 30, 60, 12, '{}'::jsonb FROM ` + days + ` days`,
		`INSERT INTO wx_messages (account_id, msg_id, from_user, create_time, msg_type, rule_kind, reply_xml, received_at)
			SELECT ?, n, 'o' || (n % 5000), 0, 'text', CASE WHEN n % 3 = 0 THEN NULL ELSE 'keyword' END,
			CASE WHEN n % 3 = 0 THEN NULL ELSE '<xml/>' END, timestamptz '2024-03-01 00:00+08' + n * interval '864 seconds'
			FROM generate_series(1, 73000) n`,
	} {
		require.NoError(b, e.DB.Exec(q, id).Error)
	}
	require.NoError(b, e.DB.Exec(`ANALYZE`).Error)
}

// BenchmarkReportTwoYears reads two years of every metric and the console's counts: getStats' work.
func BenchmarkReportTwoYears(b *testing.B) {
	e := newEnv(b)
	seedTwoYears(b, e)
	all, _ := ParseMetrics(nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := e.svc.Report(ctx, e.acct.ID, day("2024-03-01"), day("2026-02-28"), all)
		if err != nil || len(r.Users) != 730 {
			b.Fatalf("report: %v", err)
		}
	}
}

// BenchmarkExportTwoYears is exportStats over two years: the report and its CSV.
func BenchmarkExportTwoYears(b *testing.B) {
	e := newEnv(b)
	seedTwoYears(b, e)
	all, _ := ParseMetrics(nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := e.svc.Report(ctx, e.acct.ID, day("2024-03-01"), day("2026-02-28"), all)
		if err != nil {
			b.Fatal(err)
		}
		if err := WriteCSV(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

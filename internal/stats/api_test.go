package stats

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

func (e *env) router() *gin.Engine {
	r := wxtest.Router()
	e.Tokens.Give("tok", httpapi.Principal{UserID: e.user})
	(&Handler{Service: e.svc}).Routes(e.APIGroup(r, "/apis/stats", e.Tokens.RequireAuth()))
	return r
}

func (e *env) call(r http.Handler, method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	w := wxtest.Serve(e.t, r, wxtest.Request{Method: method, Target: path, Token: "tok", Body: body})
	return w.Code, wxtest.Decode(e.t, w)
}

func TestAPIBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.router()
	// Today is 2026-03-01 in Shanghai.
	cases := map[string]map[string]any{
		"from after to":   {"from": "2026-02-10", "to": "2026-02-01"},
		"over two years":  {"from": "2024-02-28", "to": "2026-03-01"},
		"after today":     {"from": "2026-02-01", "to": "2026-03-02"},
		"not a date":      {"from": "01/02/2026", "to": "2026-02-01"},
		"unknown metric":  {"from": "2026-02-01", "to": "2026-02-02", "metrics": []string{"users", "clicks"}},
		"metrics objects": {"metrics": map[string]any{"a": 1}},
	}
	for name, body := range cases {
		for _, path := range []string{"/apis/stats/getStats", "/apis/stats/exportStats"} {
			if strings.Contains(name, "metric") && path == "/apis/stats/exportStats" {
				continue // the CSV has every column
			}
			status, m := e.call(r, http.MethodPost, path, body)
			require.Equal(t, http.StatusBadRequest, status, "%s %s: %v", path, name, m)
			require.EqualValues(t, 40000, m["errcode"], "%s %s", path, name)
		}
	}
	status, m := e.call(r, http.MethodPost, "/apis/stats/syncStats", map[string]any{"from": "2026-03-05"})
	require.Equal(t, http.StatusBadRequest, status, "%v", m)
	status, m = e.call(r, http.MethodPost, "/apis/stats/getStats", map[string]any{"from": "2024-03-01", "to": "2026-03-01"})
	require.Equal(t, http.StatusOK, status, "exactly two years: %v", m)
	require.Len(t, m["console"], 731)
	w := wxtest.Serve(t, r, wxtest.Request{Method: http.MethodGet, Target: "/apis/stats/syncStats", Token: "tok"})
	require.Equal(t, http.StatusNotFound, w.Code, "syncStats changes things: POST only")
}

func TestAPISyncGetExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.router()
	status, m := e.call(r, http.MethodPost, "/apis/stats/syncStats", map[string]any{"appid": e.acct.AppID,
		"from": "2026-02-01", "to": "2026-02-28"})
	require.Equal(t, http.StatusOK, status, "%v", m)
	require.EqualValues(t, 0, m["errcode"])
	require.EqualValues(t, 28*6, m["days"])
	require.Equal(t, false, m["queued"])

	// A message of the console's own log, answered by a rule, and one not answered.
	require.NoError(t, e.DB.Exec(`INSERT INTO wx_messages (account_id, msg_id, from_user, create_time, msg_type, rule_kind,
		reply_xml, received_at) VALUES (?, 1, 'o1', 0, 'text', 'keyword', '<xml/>', '2026-02-27 20:00:00+08'),
		(?, 2, 'o1', 0, 'text', NULL, NULL, '2026-02-27 23:30:00+08'), (?, 3, 'o1', 0, 'text', NULL, NULL, '2026-02-28 00:30:00+08')`,
		e.acct.ID, e.acct.ID, e.acct.ID).Error)

	status, m = e.call(r, http.MethodGet, "/apis/stats/getStats?from=2026-02-22&to=2026-02-28&metrics=users,interface", nil)
	require.Equal(t, http.StatusOK, status, "%v", m)
	require.Equal(t, "Asia/Shanghai", m["timezone"])
	require.Len(t, m["users"], 7)
	require.Len(t, m["interface"], 7)
	require.NotContains(t, m, "messages")
	require.NotContains(t, m, "articles")
	last := m["users"].([]any)[6].(map[string]any)
	require.Equal(t, "2026-02-28", last["date"])
	require.EqualValues(t, e.followersBy("2026-02-28"), last["cumulate"])
	require.EqualValues(t, last["new"].(float64)-last["cancel"].(float64), last["net"])
	iface := m["interface"].([]any)[6].(map[string]any)
	require.Positive(t, iface["calls"])
	console := m["console"].([]any)
	require.Equal(t, map[string]any{"date": "2026-02-27", "received": 2.0, "answeredByRule": 1.0, "unanswered": 1.0}, console[5])
	require.Equal(t, map[string]any{"date": "2026-02-28", "received": 1.0, "answeredByRule": 0.0, "unanswered": 1.0}, console[6])

	status, m = e.call(r, http.MethodPost, "/apis/stats/getStats", map[string]any{"from": "2026-02-22", "to": "2026-02-28"})
	require.Equal(t, http.StatusOK, status)
	for _, k := range []string{"users", "messages", "interface", "articles", "console"} {
		require.Len(t, m[k], 7, k)
	}

	w := wxtest.Serve(t, r, wxtest.Request{Method: http.MethodGet, Target: "/apis/stats/exportStats?from=2026-02-22&to=2026-02-28", Token: "tok"})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Equal(t, "text/csv; charset=utf-8", w.Header().Get("Content-Type"))
	recs, err := csv.NewReader(strings.NewReader(w.Body.String())).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 8, "a header and one row per day")
	require.Equal(t, CSVHeader, recs[0])
	require.Equal(t, "2026-02-22", recs[1][0])
	require.Equal(t, "2026-02-27", recs[6][0])
	require.Equal(t, []string{"2", "1", "1"}, recs[6][len(recs[6])-3:])
}

// TestSyncWithoutRangeBackfills: syncStats without from and to pulls the last 180 days not stored yet.
func TestSyncWithoutRangeBackfills(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res, queued, err := e.svc.Sync(context.Background(), e.acct.ID, e.acct.AppID, "", "")
	require.NoError(t, err)
	require.False(t, queued)
	require.Equal(t, "2026-02-28", res.To)
	require.Equal(t, "2025-09-02", res.From)
	require.Equal(t, 180*6, res.Days)
}

// Package metrics is the console's Prometheus instrumentation: the collectors of one process, registered on
// a registry of its own (never the global one, so tests and several App values in one process do not
// collide), and the /metrics handler that exposes them in Prometheus' text format.
//
// What is measured, and where it comes from:
//
//	socialinzen_http_request_duration_seconds{method,route,status}   histogram; httpapi.Metrics middleware.
//	                                                                 Its _count is the number of requests.
//	socialinzen_callback_messages_total{outcome}                     replied | no_match | duplicate | refused
//	socialinzen_callback_queued_records                              gauge; records waiting for Postgres
//	socialinzen_wechat_calls_total{path,errcode}                     every HTTP exchange with WeChat
//	socialinzen_wechat_call_duration_seconds{path}                   histogram of the same exchanges
//	socialinzen_wechat_token_refreshes_total{kind,result}            access_token / jsapi_ticket fetched
//	go_sql_*{db_name="socialinzen"}                                  the database pool (sql.DBStats)
//	go_*, process_*                                                  Go runtime and process
//
// Label values are bounded by construction: routes are gin's templates (/wxplatform/callback/:appid), never
// a raw path, so no appid, token or other caller-chosen text becomes a label; methods outside HTTP's
// standard set are reported as OTHER; outcomes outside the known set as "other". WeChat paths are the
// client's own constants.
package metrics

import (
	"database/sql"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// namespace prefixes every metric the console defines itself.
const namespace = "socialinzen"

// httpBuckets cover a fast JSON answer (milliseconds), the callback's budget (1.5 s) and the contract's
// 2 s limit for it, up to slow uploads.
var httpBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 1.5, 2, 5, 10, 30}

// wechatBuckets cover WeChat's usual answers (tens of ms from China, hundreds from abroad) up to the client's
// 5 s call deadline and 60 s upload deadline.
var wechatBuckets = []float64{.025, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60}

// Metrics holds one process's collectors. It implements httpapi.RouteObserver, wxclient.Observer and the
// callback's outcome observer; all methods are safe for concurrent use and never block.
type Metrics struct {
	reg *prometheus.Registry

	requests         *prometheus.HistogramVec
	callbackMessages *prometheus.CounterVec
	wechatCalls      *prometheus.CounterVec
	wechatDuration   *prometheus.HistogramVec
	tokenRefreshes   *prometheus.CounterVec
}

// New makes the collectors and registers them, with the Go runtime and process collectors, on a new
// registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method, route template and status; _count counts requests.",
			Buckets: httpBuckets,
		}, []string{"method", "route", "status"}),
		callbackMessages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "callback", Name: "messages_total",
			Help: "Messages posted to the WeChat callback, by outcome: replied, no_match, duplicate (a retry answered as before) or refused (bad signature, stale timestamp, malformed or unknown account).",
		}, []string{"outcome"}),
		wechatCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "wechat", Name: "calls_total",
			Help: `HTTP exchanges with WeChat's API, by path and errcode: "0" success, WeChat's errcode, or timeout, canceled, upstream (unreachable, HTTP error, malformed answer), error.`,
		}, []string{"path", "errcode"}),
		wechatDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "wechat", Name: "call_duration_seconds",
			Help:    "Time of one HTTP exchange with WeChat's API, by path.",
			Buckets: wechatBuckets,
		}, []string{"path"}),
		tokenRefreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "wechat", Name: "token_refreshes_total",
			Help: "Credentials fetched from WeChat, by kind (access_token, jsapi_ticket) and result (ok, error).",
		}, []string{"kind", "result"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.callbackMessages, m.wechatCalls, m.wechatDuration, m.tokenRefreshes,
	)
	// Outcomes appear at 0 from the start, so a rate over them exists before the first message.
	for _, o := range outcomes {
		m.callbackMessages.WithLabelValues(o)
	}
	return m
}

// Registry answers the registry holding every collector, to gather from or to add collectors to.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// WatchDB exposes the connection pool of db (open, in use, idle, wait count and wait duration, from
// sql.DBStats) as the go_sql_* metrics with db_name="socialinzen". The stats are read at each scrape.
func (m *Metrics) WatchDB(db *sql.DB) error {
	if err := m.reg.Register(collectors.NewDBStatsCollector(db, namespace)); err != nil {
		return fmt.Errorf("metrics: watch db: %w", err)
	}
	return nil
}

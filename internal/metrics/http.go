package metrics

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// unmatched is the route label of requests no route answered (404s of unknown paths): their raw path is
// whatever the caller typed and never becomes a label.
const unmatched = "unmatched"

// methods are the request methods reported by name; any other is OTHER, so a caller cannot create series.
var methods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

// ObserveRequest records one answered request. route must be the router's template (gin's FullPath), ""
// when no route matched; it implements httpapi.RouteObserver.
func (m *Metrics) ObserveRequest(method, route string, status int, took time.Duration) {
	if !methods[method] {
		method = "OTHER"
	}
	if route == "" {
		route = unmatched
	}
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Observe(took.Seconds())
}

// Handler serves the metrics of this registry; see the package function Handler for who may read them.
func (m *Metrics) Handler(token string) gin.HandlerFunc {
	return handler(m.reg, m.reg, token)
}

// Handler serves what g gathers in Prometheus' text format. With a token, a scraper must send
// "Authorization: Bearer <token>" (compared in constant time; 401 otherwise). Without one, only a client
// connected from a loopback address, directly and not through a proxy (no Forwarded, X-Forwarded-For or
// X-Real-IP header), may read them (403 otherwise): a reverse proxy on the same host would otherwise make
// every visitor look local.
func Handler(g prometheus.Gatherer, token string) gin.HandlerFunc {
	return handler(g, nil, token)
}

func handler(g prometheus.Gatherer, reg prometheus.Registerer, token string) gin.HandlerFunc {
	serve := promhttp.HandlerFor(g, promhttp.HandlerOpts{
		// A failing collector (e.g. the process collector without /proc) must not hide every other metric.
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Registry:            reg,
	})
	// A token read from a file often ends in a newline; what a scraper sends is trimmed the same way.
	token = strings.TrimSpace(token)
	want := sha256.Sum256([]byte(token))
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		if token != "" {
			got, ok := bearer(c.GetHeader("Authorization"))
			sum := sha256.Sum256([]byte(got))
			// Hashes have one length, so the comparison reveals neither the token nor its length.
			if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
				c.Header("WWW-Authenticate", `Bearer realm="metrics"`)
				c.Data(http.StatusUnauthorized, "text/plain; charset=utf-8", []byte("unauthorized: send Authorization: Bearer <METRICS_TOKEN>\n"))
				c.Abort()
				return
			}
		} else if !directLoopback(c.Request) {
			c.Data(http.StatusForbidden, "text/plain; charset=utf-8", []byte("forbidden: without METRICS_TOKEN, /metrics answers local clients only\n"))
			c.Abort()
			return
		}
		serve.ServeHTTP(c.Writer, c.Request)
	}
}

// bearer answers the credentials of an "Authorization: Bearer <token>" header; the scheme is
// case-insensitive (RFC 7235).
func bearer(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	return strings.TrimSpace(h[len(scheme):]), true
}

// directLoopback reports whether r comes from a loopback address and not through a proxy.
func directLoopback(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

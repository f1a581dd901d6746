package metrics_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/metrics"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// The console wires *Metrics into these hooks.
var (
	_ httpapi.RouteObserver = (*metrics.Metrics)(nil)
	_ wxclient.Observer     = (*metrics.Metrics)(nil)
)

const (
	secretAppID = "wx0123456789abcdef"
	secretToken = "tok-SECRET-123"
	secretEcho  = "ECHO-SECRET-456"
)

func do(t *testing.T, h http.Handler, method, target string) int {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func TestRequestsByRouteTemplate(t *testing.T) {
	m := metrics.New()
	e := httpapi.NewEngine(slog.New(slog.DiscardHandler))
	e.Use(httpapi.Metrics(m))
	e.GET("/wxplatform/callback/:appid", func(c *gin.Context) { c.String(http.StatusOK, c.Query("echostr")) })
	e.POST("/wxplatform/callback/:appid", func(c *gin.Context) { c.String(http.StatusForbidden, "signature mismatch") })
	e.GET("/apis/user/me", func(c *gin.Context) { c.JSON(http.StatusUnauthorized, gin.H{"errcode": 40100}) })
	e.GET("/boom", func(*gin.Context) { panic("boom") })

	requests := []struct {
		name, method, target string
		status               int
	}{
		{"verify", "GET", "/wxplatform/callback/" + secretAppID + "?signature=x&timestamp=1&nonce=2&echostr=" + secretEcho, 200},
		{"verify again", "GET", "/wxplatform/callback/wxfedcba9876543210?echostr=" + secretEcho, 200},
		{"refused message", "POST", "/wxplatform/callback/" + secretAppID + "?timestamp=1", 403},
		{"api without login", "GET", "/apis/user/me?access_token=" + secretToken, 401},
		{"panic", "GET", "/boom", 500},
		{"unknown path", "GET", "/no/such/" + secretToken, 404},
		{"unknown method", "PROPFIND", "/wxplatform/callback/" + secretAppID, 404},
	}
	for _, r := range requests {
		require.Equal(t, r.status, do(t, e, r.method, r.target), r.name)
	}

	fams, body := scrape(t, m)
	const name = "socialinzen_http_request_duration_seconds"
	for _, c := range []struct {
		method, route, status string
		want                  float64
	}{
		{"GET", "/wxplatform/callback/:appid", "200", 2},
		{"POST", "/wxplatform/callback/:appid", "403", 1},
		{"GET", "/apis/user/me", "401", 1},
		{"GET", "/boom", "500", 1},
		{"GET", "unmatched", "404", 1},
		{"OTHER", "unmatched", "404", 1},
	} {
		got := value(t, fams, name, map[string]string{"method": c.method, "route": c.route, "status": c.status})
		assert.Equal(t, c.want, got, "%s %s %s", c.method, c.route, c.status)
	}
	assert.Contains(t, body, name+`_bucket{method="GET",route="/wxplatform/callback/:appid",status="200",le="2"} 2`,
		"the callback's 2 s limit is a bucket boundary")

	for _, v := range allLabelValues(fams) {
		for _, secret := range []string{secretAppID, "wxfedcba9876543210", secretToken, secretEcho, "/no/such"} {
			assert.NotContains(t, v, secret, "a label value carries a raw path or secret")
		}
	}
	for _, secret := range []string{secretAppID, secretToken, secretEcho} {
		assert.NotContains(t, body, secret)
	}
}

func TestMetricsMiddlewareNilObserver(t *testing.T) {
	e := gin.New()
	e.Use(httpapi.Metrics(nil))
	e.GET("/x", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	assert.Equal(t, http.StatusNoContent, do(t, e, "GET", "/x"))
}

func TestRuntimeCollectors(t *testing.T) {
	fams, _ := scrape(t, metrics.New())
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_start_time_seconds",
		"socialinzen_callback_messages_total"} {
		assert.Contains(t, fams, name)
	}
}

func TestHandlerAccess(t *testing.T) {
	m := metrics.New()
	cases := []struct {
		name    string
		token   string
		remote  string
		headers map[string]string
		want    int
	}{
		{"token: none sent", "s3cret-token", "127.0.0.1:1234", nil, 401},
		{"token: wrong", "s3cret-token", "127.0.0.1:1234", map[string]string{"Authorization": "Bearer s3cret-tokeN"}, 401},
		{"token: prefix of it", "s3cret-token", "127.0.0.1:1234", map[string]string{"Authorization": "Bearer s3cret"}, 401},
		{"token: other scheme", "s3cret-token", "127.0.0.1:1234", map[string]string{"Authorization": "Basic s3cret-token"}, 401},
		{"token: bare", "s3cret-token", "127.0.0.1:1234", map[string]string{"Authorization": "s3cret-token"}, 401},
		{"token: as a query parameter", "s3cret-token", "127.0.0.1:1234", nil, 401},
		{"token: right", "s3cret-token", "203.0.113.9:1234", map[string]string{"Authorization": "Bearer s3cret-token"}, 200},
		{"token: scheme in lower case", "s3cret-token", "203.0.113.9:1234", map[string]string{"Authorization": "bearer s3cret-token"}, 200},
		{"token: configured with a trailing newline", "s3cret-token\n", "203.0.113.9:1234", map[string]string{"Authorization": "Bearer s3cret-token"}, 200},
		{"no token: loopback v4", "", "127.0.0.1:1234", nil, 200},
		{"no token: loopback v6", "", "[::1]:1234", nil, 200},
		{"no token: loopback range", "", "127.8.9.10:1234", nil, 200},
		{"no token: remote", "", "203.0.113.9:1234", nil, 403},
		{"no token: private network", "", "10.0.0.5:1234", nil, 403},
		{"no token: v4-mapped remote", "", "[::ffff:203.0.113.9]:1234", nil, 403},
		{"no token: garbage address", "", "not-an-address", nil, 403},
		{"no token: remote with a bearer", "", "203.0.113.9:1234", map[string]string{"Authorization": "Bearer anything"}, 403},
		{"no token: through a local proxy", "", "127.0.0.1:1234", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 403},
		{"no token: through a local proxy (Forwarded)", "", "127.0.0.1:1234", map[string]string{"Forwarded": "for=203.0.113.9"}, 403},
		{"no token: spoofed forwarded header", "", "203.0.113.9:1234", map[string]string{"X-Forwarded-For": "127.0.0.1"}, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gin.SetMode(gin.ReleaseMode)
			e := gin.New()
			e.GET("/metrics", m.Handler(c.token))
			target := "/metrics"
			if strings.Contains(c.name, "query") {
				target += "?access_token=" + c.token
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			r.RemoteAddr = c.remote
			for k, v := range c.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			assert.Equal(t, c.want, w.Code, w.Body.String())
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			switch c.want {
			case 200:
				assert.True(t, strings.Contains(w.Body.String(), "# TYPE socialinzen_callback_messages_total counter"), "metrics served")
			case 401:
				assert.Equal(t, `Bearer realm="metrics"`, w.Header().Get("WWW-Authenticate"))
				assert.False(t, strings.Contains(w.Body.String(), "go_goroutines"), "metrics withheld")
			default:
				assert.False(t, strings.Contains(w.Body.String(), "go_goroutines"), "metrics withheld")
			}
		})
	}
}

// The package-level Handler serves any gatherer under the same rules.
func TestHandlerForGatherer(t *testing.T) {
	m := metrics.New()
	e := gin.New()
	e.GET("/metrics", metrics.Handler(m.Registry(), "tok"))
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.Header.Set("Authorization", "Bearer tok")
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	assert.True(t, strings.Contains(w.Body.String(), "go_goroutines"), "metrics served")
}

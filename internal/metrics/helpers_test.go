package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/metrics"
)

// scrape reads /metrics as a local scraper does and parses the text format, so the tests check what
// Prometheus would see, not the collectors' internals.
func scrape(t *testing.T, m *metrics.Metrics) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.GET("/metrics", m.Handler(""))
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.RemoteAddr = "127.0.0.1:40000"
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Contains(t, w.Header().Get("Content-Type"), "text/plain")
	body := w.Body.String()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err)
	return fams, body
}

// sample answers the metric of family name with exactly these labels.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	f, ok := fams[name]
	require.True(t, ok, "no metric family %s", name)
	for _, m := range f.GetMetric() {
		if labelsOf(m) == render(labels) {
			return m
		}
	}
	var have []string
	for _, m := range f.GetMetric() {
		have = append(have, labelsOf(m))
	}
	require.Failf(t, "no such series", "%s{%s}; have:\n%s", name, render(labels), strings.Join(have, "\n"))
	return nil
}

// value answers a counter's or gauge's value, or a histogram's count.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	m := sample(t, fams, name, labels)
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	t.Fatalf("%s: no value", name)
	return 0
}

func labelsOf(m *dto.Metric) string {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return render(l)
}

func render(l map[string]string) string {
	return toModel(l).String()
}

func toModel(l map[string]string) model.LabelSet {
	s := model.LabelSet{}
	for k, v := range l {
		s[model.LabelName(k)] = model.LabelValue(v)
	}
	return s
}

// allLabelValues answers every label value of every series, to check none leaks a path or a secret.
func allLabelValues(fams map[string]*dto.MetricFamily) []string {
	var out []string
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			for _, p := range m.GetLabel() {
				out = append(out, p.GetValue())
			}
		}
	}
	return out
}

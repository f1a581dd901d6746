package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
)

func TestSafeLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/console":                 "/console",
		"/console?appid=wx1&x=%20": "/console?appid=wx1&x=%20",
		"/console/replies/":        "/console/replies/",
		"/a/../console":            "/console",
		`/./\evil.com`:             "/",
		`/\evil.com`:               "/",
		`\\evil.com`:               "/",
		"//evil.com":               "/",
		"/.//evil.com":             "/evil.com",
		"///evil.com":              "/evil.com",
		"https://evil.com/":        "/",
		"http:/evil.com":           "/",
		"javascript:alert(1)":      "/",
		"/%2F%2Fevil.com":          "/",
		"/%5Cevil.com":             "/",
		"/\t/evil.com":             "/",
		"/a\x00b":                  "/",
		"console":                  "/",
		"":                         "/",
	} {
		got := httpapi.SafeLocalPath(in, "/")
		require.Equal(t, want, got, "%q", in)
		u, err := url.Parse(got)
		require.NoError(t, err)
		base, _ := url.Parse("https://console.example/x/y")
		require.Equal(t, "console.example", base.ResolveReference(u).Host, "%q -> %q leaves the site", in, got)
	}
}

// TestClientIPBehindTrustedProxies: X-Forwarded-For is believed only from a trusted peer, and read from the
// right: the answer is the rightmost hop no trusted proxy vouches for, which a client cannot choose.
func TestClientIPBehindTrustedProxies(t *testing.T) {
	cases := []struct {
		name, trusted, peer, xff, want string
	}{
		{"no proxies trusted", "", "10.0.0.2:5000", "203.0.113.9", "10.0.0.2"},
		{"trusted balancer", "10.0.0.0/8", "10.0.0.2:5000", "203.0.113.9", "203.0.113.9"},
		{"client forges a hop", "10.0.0.0/8", "10.0.0.2:5000", "198.51.100.1, 203.0.113.9", "203.0.113.9"},
		{"two trusted hops", "10.0.0.0/8,192.0.2.7", "10.0.0.2:5000", "198.51.100.1, 203.0.113.9, 192.0.2.7", "203.0.113.9"},
		{"untrusted peer", "10.0.0.0/8", "203.0.113.50:5000", "198.51.100.1", "203.0.113.50"},
		{"garbage header", "10.0.0.0/8", "10.0.0.2:5000", "not an address", "10.0.0.2"},
		{"single address", "10.0.0.2", "10.0.0.2:5000", "203.0.113.9", "203.0.113.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := httpapi.NewEngine(slog.New(slog.NewTextHandler(io.Discard, nil)))
			var proxies []string
			for _, p := range strings.Split(tc.trusted, ",") {
				if p != "" {
					proxies = append(proxies, p)
				}
			}
			require.NoError(t, httpapi.TrustProxies(e, proxies))
			e.GET("/ip", func(c *gin.Context) { c.String(200, c.ClientIP()) })
			r := httptest.NewRequest("GET", "/ip", nil)
			r.RemoteAddr = tc.peer
			r.Header.Set("X-Forwarded-For", tc.xff)
			r.Header.Set("X-Real-IP", "192.0.2.99") // never believed
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			require.Equal(t, tc.want, w.Body.String())
		})
	}
}

// FuzzEdgeRefusesControlCharacters sends any text as a query value, a form field, a JSON field and a path
// segment through the real edge: whatever holds a control character (or bad UTF-8) is a 400 in the
// envelope and never reaches the handler; everything else reaches it intact. Never a 5xx, never a panic.
func FuzzEdgeRefusesControlCharacters(f *testing.F) {
	for _, s := range []string{"hello", "a\x00b", "\x1b[31m", "多行\n\t文本\r\n", "\x7f", "\xff\xfe", "ok\u0085", "%00"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
		f.Add(s, uint8(3))
	}
	e := httpapi.NewEngine(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var got string
	handler := func(c *gin.Context) {
		b, err := httpapi.Bind(c)
		if err != nil {
			httpapi.Fail(c, err)
			return
		}
		got = b.Str("v")
		if p := c.Param("seg"); p != "" {
			got = p
		}
		httpapi.OK(c, nil)
	}
	e.POST("/apis/t", handler)
	e.GET("/apis/p/:seg", handler)
	f.Fuzz(func(t *testing.T, s string, where uint8) {
		got = ""
		var r *http.Request
		switch where % 4 {
		case 0:
			r = httptest.NewRequest("POST", "/apis/t?v="+url.QueryEscape(s), nil)
		case 1:
			r = httptest.NewRequest("POST", "/apis/t", strings.NewReader(url.Values{"v": {s}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		case 2:
			body, _ := json.Marshal(map[string]any{"v": s, "nested": []any{map[string]string{"w": s}}})
			// JSON cannot carry bad UTF-8: Marshal writes U+FFFD, which is what arrives.
			var sent struct{ V string }
			_ = json.Unmarshal(body, &sent)
			s = sent.V
			r = httptest.NewRequest("POST", "/apis/t", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
		case 3:
			if s == "" {
				return
			}
			r = httptest.NewRequest("GET", "/apis/p/"+url.PathEscape(s), nil)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%q answered %d: %s", s, w.Code, w.Body)
		}
		bad := httpapi.BadText(s) != ""
		if bad {
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"errcode":40000`) {
				t.Fatalf("%q (where %d) passed the edge: %d %s", s, where%4, w.Code, w.Body)
			}
			if got != "" {
				t.Fatalf("%q reached the handler", s)
			}
			return
		}
		if w.Code == http.StatusOK && where%4 != 3 && got != s {
			t.Fatalf("%q arrived as %q", s, got)
		}
	})
}

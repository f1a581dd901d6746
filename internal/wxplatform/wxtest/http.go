package wxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// Tokens is an httpapi.Authenticator over the access tokens a test gave out: the user service is not the
// business of the capabilities' tests. The zero value knows no token; it is safe for concurrent use.
type Tokens struct {
	mu sync.RWMutex
	m  map[string]httpapi.Principal
}

// Give makes token authenticate as p.
func (ts *Tokens) Give(token string, p httpapi.Principal) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.m == nil {
		ts.m = map[string]httpapi.Principal{}
	}
	ts.m[token] = p
}

// Authenticate answers the principal token was given to, or the contract's 40100.
func (ts *Tokens) Authenticate(_ context.Context, token string) (httpapi.Principal, error) {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	p, ok := ts.m[token]
	if !ok {
		return httpapi.Principal{}, apperr.New(apperr.Unauthenticated, "invalid access_token")
	}
	return p, nil
}

// RequireAuth is httpapi.RequireAuth over ts, without cross-origin protection.
func (ts *Tokens) RequireAuth() gin.HandlerFunc { return httpapi.RequireAuth(ts, nil) }

// AsUser stands in for httpapi.RequireAuth: every request acts for the operator userID, token or not.
func AsUser(userID int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		httpapi.SetPrincipal(c, httpapi.Principal{UserID: userID})
		c.Next()
	}
}

// Router answers a bare gin engine in test mode, for a test to mount the routes under test on.
func Router() *gin.Engine {
	gin.SetMode(gin.TestMode)
	return gin.New()
}

// APIGroup adds a group at path to r with the middleware the console puts before a capability's API
// routes: the body limit, auth (Tokens.RequireAuth or AsUser), and accounts.Scope, which resolves the
// official account a request names to one of its operator's.
func (e *Env) APIGroup(r gin.IRouter, path string, auth gin.HandlerFunc) httpapi.Group {
	return httpapi.Group{IRouter: r.Group(path, httpapi.LimitBody(httpapi.MaxBodyBytes), auth, accounts.Scope(e.Accounts)), Scoped: true}
}

// Request is one request to a router.
type Request struct {
	Method string // POST when empty
	Target string // the path and query
	Token  string // added as the access_token query parameter when not empty
	// Body is sent as is when a string or []byte, as a form when url.Values, as JSON when any other value,
	// and not at all when nil.
	Body any
	// Header is set after the Content-Type, application/x-www-form-urlencoded (the spec's clients send
	// JSON under it), so it may replace it.
	Header map[string]string
}

// body encodes Request.Body.
func body(t testing.TB, v any) io.Reader {
	t.Helper()
	switch b := v.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	case []byte:
		return bytes.NewReader(b)
	case url.Values:
		return strings.NewReader(b.Encode())
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		return bytes.NewReader(data)
	}
}

// Serve sends r to h and answers the recorded answer.
func Serve(t testing.TB, h http.Handler, r Request) *httptest.ResponseRecorder {
	t.Helper()
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	target := r.Target
	if r.Token != "" {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + "access_token=" + url.QueryEscape(r.Token)
	}
	req := httptest.NewRequest(r.Method, target, body(t, r.Body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// Decode decodes an answer's JSON object; t fails, showing the body, when it is not JSON.
func Decode(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out), "answer: %s", w.Body.String())
	return out
}

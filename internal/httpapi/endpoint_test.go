package httpapi_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

func call(t *testing.T, h http.Handler, method, path, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	return w, out
}

// TestEndpoint: the adapter decodes, checks, calls, encodes and maps errors once.
func TestEndpoint(t *testing.T) {
	t.Parallel()
	e := httpapi.NewEngine(slog.New(slog.DiscardHandler))
	var seen []httpapi.Route
	acct := &domain.Account{ID: 9, AppID: "wx0123456789abcdef"}
	withAccount := func(c *gin.Context) {
		httpapi.SetPrincipal(c, domain.Principal{UserID: 7})
		if c.Query("bare") == "" {
			c.Request = c.Request.WithContext(domain.WithAccount(c.Request.Context(), acct))
		}
	}
	g := httpapi.Group{IRouter: e.Group("/x", withAccount), Scoped: true,
		Authorize: func(ctx context.Context, r httpapi.Route) error {
			seen = append(seen, r)
			if r.Min == "owner" {
				return apperr.New(apperr.Forbidden, "needs the role owner")
			}
			return nil
		}}
	g.WriteJSON("/echo", func(r *httpapi.Request) (httpapi.Answer, error) {
		name, err := r.Body.String("name")
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, apperr.Missing("name")
		}
		return httpapi.Fields{"name": name, "user": r.UserID(), "appid": r.Account.AppID}, nil
	})
	g.ReadJSON("/list", func(r *httpapi.Request) (httpapi.Answer, error) { return httpapi.List[int](nil), nil })
	g.WriteJSON("/nothing", func(r *httpapi.Request) (httpapi.Answer, error) { return nil, nil })
	g.WriteJSON("/owner", func(r *httpapi.Request) (httpapi.Answer, error) { return nil, nil }, httpapi.MinRole("owner"))

	w, out := call(t, e, http.MethodPost, "/x/echo", `{"name":"a"}`)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, map[string]any{"errcode": 0.0, "msg": "ok", "name": "a", "user": 7.0, "appid": acct.AppID}, out)

	w, out = call(t, e, http.MethodPost, "/x/echo", `{}`)
	require.Equal(t, http.StatusBadRequest, w.Code)
	require.Equal(t, 40000.0, out["errcode"])
	require.Equal(t, "name: is required", out["msg"])

	w, out = call(t, e, http.MethodPost, "/x/echo", `{"name":`)
	require.Equal(t, http.StatusBadRequest, w.Code, "a body that does not decode is the adapter's answer")
	require.Equal(t, 40000.0, out["errcode"])

	w, _ = call(t, e, http.MethodGet, "/x/list", "")
	require.Equal(t, http.StatusOK, w.Code)
	require.JSONEq(t, `[]`, w.Body.String())
	w, _ = call(t, e, http.MethodGet, "/x/echo", "")
	require.Equal(t, http.StatusNotFound, w.Code, "a write answers POST only")

	w, out = call(t, e, http.MethodPost, "/x/nothing", "")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, map[string]any{"errcode": 0.0, "msg": "ok"}, out)

	w, out = call(t, e, http.MethodPost, "/x/owner", "")
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Equal(t, "needs the role owner", out["msg"])

	w, out = call(t, e, http.MethodPost, "/x/nothing?bare=1", "")
	require.Equal(t, http.StatusInternalServerError, w.Code, "a scoped route without an account is a wiring mistake")
	require.Equal(t, "internal error", out["msg"])

	require.Contains(t, seen, httpapi.Route{Path: "/owner", Write: true, Min: "owner"})
	require.Contains(t, seen, httpapi.Route{Path: "/list", Write: false, Min: httpapi.RoleAny})
}

// TestPlainRoutesAreAuthorizedToo: Group.Read/Write (plain gin handlers) run Authorize first, with the
// group's WritesNeed, and carry the route in the context like the endpoints.
func TestPlainRoutesAreAuthorizedToo(t *testing.T) {
	t.Parallel()
	e := httpapi.NewEngine(slog.New(slog.DiscardHandler))
	var seen []httpapi.Route
	g := httpapi.Group{IRouter: e.Group("/p"), Authorize: func(ctx context.Context, r httpapi.Route) error {
		seen = append(seen, r)
		if got, ok := httpapi.RouteFrom(ctx); !ok || got != r {
			return apperr.New(apperr.Internal, "route not in the context")
		}
		if r.Min == "agent" {
			return apperr.New(apperr.Forbidden, "this needs the agent role")
		}
		return nil
	}}.WritesNeed("agent")
	ran := false
	g.Write("/send", func(c *gin.Context) { ran = true; httpapi.OK(c, nil) })
	g.Read("/look", func(c *gin.Context) {
		r, _ := httpapi.RouteFrom(c.Request.Context())
		httpapi.OK(c, gin.H{"path": r.Path})
	})
	g.WriteJSON("/declared", func(r *httpapi.Request) (httpapi.Answer, error) { return nil, nil }, httpapi.MinRole("viewer"))

	w, out := call(t, e, http.MethodPost, "/p/send", "")
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Equal(t, "this needs the agent role", out["msg"])
	require.False(t, ran, "a refused plain route does not run")
	w, out = call(t, e, http.MethodGet, "/p/look", "")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "/look", out["path"])
	w, _ = call(t, e, http.MethodPost, "/p/declared", "")
	require.Equal(t, http.StatusOK, w.Code, "a declared role wins over WritesNeed")
	require.Contains(t, seen, httpapi.Route{Path: "/send", Write: true, Min: "agent"})
	require.Contains(t, seen, httpapi.Route{Path: "/look", Write: false, Min: httpapi.RoleAny})
}

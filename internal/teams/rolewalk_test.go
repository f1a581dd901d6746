package teams_test

import (
	"bufio"
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/domain"
)

// roleTable reads docs/ROLES.md: the account-scoped routes with their least role, and the routes it
// names as not account-scoped.
func roleTable(t *testing.T) (scoped map[string]domain.Role, unscoped []string) {
	t.Helper()
	f, err := os.Open("../../docs/ROLES.md")
	require.NoError(t, err)
	defer f.Close()
	scoped = map[string]domain.Role{}
	row := regexp.MustCompile(`^\|\s*(/\S+)\s*\|\s*(\w+)\s*\|$`)
	path := regexp.MustCompile(`/apis/[A-Za-z0-9_/{}.*-]+`)
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "<!-- role-table: begin -->":
			section = "scoped"
			continue
		case "<!-- unscoped: begin -->":
			section = "unscoped"
			continue
		case "<!-- role-table: end -->", "<!-- unscoped: end -->":
			section = ""
			continue
		}
		switch section {
		case "scoped":
			if m := row.FindStringSubmatch(line); m != nil {
				r := domain.Role(m[2])
				require.True(t, r.Valid(), "ROLES.md: %s has no valid role %q", m[1], m[2])
				_, dup := scoped[m[1]]
				require.False(t, dup, "ROLES.md names %s twice", m[1])
				scoped[m[1]] = r
			}
		case "unscoped":
			unscoped = append(unscoped, path.FindAllString(line, -1)...)
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, scoped)
	return scoped, unscoped
}

// apiPaths reads the /apis/ paths of openapi.yaml.
func apiPaths(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../openapi.yaml")
	require.NoError(t, err)
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^  (/apis/\S+):\s*$`).FindAllStringSubmatch(string(raw), -1) {
		out = append(out, m[1])
	}
	require.NotEmpty(t, out)
	return out
}

func covered(p string, unscoped []string) bool {
	for _, u := range unscoped {
		if u == p || (strings.HasSuffix(u, "*") && strings.HasPrefix(p, strings.TrimSuffix(u, "*"))) {
			return true
		}
	}
	return false
}

// TestEveryRouteHasARole: every /apis/ route of openapi.yaml is in docs/ROLES.md, as account-scoped with a
// role or as not account-scoped, and the table names no route the API does not have.
func TestEveryRouteHasARole(t *testing.T) {
	scoped, unscoped := roleTable(t)
	paths := apiPaths(t)
	inAPI := map[string]bool{}
	for _, p := range paths {
		inAPI[p] = true
		_, ok := scoped[p]
		require.True(t, ok || covered(p, unscoped),
			"%s is in openapi.yaml but not in docs/ROLES.md: declare its least role (httpapi.MinRole) and add it to the table", p)
	}
	for p := range scoped {
		require.True(t, inAPI[p], "docs/ROLES.md names %s, which openapi.yaml does not have", p)
	}
}

// last are the routes whose success changes the walk's fixture beyond what setRole restores.
var last = map[string]int{"/apis/team/leaveAccount": 1, "/apis/wxplatform/unauthorize": 2}

// TestRoleWalk calls every account-scoped route with each role and with a stranger: a role below the
// table's answers 40300 naming the role needed, a role at or above it is not refused for its role.
func TestRoleWalk(t *testing.T) {
	scoped, _ := roleTable(t)
	e := start(t)
	ops := map[domain.Role]operator{domain.RoleOwner: e.owner}
	for _, r := range []domain.Role{domain.RoleAdmin, domain.RoleEditor, domain.RoleAgent, domain.RoleViewer} {
		ops[r] = e.operator("walk_" + string(r))
	}
	stranger := e.operator("walk_stranger")

	routes := make([]string, 0, len(scoped))
	for p := range scoped {
		routes = append(routes, p)
	}
	sort.Slice(routes, func(i, j int) bool {
		if last[routes[i]] != last[routes[j]] {
			return last[routes[i]] < last[routes[j]]
		}
		return routes[i] < routes[j]
	})
	// The least powerful first, so a route that succeeds (leaveAccount) is refused to no one after.
	order := []domain.Role{domain.RoleViewer, domain.RoleAgent, domain.RoleEditor, domain.RoleAdmin, domain.RoleOwner}
	for _, p := range routes {
		need := scoped[p]
		code, out := e.walkCall(stranger.Token, p)
		require.Equal(t, 403, code, "%s by a stranger: %v", p, out)
		require.EqualValues(t, 40300, out["errcode"], "%s by a stranger: %v", p, out)

		for _, r := range order {
			if r != domain.RoleOwner {
				e.setRole(ops[r], string(r))
			}
			code, out := e.walkCall(ops[r].Token, p)
			msg, _ := out["msg"].(string)
			refused := code == 403 && out["errcode"] == float64(40300) && strings.Contains(msg, "needs the "+string(need)+" role")
			if r.AtLeast(need) {
				require.False(t, refused, "%s by %s (table: %s) was refused: %v", p, r, need, out)
				require.Less(t, code, 500, "%s by %s: %v", p, r, out)
			} else {
				require.True(t, refused, "%s by %s (table: %s) must answer 40300 naming %s: %d %v", p, r, need, need, code, out)
			}
		}
	}
}

// walkCall calls a route with the least body that reaches its account: the appid, and for an upload a
// multipart form with a small PNG.
func (e *env) walkCall(token, path string) (int, map[string]any) {
	e.t.Helper()
	if !strings.Contains(path, "/upload") {
		return e.call(token, path, map[string]any{"appid": e.appid, "url": "https://example.com/"})
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	require.NoError(e.t, w.WriteField("appid", e.appid))
	require.NoError(e.t, w.WriteField("type", "image"))
	f, err := w.CreateFormFile("file", "walk.png")
	require.NoError(e.t, err)
	_, _ = f.Write(tinyPNG)
	require.NoError(e.t, w.Close())
	req, err := http.NewRequest(http.MethodPost, e.con.URL+path+"?appid="+e.appid, &buf)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return e.do(req)
}

// tinyPNG is a 1×1 PNG.
var tinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

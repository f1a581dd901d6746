package pages

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"golang.org/x/net/html"

	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/teams"
)

// pageRoles is the pages' side of the role table (docs/ROLES.md): the least role of a console route whose
// API counterpart declares one. Every other console route follows the API's default, teams.Need: viewer
// to look (GET), editor to change (POST).
var pageRoles = map[string]domain.Role{
	"POST /console/replies/simulate":           domain.RoleViewer, // a test message through the callback, nothing kept but the inbox
	"POST /console/followers/remark":           domain.RoleAgent,
	"POST /console/followers/move":             domain.RoleAgent,
	"POST /console/conversations/send":         domain.RoleAgent,
	"POST /console/conversations/read":         domain.RoleAgent,
	"POST /console/conversations/assign":       domain.RoleAgent,
	"POST /console/conversations/quick":        domain.RoleAgent,
	"POST /console/conversations/quick/delete": domain.RoleAgent,
	"POST /console/settings/jsdomains":         domain.RoleAdmin,
	"POST /console/settings/component/push":    domain.RoleAdmin,
	"POST /console/settings/msdk":              domain.RoleOwner,
	"POST /console/settings/unbind":            domain.RoleOwner,
	"GET /console/members":                     domain.RoleAdmin,
	"GET /console/settings/audit":              domain.RoleAdmin,
	"POST /console/members/invite":             domain.RoleAdmin,
	"POST /console/members/role":               domain.RoleAdmin,
	"POST /console/members/remove":             domain.RoleAdmin,
	"POST /console/members/cancel":             domain.RoleAdmin,
	"POST /console/members/transfer":           domain.RoleOwner,
	"POST /console/members/leave":              domain.RoleViewer,
	// API tokens are the operator's own, whatever their role.
	"GET /console/tokens":         domain.RoleViewer,
	"POST /console/tokens":        domain.RoleViewer,
	"POST /console/tokens/revoke": domain.RoleViewer,
}

// pageNeed answers the least role of a console route (method and gin pattern).
func pageNeed(method, pattern string) domain.Role {
	if r, ok := pageRoles[method+" "+pattern]; ok {
		return r
	}
	return teams.Need(httpapi.Route{Write: method != "GET" && method != "HEAD"})
}

// requireRole is the pages' one check of the operator's role (behind requireAccount, which put the role
// in the context): the same rule as the API's (teams.Allow), with the pages' table.
func (p *Pages) requireRole(c *gin.Context) {
	role, _ := domain.RoleFrom(c.Request.Context())
	if err := teams.Allow(role, pageNeed(c.Request.Method, c.FullPath())); err != nil {
		p.fail(c, err)
		return
	}
	c.Next()
}

// routePattern finds the gin pattern of a console path ("/console/replies/rule/12/delete" →
// "/console/replies/rule/:id/delete") among the console routes.
func (p *Pages) routePattern(method, path string) (string, bool) {
	if p.patterns == nil {
		return "", false
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, pat := range p.patterns[method] {
		ps := strings.Split(strings.Trim(pat, "/"), "/")
		if len(ps) != len(segs) {
			continue
		}
		match := true
		for i := range ps {
			if !strings.HasPrefix(ps[i], ":") && ps[i] != segs[i] {
				match = false
				break
			}
		}
		if match {
			return pat, true
		}
	}
	return "", false
}

// hideForbidden takes out of a rendered page every form the operator's role may not submit: the
// console's own forms (by the route they post to) and the API's uploads (by the API's default rule). The
// server refuses them anyway; an operator should not be offered what will be refused.
func (p *Pages) hideForbidden(c *gin.Context, page []byte) []byte {
	role, ok := domain.RoleFrom(c.Request.Context())
	if !ok || role == domain.RoleOwner {
		return page
	}
	allowed := func(action string) bool {
		u, err := url.Parse(action)
		if err != nil {
			return true
		}
		path := u.Path
		if path == "" {
			path = c.Request.URL.Path
		}
		switch {
		case strings.HasPrefix(path, "/console"):
			pat, ok := p.routePattern("POST", path)
			if !ok {
				return true
			}
			return role.AtLeast(pageNeed("POST", pat))
		case strings.HasPrefix(path, "/apis/") && !strings.HasPrefix(path, "/apis/user/"):
			return role.AtLeast(domain.RoleEditor) // the API's uploads and changes: the default of writes
		}
		return true
	}
	var out bytes.Buffer
	out.Grow(len(page))
	z := html.NewTokenizer(bytes.NewReader(page))
	skip := 0 // depth of forms being dropped
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := append([]byte(nil), z.Raw()...) // TagName and TagAttr may change z.Raw()'s bytes
		if tt == html.StartTagToken || tt == html.EndTagToken {
			name, hasAttr := z.TagName()
			if string(name) == "form" {
				if tt == html.EndTagToken {
					if skip > 0 {
						skip--
						continue
					}
				} else {
					method, action := "get", ""
					for hasAttr {
						var k, v []byte
						k, v, hasAttr = z.TagAttr()
						switch string(k) {
						case "method":
							method = strings.ToLower(string(v))
						case "action":
							action = string(v)
						}
					}
					if skip > 0 || (method == "post" && !allowed(action)) {
						skip++
						continue
					}
				}
			}
		}
		if skip == 0 {
			out.Write(raw)
		}
	}
	return out.Bytes()
}

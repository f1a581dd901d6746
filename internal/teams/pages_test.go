package teams_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// page GETs a console page as o (the session cookie) and answers the status and the HTML.
func (e *env) page(o operator, path string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.con.URL+path, nil)
	require.NoError(e.t, err)
	req.AddCookie(&http.Cookie{Name: "SocialinzenToken", Value: o.Token})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestPagesFollowTheRoles: the pages hide what a role may not do, and refuse it anyway.
func TestPagesFollowTheRoles(t *testing.T) {
	e := start(t)
	vi, ed, ad := e.operator("pgv"), e.operator("pge"), e.operator("pga")
	e.setRole(vi, "viewer")
	e.setRole(ed, "editor")
	e.setRole(ad, "admin")
	q := "?appid=" + e.appid

	code, body := e.page(e.owner, "/console/members"+q)
	require.Equal(t, 200, code, body)
	require.Contains(t, body, `id="invite-form"`)
	require.Contains(t, body, "pge@example.com")
	require.Contains(t, body, `action="/console/members/transfer"`)

	code, body = e.page(ad, "/console/members"+q)
	require.Equal(t, 200, code)
	require.Contains(t, body, `id="invite-form"`)
	require.NotContains(t, body, `action="/console/members/transfer"`, "only the owner transfers")

	code, body = e.page(ed, "/console/members"+q)
	require.Equal(t, 403, code)
	require.Contains(t, body, "admin")
	code, body = e.page(ed, "/console/replies"+q)
	require.Equal(t, 200, code)
	require.NotContains(t, body, `id="nav-members"`)
	require.Contains(t, body, `action="/console/replies"`, "an editor adds rules")

	code, body = e.page(vi, "/console/replies"+q)
	require.Equal(t, 200, code)
	require.False(t, strings.Contains(body, `method="post" action="/console/replies"`), "a viewer gets no form to add a rule")
	code, body = e.page(vi, "/console/settings"+q)
	require.Equal(t, 200, code)
	require.NotContains(t, body, `action="/console/settings/unbind"`)
	require.NotContains(t, body, `action="/console/settings/jsdomains"`)
	require.Contains(t, body, `id="leave-account"`)

	// The server refuses a viewer's post whatever the page showed.
	req, _ := http.NewRequest(http.MethodPost, e.con.URL+"/console/replies", strings.NewReader("appid="+e.appid+"&request=x&type=text&content=y"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.con.URL)
	req.AddCookie(&http.Cookie{Name: "SocialinzenToken", Value: vi.Token})
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, 403, res.StatusCode, string(b))
	require.Contains(t, string(b), "editor")

	code, body = e.page(vi, "/console/tokens"+q)
	require.Equal(t, 200, code)
	require.Contains(t, body, `id="token-form"`)
}

// TestConversationsAssignToMembers: a conversation is assigned to a member from agent up (contract §16);
// the page's assignee list offers the owner and the agent, not the viewer.
func TestConversationsAssignToMembers(t *testing.T) {
	e := start(t)
	ag, vi := e.operator("cag"), e.operator("cvw")
	e.setRole(ag, "agent")
	e.setRole(vi, "viewer")
	openid := e.con.Emulator().Followers(e.appid)[0].OpenID
	_, err := e.con.Emulator().SendText(context.Background(), e.appid, openid, "有人吗")
	require.NoError(t, err)

	code, body := e.page(e.owner, "/console/conversations?appid="+e.appid+"&openid="+openid)
	require.Equal(t, 200, code, body)
	i := strings.Index(body, `id="assign-user"`)
	require.Positive(t, i, "the conversation opens with its assignee list")
	list := body[i : i+strings.Index(body[i:], "</select>")]
	require.Contains(t, list, ">demo<")
	require.Contains(t, list, ">cag<")
	require.NotContains(t, list, ">cvw<", "a viewer answers nobody")
}

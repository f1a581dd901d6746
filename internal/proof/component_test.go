package proof

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
)

// TestThreeProcessesOneComponentRefresh runs three console processes as one WeChat third-party platform
// (contract §15): the ticket pushed to one process serves all, an account authorized through one is
// bound for all, and after WeChat expires the component_access_token and the authorizer token, sixty
// calls spread over the three processes make exactly one api_component_token and one
// api_authorizer_token.
func TestThreeProcessesOneComponentRefresh(t *testing.T) {
	skipShort(t)
	dbURL := dbtest.NewURL(t)
	w := newWorld(t)
	comp := w.emu.NewComponent("多进程第三方平台 Proof Platform")
	env := w.env(dbURL)
	env["WECHAT_COMPONENT_APPID"], env["WECHAT_COMPONENT_SECRET"] = comp.AppID, comp.Secret
	env["WECHAT_COMPONENT_TOKEN"], env["WECHAT_COMPONENT_AES_KEY"] = comp.Token, comp.EncodingAESKey
	procs := startConsoles(t, []string{"c1", "c2", "c3"}, env)
	p1, p2, p3 := procs[0], procs[1], procs[2]
	c := newClient(t)
	op := registerOperator(t, c, w.mail, p1.url, p2.url, p3.url)

	acct := w.emu.NewAccount("多进程授权号 Proof Authorizer")
	w.emu.AddFollowers(acct.AppID, 5)
	w.emu.SetComponentCandidates(comp.AppID, []string{acct.AppID})
	// The Open Platform's event URL is process 1, the message URL process 2.
	w.emu.SetComponentURLs(comp.AppID, p1.url+"/wxplatform/component/events", p2.url+"/wxplatform/component/callback/$APPID$")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, w.emu.PushTicket(ctx, comp.AppID), "the ticket push reaches process 1")

	// Process 3 builds the link (with the ticket process 1 stored); the administrator consents; the
	// return URL lands on process 3 and the authorized push on process 1.
	r := c.mustOK(p3.url, "/apis/wxplatform/componentAuthorizeUrl", op.token, map[string]any{})
	link, _ := r.obj["url"].(string)
	require.True(t, strings.HasPrefix(link, w.wx.URL+"/cgi-bin/componentloginpage?"), "%s", r)
	u, err := url.Parse(link)
	require.NoError(t, err)
	q := u.Query()
	form := url.Values{"component_appid": {comp.AppID}, "pre_auth_code": {q.Get("pre_auth_code")},
		"redirect_uri": {q.Get("redirect_uri")}, "appid": {acct.AppID}, "action": {"allow"}}
	resp, err := c.hc.PostForm(w.wx.URL+"/cgi-bin/componentloginpage/confirm", form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	ret := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(ret, p3.url+"/wxplatform/component/return?state="), ret)
	req, err := http.NewRequest(http.MethodGet, ret, nil)
	require.NoError(t, err)
	rr, err := do(c.hc, req)
	require.NoError(t, err)
	require.Contains(t, []int{http.StatusSeeOther, http.StatusFound}, rr.status, "%s", rr)

	for _, p := range procs {
		r := c.mustOK(p.url, "/apis/wxplatform/account", op.token, nil)
		require.Contains(t, string(r.body), `"appid":"`+acct.AppID+`"`, "%s sees the account", p.name)
		require.Contains(t, string(r.body), `"mode":"component"`, "%s", p.name)
	}
	require.Equal(t, 1, w.emu.ComponentTokenRequests(comp.AppID), "one component_access_token so far")

	t.Run("one api_component_token per expiry", func(t *testing.T) {
		for _, p := range procs { // every process holds the component token in memory
			c.mustOK(p.url, "/apis/wxplatform/componentAuthorizeUrl", op.token, map[string]any{})
		}
		before := w.emu.ComponentTokenRequests(comp.AppID)
		w.emu.ExpireComponentTokens(comp.AppID)
		const calls = 60
		results, errs := parallel(calls, func(ctx context.Context, i int) (response, error) {
			return c.call(ctx, procs[i%len(procs)].url, "/apis/wxplatform/componentAuthorizeUrl", op.token, map[string]any{})
		})
		for i := range calls {
			require.NoError(t, errs[i])
			require.Equal(t, http.StatusOK, results[i].status, "call %d on %s: %s", i, procs[i%len(procs)].name, results[i])
		}
		require.Equal(t, before+1, w.emu.ComponentTokenRequests(comp.AppID),
			"60 calls on 3 processes after WeChat expired the component_access_token: exactly one new one")
	})

	t.Run("one api_authorizer_token per expiry", func(t *testing.T) {
		for _, p := range procs {
			c.mustOK(p.url, "/apis/wxplatform/getGroups?appid="+acct.AppID, op.token, nil)
		}
		before := w.emu.AuthorizerTokenRequests(comp.AppID, acct.AppID)
		w.emu.ExpireTokens(acct.AppID)
		const calls = 60
		results, errs := parallel(calls, func(ctx context.Context, i int) (response, error) {
			return c.call(ctx, procs[i%len(procs)].url, "/apis/wxplatform/getGroups?appid="+acct.AppID, op.token, nil)
		})
		for i := range calls {
			require.NoError(t, errs[i])
			require.Equal(t, http.StatusOK, results[i].status, "call %d on %s: %s", i, procs[i%len(procs)].name, results[i])
		}
		require.Equal(t, before+1, w.emu.AuthorizerTokenRequests(comp.AppID, acct.AppID),
			"60 calls on 3 processes after WeChat expired the authorizer token: exactly one api_authorizer_token")
	})

	t.Run("a follower's message through the component URL on process 2", func(t *testing.T) {
		c.mustOK(p1.url, "/apis/wxreplymanage/addReply?appid="+acct.AppID, op.token, map[string]any{"type": "text",
			"request": "授权", "reply": map[string]string{"content": "组件消息已收到"}})
		var got string
		for i := 0; i < 100; i++ {
			d, err := w.emu.SendText(ctx, acct.AppID, "", "授权")
			require.NoError(t, err)
			require.Regexp(t, regexp.MustCompile(`/wxplatform/component/callback/`+acct.AppID), d.URL)
			if d.Reply != nil {
				got = d.Reply.Content
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		require.Equal(t, "组件消息已收到", got)
	})
}

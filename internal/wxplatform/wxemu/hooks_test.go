package wxemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFaults(t *testing.T) {
	v := newEnv(t, Options{})
	v.q() // fetch the token before any fault

	v.emu.SetFault("/cgi-bin/tags/create", Fault{Errcode: -1, Times: 2})
	requireErrcode(t, v.post("/cgi-bin/tags/create", v.q(), tag(nil, "a")), -1)
	requireErrcode(t, v.post("/cgi-bin/tags/create", v.q(), tag(nil, "a")), -1)
	require.Contains(t, v.post("/cgi-bin/tags/create", v.q(), tag(nil, "a")), "tag", "Times 2: the third call works")

	v.emu.SetFault("/cgi-bin/tags/get", Fault{Errcode: 45009, Errmsg: "reach max api daily quota limit"})
	for range 3 {
		m := v.get("/cgi-bin/tags/get", v.q())
		require.Equal(t, "reach max api daily quota limit", m["errmsg"])
	}
	v.emu.ClearFaults()
	require.Contains(t, v.get("/cgi-bin/tags/get", v.q()), "tags")

	// A delay only: the answer is the endpoint's own, late; a client that gives up sees a timeout.
	v.emu.SetFault("/cgi-bin/menu/get", Fault{Delay: 300 * time.Millisecond})
	start := time.Now()
	requireErrcode(t, v.get("/cgi-bin/menu/get", v.q()), 46003)
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.srv.URL+"/cgi-bin/menu/get?"+v.q().Encode(), nil)
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(req)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)

	// Faults apply before the token check, so the token endpoint itself can fail.
	v.emu.SetFault("/cgi-bin/token", Fault{Errcode: -1, Times: 1})
	requireErrcode(t, v.get("/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {v.demo.AppID}, "secret": {v.demo.Secret}}), -1)
	v.token(v.demo)
}

func TestRequestsRecorded(t *testing.T) {
	v := newEnv(t, Options{MaxRequests: 3})
	tok := v.token(v.demo)
	v.post("/cgi-bin/tags/create", url.Values{"access_token": {tok}}, `{"tag":{"name":"x"}}`)
	reqs := v.emu.Requests()
	require.Len(t, reqs, 2)
	require.Equal(t, "GET", reqs[0].Method)
	require.Equal(t, "/cgi-bin/token", reqs[0].Path)
	require.Equal(t, v.demo.AppID, reqs[0].Query.Get("appid"))
	require.Equal(t, "POST", reqs[1].Method)
	require.Equal(t, `{"tag":{"name":"x"}}`, string(reqs[1].Body))
	require.Equal(t, "application/json", reqs[1].Header.Get("Content-Type"))
	require.Equal(t, v.clock.Now(), reqs[1].Time)

	for range 3 {
		v.get("/cgi-bin/tags/get", url.Values{"access_token": {tok}})
	}
	reqs = v.emu.Requests()
	require.Len(t, reqs, 3, "only the last MaxRequests are kept")
	for _, r := range reqs {
		require.Equal(t, "/cgi-bin/tags/get", r.Path)
	}
}

// TestConcurrentUse runs endpoints, hooks and the simulator at once; run with -race. The goroutines
// collect errors instead of calling require, which must run on the test's own goroutine.
func TestConcurrentUse(t *testing.T) {
	v := newEnv(t, Options{})
	newCallback(t, v, ModeSafe, echo)
	app := v.demo.AppID
	fs := v.emu.Followers(app)
	call := func(method, path string, q url.Values, body string) (map[string]any, error) {
		req, err := http.NewRequest(method, v.srv.URL+path+"?"+q.Encode(), strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			return nil, err
		}
		if code, ok := m["errcode"].(float64); ok && code != 0 {
			return nil, fmt.Errorf("%s: %v", path, m)
		}
		return m, nil
	}
	errs := make(chan error, 100)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			// Stable tokens: one fetch does not invalidate another goroutine's.
			m, err := call(http.MethodPost, "/cgi-bin/stable_token", nil,
				`{"grant_type":"client_credential","appid":"`+app+`","secret":"`+v.demo.Secret+`"}`)
			if err != nil {
				errs <- err
				return
			}
			q := url.Values{"access_token": {m["access_token"].(string)}}
			_, err = call(http.MethodPost, "/cgi-bin/tags/create", q, `{"tag":{"name":"t`+itoa(i)+`"}}`)
			errs <- err
			_, err = call(http.MethodGet, "/cgi-bin/user/get", q, "")
			errs <- err
			_, err = call(http.MethodPost, "/cgi-bin/user/info/updateremark", q, `{"openid":"`+fs[i].OpenID+`","remark":"r"}`)
			errs <- err
			_, err = v.emu.SendText(context.Background(), app, fs[i].OpenID, "hi")
			errs <- err
			v.emu.Tags(app)
			v.emu.Requests()
			v.emu.Remark(app, fs[i].OpenID)
			v.emu.AddFollowers(app, 10)
			v.emu.SetFault("/cgi-bin/menu/get", Fault{Times: 1})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, v.emu.Followers(app), 280)
	require.Len(t, v.emu.Tags(app), 9)
	require.Equal(t, 8, v.emu.TokenRequests(app))
}

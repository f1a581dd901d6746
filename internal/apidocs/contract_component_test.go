package apidocs_test

import (
	"net/url"
	"strings"
	"time"

	"github.com/stretchr/testify/require"
)

// component drives the third-party platform's endpoints (contract §15) against the document: the status
// (the sandbox pushes a ticket at start), an authorization link for a computer and a phone, the event URL
// refusing a forged push, and the return URL refusing a bad state.
func (k *contract) component(tok string) {
	t := k.t
	var st answer
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st = k.do(call{name: "componentStatus", method: "POST", path: "/apis/wxplatform/componentStatus", token: tok, want: 200})
		if !st.wired || st.num(t, "ticketAgeSeconds") >= 0 {
			break
		}
	}
	k.do(call{name: "componentStatus (GET)", method: "GET", path: "/apis/wxplatform/componentStatus", token: tok, want: 200})
	a := k.do(call{name: "componentAuthorizeUrl", method: "POST", path: "/apis/wxplatform/componentAuthorizeUrl", token: tok,
		want: 200, json: map[string]any{}})
	if a.wired {
		require.Contains(t, a.str(t, "url"), "/cgi-bin/componentloginpage?component_appid=")
	}
	a = k.do(call{name: "componentAuthorizeUrl (mobile, form)", method: "POST", path: "/apis/wxplatform/componentAuthorizeUrl",
		token: tok, want: 200, form: url.Values{"mobile": {"true"}}})
	if a.wired {
		require.True(t, strings.HasSuffix(a.str(t, "url"), "#wechat_redirect"))
	}
	q := url.Values{"signature": {"0000000000000000000000000000000000000000"}, "timestamp": {"1"}, "nonce": {"1"},
		"encrypt_type": {"aes"}, "msg_signature": {"0000000000000000000000000000000000000000"}}
	k.do(call{name: "component event forged", method: "POST", path: "/wxplatform/component/events?" + q.Encode(), want: 403,
		raw: []byte("<xml><AppId><![CDATA[wx0000000000000000]]></AppId><Encrypt><![CDATA[AAAA]]></Encrypt></xml>"), ctype: "text/xml"})
	k.do(call{name: "component callback forged", method: "POST", path: "/wxplatform/component/callback/wx0000000000000000?" + q.Encode(),
		want: 403, raw: []byte("<xml><Encrypt><![CDATA[AAAA]]></Encrypt></xml>"), ctype: "text/xml"})
	k.do(call{name: "component return bad state", method: "GET", path: "/wxplatform/component/return?auth_code=x&expires_in=3600&state=forged",
		want: 400, header: map[string]string{"Accept": "text/html"}})
}

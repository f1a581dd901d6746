// Package redact keeps secrets out of logs: the one list of query parameters whose values are never
// written, used by the API's access log and the WeChat client's call log alike.
package redact

import "net/url"

// Params are query parameters whose values are never written to a log. WeChat's callback signs its URL
// with signature (or msg_signature), timestamp and nonce: the signature and nonce would let a reader of the
// log replay the request within the clock window, and echostr is the handshake's secret.
var Params = []string{"access_token", "token", "code", "secret", "sig", "refresh_token", "echostr", "ticket", "state",
	"signature", "msg_signature", "nonce",
	"component_access_token", "auth_code", "pre_auth_code"}

// URL answers u's path and query with every secret parameter's value replaced by "REDACTED".
func URL(u *url.URL) string {
	if u.RawQuery == "" {
		return u.Path
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return u.Path + "?(unparsable query)"
	}
	for _, k := range Params {
		if _, ok := q[k]; ok {
			q.Set(k, "REDACTED")
		}
	}
	return u.Path + "?" + q.Encode()
}

// Package redact keeps secrets out of logs: the one list of query parameters whose values are never
// written, used by the API's access log and the WeChat client's call log alike, and the one list of field
// names whose values never enter the audit log (internal/audit).
package redact

import (
	"net/url"
	"strings"
)

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

// Fields are the names (normalised by Field: lower case, without "_" and "-") of the fields whose values
// never enter the audit log: an account's AppSecret, its callback token, its EncodingAESKey, its MSDK key,
// access and refresh tokens, tickets, passwords and their hashes, an invitation's token.
var Fields = []string{"secret", "appsecret", "componentsecret", "token", "accesstoken", "refreshtoken",
	"authorizerrefreshtoken", "componentaccesstoken", "componentverifyticket", "ticket", "jsapiticket",
	"encodingaeskey", "aeskey", "componentaeskey", "msdkkey", "password", "passwordhash", "oldpassword",
	"newpassword", "tokenhash", "secretsealed", "sealed", "authcode", "preauthcode"}

// Field reports whether a field of that name holds a secret: one of Fields, or any name ending in secret,
// token, password, aeskey or ticket (NewSecret, apiToken, ...), whatever its case or separators.
func Field(name string) bool {
	n := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(name))
	for _, f := range Fields {
		if n == f {
			return true
		}
	}
	for _, suffix := range []string{"secret", "token", "password", "aeskey", "ticket", "sealed"} {
		if strings.HasSuffix(n, suffix) {
			return true
		}
	}
	return false
}

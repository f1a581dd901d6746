// Package jssdk signs JS-SDK configurations (contract §8, wechat-protocol.md §6): the page's wx.config
// needs appId, timestamp, nonceStr and a signature made with the account's jsapi_ticket, which never
// leaves the server.
package jssdk

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// maxURLBytes bounds the page URL; browsers and WeChat handle far less in practice.
const maxURLBytes = 4096

// Sign is WeChat's JS-SDK signature: the hex SHA-1 of
// "jsapi_ticket=T&noncestr=N&timestamp=TS&url=U", keys in ASCII order, values raw (no escaping).
func Sign(ticket, nonceStr string, timestamp int64, pageURL string) string {
	s := "jsapi_ticket=" + ticket + "&noncestr=" + nonceStr + "&timestamp=" + strconv.FormatInt(timestamp, 10) + "&url=" + pageURL
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// PageURL checks the page URL a signature is asked for and answers it as WeChat signs it: the URL as
// the page's location.href gives it, without "#" and what follows. It must be an absolute http(s) URL
// with a host; anything else is 40000 naming url. host is the URL's host (with its port, lower case).
func PageURL(raw string) (signed, host string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", apperr.Missing("url")
	}
	if len(raw) > maxURLBytes {
		return "", "", apperr.Invalidf("url", "must be at most %d bytes", maxURLBytes).WithKey("err.field.max_bytes", "url", maxURLBytes)
	}
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	if strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", "", apperr.Invalidf("url", "must not contain spaces or control characters").WithKey("err.url.spaces", "url")
	}
	u, perr := url.Parse(raw)
	if perr != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "", "", apperr.Invalidf("url", "must be an absolute http(s) URL, such as https://example.com/page").WithKey("err.url.absolute_example", "url")
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return "", "", apperr.Invalidf("url", "must be an http or https URL").WithKey("err.url.scheme", "url")
	}
	if u.Hostname() == "" {
		return "", "", apperr.Invalidf("url", "must name a host").WithKey("err.url.host", "url")
	}
	return raw, strings.ToLower(u.Host), nil
}

const nonceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newNonce answers 16 random letters and digits.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = nonceChars[int(b[i])%len(nonceChars)]
	}
	return string(b)
}

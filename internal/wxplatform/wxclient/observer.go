package wxclient

import "time"

// Observer is told of every exchange with WeChat and every credential fetched, for metrics; the metrics
// package implements it. Its methods are called on the caller's goroutine and must not block.
type Observer interface {
	// WeChatCall reports one HTTP exchange with WeChat's API (each attempt of a retried call): path is the
	// API path without its query (/cgi-bin/tags/create), errcode WeChat's errcode (0 when WeChat did not
	// answer with one), err the exchange's error (nil on success), took its duration.
	WeChatCall(path string, errcode int, err error, took time.Duration)
	// TokenRefresh reports a fetch of a new credential from WeChat: kind is "access_token" or
	// "jsapi_ticket"; err is nil when WeChat handed one out.
	TokenRefresh(appid, kind string, err error)
}

// observeCall reports an exchange to the Observer, if any.
func (c *Client) observeCall(path string, err error, took time.Duration) {
	if c.opts.Observer != nil {
		c.opts.Observer.WeChatCall(path, Code(err), err, took)
	}
}

// observeRefresh reports a fetch to the Observer, if any. Failures that never reached WeChat (the
// account's secret could not be read) are not refreshes and are not reported.
func (c *Client) observeRefresh(appid string, k kind, err error) {
	if c.opts.Observer != nil && (err == nil || recordable(err)) {
		c.opts.Observer.TokenRefresh(appid, string(k), err)
	}
}

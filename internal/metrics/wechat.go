package metrics

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// WeChatCall records one HTTP exchange with WeChat's API: path is the API path without its query
// (/cgi-bin/tags/create), errcode WeChat's errcode (0 when WeChat did not answer with one), err the
// exchange's error (nil on success). It implements wxclient.Observer.
func (m *Metrics) WeChatCall(path string, errcode int, err error, took time.Duration) {
	m.wechatCalls.WithLabelValues(path, callResult(errcode, err)).Inc()
	m.wechatDuration.WithLabelValues(path).Observe(took.Seconds())
}

// callResult is the errcode label: "0" for success, WeChat's errcode as a number, else what kept WeChat
// from answering one.
func callResult(errcode int, err error) string {
	if errcode == 0 {
		var we apperr.WeChatError
		if errors.As(err, &we) {
			errcode = we.WeChatCode()
		}
	}
	switch {
	case errcode != 0:
		return strconv.Itoa(errcode)
	case err == nil:
		return "0"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded) || apperr.KindOf(err) == apperr.UpstreamTimeout:
		return "timeout"
	case apperr.KindOf(err) == apperr.Upstream:
		return "upstream"
	default:
		return "error"
	}
}

// TokenRefresh records a credential fetched from WeChat (kind access_token or jsapi_ticket); err is nil
// when WeChat handed one out. The appid is not a label: the per-account state is on the console's account
// page. It implements wxclient.Observer.
func (m *Metrics) TokenRefresh(appid, kind string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.tokenRefreshes.WithLabelValues(kind, result).Inc()
}

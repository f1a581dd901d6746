// Package httpapi is the JSON API's edge: the Gin engine and http.Server, body decoding with the spec's
// aliases, the {errcode, msg} envelope, the mapping of errors to errcodes and statuses (in Fail, the one
// place it happens), token authentication, cross-origin protection, security headers and the request log.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Errcodes of contract §2.
const (
	CodeOK              = 0
	CodeInvalid         = 40000
	CodeUnauthenticated = 40100
	CodeBadCredentials  = 40101
	CodeUnverified      = 40102
	CodeForbidden       = 40300
	CodeWindowClosed    = 40301
	CodeNotFound        = 40400
	CodeConflict        = 40900
	CodeTooLarge        = 41300
	CodeUnsupportedType = 41500
	CodeTooMany         = 42900
	CodeInternal        = 50000
	CodeUpstream        = 50200
	CodeUpstreamTimeout = 50400
)

type codeStatus struct{ code, status int }

var kindTable = map[apperr.Kind]codeStatus{
	apperr.Internal:        {CodeInternal, http.StatusInternalServerError},
	apperr.Invalid:         {CodeInvalid, http.StatusBadRequest},
	apperr.Unauthenticated: {CodeUnauthenticated, http.StatusUnauthorized},
	apperr.BadCredentials:  {CodeBadCredentials, http.StatusUnauthorized},
	apperr.Unverified:      {CodeUnverified, http.StatusForbidden},
	apperr.Forbidden:       {CodeForbidden, http.StatusForbidden},
	apperr.NotFound:        {CodeNotFound, http.StatusNotFound},
	apperr.Conflict:        {CodeConflict, http.StatusConflict},
	apperr.TooLarge:        {CodeTooLarge, http.StatusRequestEntityTooLarge},
	apperr.UnsupportedType: {CodeUnsupportedType, http.StatusUnsupportedMediaType},
	apperr.TooManyRequests: {CodeTooMany, http.StatusTooManyRequests},
	apperr.Upstream:        {CodeUpstream, http.StatusBadGateway},
	apperr.UpstreamTimeout: {CodeUpstreamTimeout, http.StatusGatewayTimeout},
	apperr.WindowClosed:    {CodeWindowClosed, http.StatusForbidden},
}

// Failure is the body of every failed API answer, and more fields when WeChat is the cause.
type Failure struct {
	Errcode  int    `json:"errcode"`
	Msg      string `json:"msg"`
	WxErr    *int   `json:"wxErrcode,omitempty"`
	WxErrmsg string `json:"wxErrmsg,omitempty"`
	// Details are the error's more fields (apperr.Error.Details), written beside the others.
	Details map[string]any `json:"-"`
}

// Describe maps err to the contract's answer: status, body and Retry-After seconds (0 for none).
func Describe(err error) (int, Failure, int) {
	var wx apperr.WeChatError
	if errors.As(err, &wx) {
		code := wx.WeChatCode()
		msg := "WeChat answered with error " + strconv.Itoa(code) + ": " + wx.WeChatMsg()
		if ex := wx.Explanation(); ex != "" {
			msg = ex + " (WeChat error " + strconv.Itoa(code) + ")"
		}
		return http.StatusBadGateway, Failure{Errcode: CodeUpstream, Msg: msg, WxErr: &code, WxErrmsg: wx.WeChatMsg()}, 0
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		cs := kindTable[ae.Kind]
		msg := ae.Msg
		if ae.Kind == apperr.Internal {
			msg = "internal error"
		}
		retry := 0
		if ae.Kind == apperr.TooManyRequests {
			retry = int(math.Ceil(ae.RetryAfter.Seconds()))
			if retry < 1 {
				retry = 1
			}
		}
		return cs.status, Failure{Errcode: cs.code, Msg: msg, Details: ae.Details}, retry
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusGatewayTimeout, Failure{Errcode: CodeUpstreamTimeout, Msg: "the operation timed out"}, 0
	}
	return http.StatusInternalServerError, Failure{Errcode: CodeInternal, Msg: "internal error"}, 0
}

// Fail answers err in the contract's envelope. Server-side failures are logged here, once, with the cause;
// the caller only sees a safe message.
func Fail(c *gin.Context, err error) {
	status, body, retry := Describe(err)
	if status >= 500 && status != http.StatusBadGateway {
		logger(c).Error("request failed", "status", status, "err", err)
	} else if status == http.StatusBadGateway {
		logger(c).Warn("wechat error", "err", err)
	}
	if retry > 0 {
		c.Header("Retry-After", strconv.Itoa(retry))
	}
	c.Header("Cache-Control", "no-store")
	if len(body.Details) > 0 {
		out := gin.H{"errcode": body.Errcode, "msg": body.Msg}
		for k, v := range body.Details {
			if _, taken := out[k]; !taken {
				out[k] = v
			}
		}
		c.AbortWithStatusJSON(status, out)
		return
	}
	c.AbortWithStatusJSON(status, body)
}

// OK answers success: errcode 0, msg "ok" and the data fields at the top level.
func OK(c *gin.Context, data gin.H) {
	out := gin.H{"errcode": CodeOK, "msg": "ok"}
	for k, v := range data {
		out[k] = v
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}

// Array answers success with a bare JSON array, where the spec answers with one (listReply, group users).
func Array[T any](c *gin.Context, items []T) {
	if items == nil {
		items = []T{}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, items)
}

// SetLogger attaches the request's logger (with its request id).
func SetLogger(c *gin.Context, l *slog.Logger) { c.Set("httpapi.logger", l) }

func logger(c *gin.Context) *slog.Logger {
	if v, ok := c.Get("httpapi.logger"); ok {
		if l, ok := v.(*slog.Logger); ok {
			return l
		}
	}
	return slog.Default()
}

// Logger answers the request's logger, carrying its request id.
func Logger(c *gin.Context) *slog.Logger { return logger(c) }

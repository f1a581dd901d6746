package wxclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/i18n"
)

// WeChat's error codes that callers of this package act on (wechat-protocol.md §11). The full list is
// WeChat's; these have a name because some code branches on them.
const (
	CodeBusy                = -1
	CodeInvalidCredential   = 40001 // AppSecret wrong (on token calls), or access_token invalid / not latest
	CodeInvalidOpenID       = 40003
	CodeInvalidMediaID      = 40007
	CodeInvalidAppID        = 40013
	CodeInvalidAccessToken  = 40014
	CodeInvalidCode         = 40029
	CodeInvalidRefreshToken = 40030
	CodeInvalidSecret       = 40125
	CodeCodeUsed            = 40163
	CodeIPNotWhitelisted    = 40164
	CodeSecretFrozen        = 40243
	CodeTokenMissing        = 41001
	CodeTokenExpired        = 42001
	CodeRefreshTokenExpired = 42002
	CodeCodeExpired         = 42003
	CodeDailyQuota          = 45009
	CodeMinuteQuota         = 45011
	CodeTooManyTags         = 45056
	CodeSysTag              = 45058
	CodeInvalidTagName      = 45157
	CodeTagNameTooLong      = 45158
	CodeInvalidTagID        = 45159
	CodeMenuNotExist        = 46003
	CodeUserNotExist        = 46004
	CodeAPIUnauthorized     = 48001
	CodeMaterialInUse       = 48005
)

// Error is WeChat answering a call with a non-zero errcode. It implements apperr.WeChatError, so the API
// edge answers 50200 with wxErrcode and wxErrmsg.
type Error struct {
	Errcode int
	Errmsg  string
	// Path is the called endpoint, e.g. "/cgi-bin/tags/create"; some codes mean different things on
	// different endpoints (40001 on cgi-bin/token is a wrong AppSecret).
	Path string
}

func (e *Error) Error() string {
	return "wechat " + e.Path + ": errcode " + strconv.Itoa(e.Errcode) + ": " + e.Errmsg
}

// WeChatCode answers WeChat's errcode.
func (e *Error) WeChatCode() int { return e.Errcode }

// WeChatMsg answers WeChat's errmsg as sent (with its "rid", which WeChat's support asks for).
func (e *Error) WeChatMsg() string { return e.Errmsg }

// Is makes errors.Is(err, &Error{Errcode: n}) test the code, and the path too when the target has one.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Errcode == e.Errcode && (t.Path == "" || t.Path == e.Path)
}

// Code answers the WeChat errcode carried by err, or 0 when err is not a WeChat answer.
func Code(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Errcode
	}
	return 0
}

// tokenPaths are the calls that take the AppSecret: on them 40001 means the secret is wrong.
var tokenPaths = map[string]bool{
	pathToken:       true,
	pathStableToken: true,
	pathOAuthToken:  true,
}

var ipPattern = regexp.MustCompile(`invalid ip ([0-9a-fA-F.:]+)`)

// explanationKeys name, in the i18n catalogue (web/i18n), the plain sentence for the operator of each
// WeChat code that has one: what the code means for them and what to do. 40001 and 40164 are chosen in
// ExplanationKey, by path and by WeChat's message.
var explanationKeys = map[int]string{
	CodeBusy:                "wx.err.busy",
	CodeInvalidSecret:       "wx.err.secret",
	CodeInvalidAppID:        "wx.err.appid",
	CodeSecretFrozen:        "wx.err.secret_frozen",
	50004:                   "wx.err.token_forbidden",
	50007:                   "wx.err.account_frozen",
	89503:                   "wx.err.ip_confirm",
	89506:                   "wx.err.ip_refused",
	89507:                   "wx.err.ip_refused",
	CodeTokenExpired:        "wx.err.token_expired",
	CodeDailyQuota:          "wx.err.daily_quota",
	CodeMinuteQuota:         "wx.err.minute_quota",
	CodeAPIUnauthorized:     "wx.err.unauthorized",
	CodeInvalidOpenID:       "wx.err.openid",
	CodeUserNotExist:        "wx.err.user",
	CodeInvalidMediaID:      "wx.err.media_id",
	CodeMaterialInUse:       "wx.err.material_in_use",
	CodeInvalidCode:         "wx.err.code",
	CodeCodeUsed:            "wx.err.code",
	CodeCodeExpired:         "wx.err.code",
	CodeInvalidRefreshToken: "wx.err.refresh_token",
	CodeRefreshTokenExpired: "wx.err.refresh_token",
	42007:                   "wx.err.password_changed",
	CodeTooManyTags:         "wx.err.too_many_tags",
	CodeSysTag:              "wx.err.sys_tag",
	CodeInvalidTagName:      "wx.err.tag_name",
	CodeTagNameTooLong:      "wx.err.tag_name_long",
	CodeInvalidTagID:        "wx.err.tag_id",
	45059:                   "wx.err.user_tags",
	CodeMenuNotExist:        "wx.err.no_menu",
	41005:                   "wx.err.no_file",
	40004:                   "wx.err.file_type",
	40005:                   "wx.err.file_type",
	40009:                   "wx.err.file_size",
	40010:                   "wx.err.file_size",
	40011:                   "wx.err.file_size",
	40012:                   "wx.err.file_size",
	45001:                   "wx.err.file_size",
	CodeDraftNotChecked:     "wx.err.draft_check",
	CodeDraftNeedsWeb:       "wx.err.draft_web",
	CodeDraftNeedsSaving:    "wx.err.draft_save",
	CodeEmptyNews:           "wx.err.empty_news",
	CodeInvalidContent:      "wx.err.invalid_content",
	CodeInvalidArticleID:    "wx.err.article_id",
	// The third-party platform (contract §15).
	CodeComponentNotAuthorized: "wx.err.component_not_authorized",
	CodeComponentIP:            "wx.err.component_ip",
	CodeTicketExpired:          "wx.err.component_ticket",
	CodeTicketInvalid:          "wx.err.component_ticket",
	CodeRefreshTokenInvalid:    "wx.err.component_refresh_token",
}

// ExplanationKey answers the i18n key (and its arguments) of the operator's sentence for the code, "" for
// a code without one.
func (e *Error) ExplanationKey() (string, []any) {
	switch e.Errcode {
	case CodeInvalidCredential:
		if tokenPaths[e.Path] {
			return "wx.err.secret", nil
		}
		return "wx.err.token_not_latest", nil
	case CodeAPIUnauthorized:
		if e.Path == "/cgi-bin/freepublish/submit" {
			return "wx.err.publish_unverified", nil
		}
	case CodeIPNotWhitelisted:
		if m := ipPattern.FindStringSubmatch(e.Errmsg); m != nil {
			return "wx.err.ip.addr", []any{m[1]}
		}
		return "wx.err.ip", nil
	}
	return explanationKeys[e.Errcode], nil
}

// Explanation is the plain English sentence for the operator (the API's msg and the logs).
func (e *Error) Explanation() string {
	key, args := e.ExplanationKey()
	if key == "" {
		return ""
	}
	return i18n.Embedded().T(i18n.EN, key, args...)
}

// Errors of the transport, for the API edge: WeChat not answering in time is 50400; not reachable or
// answering something that is not WeChat's JSON is 50200.
var (
	ErrTimeout     = apperr.New(apperr.UpstreamTimeout, "WeChat did not answer in time").WithKey("err.wechat.timeout")
	ErrUnreachable = apperr.New(apperr.Upstream, "WeChat could not be reached").WithKey("err.wechat.unreachable")
	ErrBadAnswer   = apperr.New(apperr.Upstream, "WeChat answered with something that is not its JSON").WithKey("err.wechat.bad_answer")
	// ErrNotConfigured means the client was built without what a call needs (database, key, credentials).
	ErrNotConfigured = apperr.New(apperr.Internal, "the WeChat client is not fully configured")
)

// transportError classifies an HTTP failure. ctx is the caller's context: when the caller gave up, its
// own error is answered so nobody mistakes a cancelled request for WeChat being slow.
func transportError(ctx context.Context, path string, err error) error {
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("wechat %s: %w", path, ctx.Err())
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return apperr.Wrap(apperr.UpstreamTimeout, ErrTimeout.Msg, fmt.Errorf("wechat %s: %w", path, err)).WithKey("err.wechat.timeout")
	}
	return apperr.Wrap(apperr.Upstream, ErrUnreachable.Msg, fmt.Errorf("wechat %s: %w", path, err)).WithKey("err.wechat.unreachable")
}

package wxclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"

	"github.com/socialinzen/socialinzen/internal/apperr"
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

// Explanation is a plain sentence for the operator: what the code means for them and what to do.
func (e *Error) Explanation() string {
	switch e.Errcode {
	case CodeBusy:
		return "WeChat is busy; try again in a moment."
	case CodeInvalidCredential:
		if tokenPaths[e.Path] {
			return "The AppSecret is wrong: copy it again from WeChat's admin (Settings and Development › Basic Configuration)."
		}
		return "WeChat refused the access_token as invalid or not the latest: another system probably fetched a new token with this account's AppSecret; let only this console fetch tokens."
	case CodeInvalidSecret:
		return "The AppSecret is wrong: copy it again from WeChat's admin (Settings and Development › Basic Configuration)."
	case CodeInvalidAppID:
		return "The AppID is invalid: copy it again from WeChat's admin."
	case CodeIPNotWhitelisted:
		ip := "this server's IP"
		if m := ipPattern.FindStringSubmatch(e.Errmsg); m != nil {
			ip = "this server's IP (" + m[1] + ")"
		}
		return "WeChat refused the call from this server: add " + ip + " to the account's IP whitelist (Settings and Development › Basic Configuration)."
	case CodeSecretFrozen:
		return "The AppSecret is frozen: unfreeze or reset it in WeChat's admin."
	case 50004:
		return "WeChat forbids this account from fetching access tokens; see the notice in WeChat's admin."
	case 50007:
		return "The official account is frozen; see the notice in WeChat's admin."
	case 89503:
		return "An administrator must confirm calls from this IP: they received a request in WeChat."
	case 89506, 89507:
		return "An administrator refused calls from this IP; wait before trying again (24 hours, or 1 hour)."
	case CodeTokenExpired:
		return "The access_token expired."
	case CodeDailyQuota:
		return "The account has used its daily quota of this WeChat API; it renews at midnight (Beijing time), or can be reset once from WeChat's admin."
	case CodeMinuteQuota:
		return "Too many calls to this WeChat API this minute; wait a minute and try again."
	case CodeAPIUnauthorized:
		return "This account is not authorized for this WeChat API: the API needs another account type or WeChat verification (or, for web login, the snsapi_userinfo scope)."
	case CodeInvalidOpenID:
		return "The openid is not a follower of this official account."
	case CodeUserNotExist:
		return "This WeChat user does not exist or does not follow the account."
	case CodeInvalidMediaID:
		return "The media_id is unknown to WeChat for this account."
	case CodeMaterialInUse:
		return "The material is used by an automatic reply or the custom menu; remove it there first."
	case CodeInvalidCode, CodeCodeUsed, CodeCodeExpired:
		return "The WeChat login code is invalid, already used or expired; start the login again."
	case CodeInvalidRefreshToken, CodeRefreshTokenExpired:
		return "The user's WeChat login has expired; they must log in again."
	case 42007:
		return "The user changed their WeChat password; they must log in again."
	case CodeTooManyTags:
		return "The account already has 100 groups (WeChat's limit)."
	case CodeSysTag:
		return "WeChat's built-in groups (0, 1 and 2) cannot be changed."
	case CodeInvalidTagName:
		return "The group name is invalid or already used."
	case CodeTagNameTooLong:
		return "The group name is longer than 30 bytes."
	case CodeInvalidTagID:
		return "The group does not exist."
	case 45059:
		return "The follower already carries 20 groups (WeChat's limit)."
	case CodeMenuNotExist:
		return "The account has no custom menu."
	case CodeComponentNotAuthorized:
		return "The account has not authorized this console's third-party platform, or withdrew the authorization: authorize it again (scan to authorize)."
	case CodeComponentIP:
		return "WeChat refused the call from this server: add its IP to the third-party platform's IP whitelist (Open Platform › third-party platform › development settings)."
	case CodeTicketExpired, CodeTicketInvalid:
		return "WeChat's component_verify_ticket pushes are missing or stale: check the authorization-event URL, then restart the pushes from the settings page."
	case CodeRefreshTokenInvalid:
		return "The account's authorization is no longer valid: authorize it again (scan to authorize)."
	case 41005:
		return "WeChat received no file."
	case 40004, 40005:
		return "WeChat does not accept this type of file here."
	case 40009, 40010, 40011, 40012, 45001:
		return "The file is larger than WeChat accepts for this type."
	}
	return ""
}

// Errors of the transport, for the API edge: WeChat not answering in time is 50400; not reachable or
// answering something that is not WeChat's JSON is 50200.
var (
	ErrTimeout     = apperr.New(apperr.UpstreamTimeout, "WeChat did not answer in time")
	ErrUnreachable = apperr.New(apperr.Upstream, "WeChat could not be reached")
	ErrBadAnswer   = apperr.New(apperr.Upstream, "WeChat answered with something that is not its JSON")
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
		return apperr.Wrap(apperr.UpstreamTimeout, ErrTimeout.Msg, fmt.Errorf("wechat %s: %w", path, err))
	}
	return apperr.Wrap(apperr.Upstream, ErrUnreachable.Msg, fmt.Errorf("wechat %s: %w", path, err))
}

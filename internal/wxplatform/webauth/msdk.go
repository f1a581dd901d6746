package webauth

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// MSDK-style calls (contract §9, spec/msdk-wechat.zh.md §3.1) for the account's own game or web backends.
//
// Query: timestamp (Unix seconds), appid, sig, openid, encode, and optionally msdkExtInfo (letters, digits,
// underscore: echoed back). sig = lower-case hex md5(msdkKey + timestamp), the timestamp as sent; it is
// compared in constant time, and a timestamp more than 5 minutes from the console's clock fails. The body
// is JSON, as MSDK sends it under Content-Type application/x-www-form-urlencoded (form fields work too).
//
// Every answer is JSON {ret, msg, ...} with HTTP 200, MSDK's convention, except an unparsable body (HTTP
// 400, still {ret, msg}). ret 0 is success; on failure msg is "code, text". The codes:
const (
	RetOK          = 0
	RetBadSig      = -1 // sig is not md5(msdkKey + timestamp)
	RetStale       = -2 // timestamp missing, not a number, or more than 5 minutes away
	RetBadParams   = -3 // a parameter is missing or malformed, or the body is not JSON/form
	RetUnknownApp  = -4 // appid is not bound to this console
	RetUnavailable = -5 // WeChat did not answer (or answered nonsense), or the console failed
	// Any positive ret is WeChat's own errcode, passed through: 40001/42001 (access token invalid or
	// expired), 40003 (openid does not match the token), 40030/42002 (refresh token invalid or expired)…
)

// MaxClockSkew is how far an MSDK timestamp may be from the console's clock.
const MaxClockSkew = 300 * time.Second

const maxMSDKBody = 64 << 10

var extInfoPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,256}$`)

// msdkCall is a checked MSDK request.
type msdkCall struct {
	acct   *accounts.Account
	ext    string // msdkExtInfo to echo
	openid string // from the query
	body   map[string]any
}

// msdkAnswer writes {ret, msg, ...extra, msdkExtInfo?}.
func msdkAnswer(c *gin.Context, status, ret int, msg, ext string, extra gin.H) {
	out := gin.H{"ret": ret, "msg": msg}
	for k, v := range extra {
		out[k] = v
	}
	if ext != "" {
		out["msdkExtInfo"] = ext
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(status, out)
}

func msdkFail(c *gin.Context, ret int, text, ext string) {
	msdkAnswer(c, http.StatusOK, ret, strconv.Itoa(ret)+", "+text, ext, nil)
}

// begin checks the query and reads the body; on failure it has answered.
func (h *Handler) begin(c *gin.Context) (msdkCall, bool) {
	q := c.Request.URL.Query()
	var call msdkCall
	if ext := q.Get("msdkExtInfo"); ext != "" {
		if !extInfoPattern.MatchString(ext) {
			msdkFail(c, RetBadParams, "msdkExtInfo must be 1 to 256 letters, digits or underscores", "")
			return call, false
		}
		call.ext = ext
	}
	body, err := readMSDKBody(c.Request)
	if err != nil {
		msdkAnswer(c, http.StatusBadRequest, RetBadParams, strconv.Itoa(RetBadParams)+", "+err.Error(), call.ext, nil)
		return call, false
	}
	call.body = body
	appid := strings.TrimSpace(q.Get("appid"))
	if appid == "" {
		msdkFail(c, RetBadParams, "appid is missing", call.ext)
		return call, false
	}
	a, err := h.Service.opts.Accounts.ByAppID(c.Request.Context(), appid)
	if errors.Is(err, accounts.ErrNotFound) {
		msdkFail(c, RetUnknownApp, "appid is not bound to this console", call.ext)
		return call, false
	}
	if err != nil {
		h.Service.log.ErrorContext(c.Request.Context(), "msdk: account lookup", "err", err)
		msdkFail(c, RetUnavailable, "internal error", call.ext)
		return call, false
	}
	call.acct = a
	ts := q.Get("timestamp")
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		msdkFail(c, RetStale, "timestamp is missing or not a number of seconds", call.ext)
		return call, false
	}
	if skew := h.Service.now().Sub(time.Unix(n, 0)); skew > MaxClockSkew || skew < -MaxClockSkew {
		msdkFail(c, RetStale, "timestamp is more than 5 minutes away from the server's clock", call.ext)
		return call, false
	}
	if !SigOK(a.MsdkKey, ts, q.Get("sig")) {
		msdkFail(c, RetBadSig, "sig is not md5(msdkKey + timestamp)", call.ext)
		return call, false
	}
	call.openid = strings.TrimSpace(q.Get("openid"))
	return call, true
}

// Sig is the MSDK signature: lower-case hex md5(msdkKey + timestamp).
func Sig(msdkKey, timestamp string) string {
	sum := md5.Sum([]byte(msdkKey + timestamp))
	return hex.EncodeToString(sum[:])
}

// SigOK compares sig with the expected signature in constant time (case-insensitive hex).
func SigOK(msdkKey, timestamp, sig string) bool {
	want := Sig(msdkKey, timestamp)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(strings.TrimSpace(sig))), []byte(want)) == 1
}

// readMSDKBody reads a JSON object (whatever the Content-Type says) or form fields; an empty body is
// no fields.
func readMSDKBody(r *http.Request) (map[string]any, error) {
	out := map[string]any{}
	if r.Body == nil {
		return out, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxMSDKBody+1))
	if err != nil {
		return nil, errors.New("the body could not be read")
	}
	if len(data) > maxMSDKBody {
		return nil, errors.New("the body is larger than 64 KB")
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return out, nil
	}
	if data[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil || dec.More() {
			return nil, errors.New("the body is not a valid JSON object")
		}
		return out, nil
	}
	vals, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, errors.New("the body is neither a JSON object nor form fields")
	}
	for k, v := range vals {
		out[k] = v[0]
	}
	return out, nil
}

// field answers a text field of the body ("" when absent; ok false when it is not text).
func field(body map[string]any, key string) (string, bool) {
	switch v := body[key].(type) {
	case nil:
		return "", true
	case string:
		return strings.TrimSpace(v), true
	}
	return "", false
}

// wechatFail answers the failure of a WeChat call: WeChat's code passed through, else -3 or -5.
func (h *Handler) wechatFail(c *gin.Context, err error, ext string) {
	var wx *wxclient.Error
	switch {
	case errors.As(err, &wx) && wx.Errcode <= 0:
		// WeChat busy (-1), still after the client's retries: not to be confused with our own codes.
		msdkFail(c, RetUnavailable, "WeChat is busy, try again", ext)
	case errors.As(err, &wx):
		msg := wx.Errmsg
		if i := strings.Index(msg, " rid:"); i > 0 {
			msg = msg[:i]
		}
		msdkFail(c, wx.Errcode, msg, ext)
	case apperr.KindOf(err) == apperr.Invalid:
		var ae *apperr.Error
		errors.As(err, &ae)
		msdkFail(c, RetBadParams, ae.Msg, ext)
	case apperr.KindOf(err) == apperr.UpstreamTimeout || errors.Is(err, context.DeadlineExceeded):
		msdkFail(c, RetUnavailable, "WeChat did not answer in time", ext)
	case apperr.KindOf(err) == apperr.Upstream:
		msdkFail(c, RetUnavailable, "WeChat could not be reached", ext)
	default:
		h.Service.log.ErrorContext(c.Request.Context(), "msdk call failed", "err", err)
		msdkFail(c, RetUnavailable, "internal error", ext)
	}
}

// checkToken is /auth/check_token {accessToken, openid}: WeChat's sns/auth.
func (h *Handler) checkToken(c *gin.Context) {
	call, ok := h.begin(c)
	if !ok {
		return
	}
	token, ok1 := field(call.body, "accessToken")
	openid, ok2 := field(call.body, "openid")
	switch {
	case !ok1 || token == "":
		msdkFail(c, RetBadParams, "accessToken is missing", call.ext)
		return
	case !ok2:
		msdkFail(c, RetBadParams, "openid must be text", call.ext)
		return
	case openid == "":
		openid = call.openid
	case call.openid != "" && call.openid != openid:
		msdkFail(c, RetBadParams, "openid differs between the URL and the body", call.ext)
		return
	}
	if openid == "" {
		msdkFail(c, RetBadParams, "openid is missing", call.ext)
		return
	}
	if err := h.Service.opts.WeChat.OAuthCheck(c.Request.Context(), call.acct.AppID, token, openid); err != nil {
		h.wechatFail(c, err, call.ext)
		return
	}
	msdkAnswer(c, http.StatusOK, RetOK, "ok", call.ext, nil)
}

// refreshToken is /auth/refresh_token {appid, refreshToken}: WeChat's sns/oauth2/refresh_token. The new
// tokens replace the follower's stored ones.
func (h *Handler) refreshToken(c *gin.Context) {
	call, ok := h.begin(c)
	if !ok {
		return
	}
	refresh, ok1 := field(call.body, "refreshToken")
	appid, ok2 := field(call.body, "appid")
	switch {
	case !ok1 || refresh == "":
		msdkFail(c, RetBadParams, "refreshToken is missing", call.ext)
		return
	case !ok2 || (appid != "" && appid != call.acct.AppID):
		msdkFail(c, RetBadParams, "appid differs between the URL and the body", call.ext)
		return
	}
	ctx := c.Request.Context()
	tok, err := h.Service.opts.WeChat.OAuthRefreshToken(ctx, call.acct.AppID, refresh)
	if err != nil {
		h.wechatFail(c, err, call.ext)
		return
	}
	if err := h.Service.st.saveTokens(ctx, call.acct.ID, tok, nil, true, h.Service.now()); err != nil {
		// The caller has its tokens; the console's copy is only a convenience.
		h.Service.log.WarnContext(ctx, "msdk: store refreshed tokens", "appid", call.acct.AppID, "err", err)
	}
	msdkAnswer(c, http.StatusOK, RetOK, "success", call.ext, gin.H{
		"accessToken": tok.AccessToken, "expiresIn": tok.ExpiresIn, "refreshToken": tok.RefreshToken,
		"openid": tok.OpenID, "scope": tok.Scope,
	})
}

package component

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// StateTTL is how long an authorization link's state is honoured.
const StateTTL = 10 * time.Minute

// ReturnPath is where WeChat sends the administrator back after authorizing.
const ReturnPath = "/wxplatform/component/return"

// AuthorizeURL answers a fresh authorization link for the operator: WeChat's componentloginpage (a QR
// code the account's administrator scans), or with mobile the bindcomponent link opened in WeChat on a
// phone. The return URL carries a signed state naming the operator, valid 10 minutes.
func (s *Service) AuthorizeURL(ctx context.Context, userID int64, mobile bool) (string, error) {
	var pre wxclient.PreAuthCode
	err := s.withToken(ctx, func(tok string) error {
		var err error
		pre, err = s.opts.WeChat.CreatePreAuthCode(ctx, tok, s.AppID())
		return err
	})
	if err != nil {
		return "", err
	}
	if err := s.rememberPreAuth(ctx, pre.PreAuthCode, userID, s.now().Add(wxclient.Seconds(pre.ExpiresIn))); err != nil {
		return "", err
	}
	redirect := s.opts.BaseURL + ReturnPath + "?state=" + url.QueryEscape(s.signState(userID, s.now().Add(StateTTL)))
	return s.opts.WeChat.ComponentLoginPageURL(s.AppID(), pre.PreAuthCode, redirect, mobile), nil
}

// signState makes "uid.expiry.nonce.mac" (hex HMAC-SHA256 under a key derived from SECRET_KEY).
func (s *Service) signState(userID int64, exp time.Time) string {
	n := make([]byte, 8)
	_, _ = rand.Read(n)
	payload := strconv.FormatInt(userID, 10) + "." + strconv.FormatInt(exp.Unix(), 10) + "." + hex.EncodeToString(n)
	return payload + "." + s.mac(payload)
}

func (s *Service) mac(payload string) string {
	m := hmac.New(sha256.New, s.state)
	m.Write([]byte("component-state|" + payload))
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyState answers the operator a state names, or ErrBadState when it is forged or expired.
func (s *Service) VerifyState(state string) (int64, error) {
	if len(state) > 256 {
		return 0, ErrBadState
	}
	i := strings.LastIndexByte(state, '.')
	if i < 0 {
		return 0, ErrBadState
	}
	payload, mac := state[:i], state[i+1:]
	if !hmac.Equal([]byte(mac), []byte(s.mac(payload))) {
		return 0, ErrBadState
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 {
		return 0, ErrBadState
	}
	uid, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || uid <= 0 || s.now().Unix() > exp {
		return 0, ErrBadState
	}
	return uid, nil
}

// Outcome of completing an authorization from the return URL.
var (
	// ErrWeChatDown: WeChat did not answer while exchanging the auth_code; the authorized push will
	// complete the binding.
	ErrWeChatDown = errors.New("component: WeChat is unavailable; the authorized push will complete the binding")
)

// Return completes the authorization the administrator just gave: the state names the operator, the
// auth_code is exchanged (api_query_auth), the account described (api_get_authorizer_info) and bound to
// the operator. An account another operator owns is accounts.ErrAlreadyBound, nothing changed; WeChat
// down is ErrWeChatDown (wrapping WeChat's error).
func (s *Service) Return(ctx context.Context, authCode, state string) (*accounts.Account, error) {
	uid, err := s.VerifyState(state)
	if err != nil {
		return nil, err
	}
	authCode = strings.TrimSpace(authCode)
	if authCode == "" || len(authCode) > 512 {
		return nil, ErrBadState
	}
	a, err := s.complete(ctx, uid, authCode)
	if err != nil && isWeChatDown(err) {
		return nil, fmt.Errorf("%w: %w", ErrWeChatDown, err)
	}
	return a, err
}

// complete exchanges an auth_code and binds (or updates) the account for userID (0: update an account
// already bound only). The WeChat calls run before, and outside, the database transaction.
func (s *Service) complete(ctx context.Context, userID int64, authCode string) (*accounts.Account, error) {
	var info wxclient.AuthorizationInfo
	err := s.withToken(ctx, func(tok string) error {
		var err error
		info, err = s.opts.WeChat.QueryAuth(ctx, tok, s.AppID(), authCode)
		return err
	})
	if err != nil {
		return nil, err
	}
	in := accounts.AuthorizedInput{AppID: info.AuthorizerAppID, FuncScope: info.FuncScope(), RefreshToken: info.AuthorizerRefreshToken}
	var ai wxclient.AuthorizerInfoResponse
	err = s.withToken(ctx, func(tok string) error {
		var err error
		ai, err = s.opts.WeChat.GetAuthorizerInfo(ctx, tok, s.AppID(), info.AuthorizerAppID)
		return err
	})
	if err != nil {
		// The account can be bound without its description; the next updateauthorized fills it in.
		s.log.WarnContext(ctx, "api_get_authorizer_info failed; binding without the account's name", "appid", info.AuthorizerAppID, "err", err)
	} else {
		st, vt := ai.AuthorizerInfo.ServiceTypeInfo.ID, ai.AuthorizerInfo.VerifyTypeInfo.ID
		in.Name, in.OriginalID, in.ServiceType, in.VerifyType = ai.AuthorizerInfo.NickName, ai.AuthorizerInfo.UserName, &st, &vt
	}
	a, err := s.opts.Accounts.SaveAuthorized(ctx, userID, in)
	if err != nil {
		return nil, err
	}
	if info.AuthorizerAccessToken != "" {
		if err := s.opts.WeChat.PutAccessToken(ctx, a.AppID, info.AuthorizerAccessToken, wxclient.Seconds(info.ExpiresIn)); err != nil {
			s.log.WarnContext(ctx, "keep the authorizer token", "appid", a.AppID, "err", err)
		}
	}
	return a, nil
}

package wxemu

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// WeChat's web-OAuth lifetimes.
const (
	oauthCodeTTL    = 5 * time.Minute
	refreshTokenTTL = 30 * 24 * time.Hour
)

type oauthCode struct {
	appid, openid, scope string
	expires              time.Time
	used                 bool
}

type snsToken struct {
	appid, openid, scope string
	expires              time.Time
}

type snsRefresh struct {
	appid, openid, scope string
	expires              time.Time
}

// authorizeReq is a checked /connect/oauth2/authorize request.
type authorizeReq struct {
	appid, redirectURI, scope, state string
}

// parseAuthorize checks the authorize parameters as WeChat's OAuth page does. On failure it answers the
// number and text WeChat's "Oops! Something went wrong:(" page shows.
func (e *Emulator) parseAuthorize(v url.Values) (authorizeReq, string) {
	a := authorizeReq{appid: v.Get("appid"), redirectURI: v.Get("redirect_uri"), scope: v.Get("scope"), state: v.Get("state")}
	switch {
	case a.appid == "":
		return a, "10012 appid 不能为空 (appid missing)"
	case a.redirectURI == "":
		return a, "10011 redirect_uri 不能为空 (redirect_uri missing)"
	case a.scope == "":
		return a, "10010 scope 不能为空 (scope missing)"
	case v.Get("response_type") != "code":
		return a, "response_type 参数错误 (response_type must be code)"
	case a.scope != "snsapi_base" && a.scope != "snsapi_userinfo":
		return a, "10005 此公众号并没有这些 scope 的权限 (invalid scope)"
	}
	u, err := url.Parse(a.redirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return a, "10003 redirect_uri 参数错误 (invalid redirect_uri)"
	}
	e.mu.Lock()
	known := e.account(a.appid) != nil
	e.mu.Unlock()
	if !known {
		return a, "10003 appid 无效 (unknown appid)"
	}
	if cid := v.Get("component_appid"); cid != "" {
		return a, e.componentOAuthProblem(a.appid, cid)
	}
	return a, ""
}

// handleAuthorize serves GET /connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope&state
// (the #wechat_redirect fragment never reaches a server). With Options.AutoConsent it redirects at once
// to redirect_uri?code=CODE&state=STATE for the SetOAuthUser user (default: the first follower);
// otherwise it shows a consent page to pick a follower and allow or refuse.
func (e *Emulator) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	a, problem := e.parseAuthorize(r.URL.Query())
	if problem != "" {
		oauthErrorPage(w, problem)
		return
	}
	if !e.opts.AutoConsent {
		e.consentPage(w, a)
		return
	}
	e.mu.Lock()
	acc := e.account(a.appid)
	var f *follower
	switch {
	case acc.oauthUser != "":
		f = acc.ensureUser(acc.oauthUser)
	case len(acc.order) > 0:
		f = acc.order[0]
	default:
		f = acc.ensureUser("")
	}
	code := e.issueCode(a, f.OpenID)
	e.mu.Unlock()
	http.Redirect(w, r, withParams(a.redirectURI, "code", code, "state", a.state), http.StatusFound)
}

// handleConsent serves the consent page's form: POST /connect/oauth2/consent with the authorize
// parameters, openid and action=allow|deny. Refusal redirects with the state only, as WeChat does.
func (e *Emulator) handleConsent(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthErrorPage(w, "bad form")
		return
	}
	a, problem := e.parseAuthorize(r.PostForm)
	if problem != "" {
		oauthErrorPage(w, problem)
		return
	}
	if r.PostForm.Get("action") != "allow" {
		http.Redirect(w, r, withParams(a.redirectURI, "state", a.state), http.StatusFound)
		return
	}
	e.mu.Lock()
	f := e.account(a.appid).ensureUser(r.PostForm.Get("openid"))
	code := e.issueCode(a, f.OpenID)
	e.mu.Unlock()
	http.Redirect(w, r, withParams(a.redirectURI, "code", code, "state", a.state), http.StatusFound)
}

// issueCode makes a single-use code for openid. The caller holds e.mu.
func (e *Emulator) issueCode(a authorizeReq, openid string) string {
	now := e.now()
	for c, oc := range e.oauthCodes {
		if now.Sub(oc.expires) > 24*time.Hour {
			delete(e.oauthCodes, c)
		}
	}
	code := randString(alnum, 32)
	e.oauthCodes[code] = &oauthCode{appid: a.appid, openid: openid, scope: a.scope, expires: now.Add(oauthCodeTTL)}
	return code
}

// withParams appends query parameters to a URL as WeChat does, before any fragment.
func withParams(raw string, kv ...string) string {
	frag := ""
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw, frag = raw[:i], raw[i:]
	}
	var b strings.Builder
	b.WriteString(raw)
	sep := "?"
	if strings.Contains(raw, "?") {
		sep = "&"
	}
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(sep + kv[i] + "=" + url.QueryEscape(kv[i+1]))
		sep = "&"
	}
	return b.String() + frag
}

// snsTokenResp is the answer of sns/oauth2/access_token and sns/oauth2/refresh_token.
type snsTokenResp struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	OpenID       string `json:"openid"`
	Scope        string `json:"scope"`
}

// snsApp checks appid (and secret, when wantSecret) of the sns endpoints. The caller holds e.mu.
func (e *Emulator) snsApp(q url.Values, wantSecret bool) *apiError {
	appid := q.Get("appid")
	switch {
	case appid == "":
		return wxErr(codeMissingAppID)
	case e.account(appid) == nil:
		return wxErr(codeInvalidAppID)
	case !wantSecret:
		return nil
	case q.Get("secret") == "":
		return wxErr(codeMissingSecret)
	case q.Get("secret") != e.account(appid).Secret:
		return wxErr(codeInvalidSecret)
	}
	return nil
}

// handleSNSAccessToken serves GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code.
// The code is single use (40163 again), lives 5 minutes (42003), unknown or another account's 40029.
func (e *Emulator) handleSNSAccessToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	if ae := e.snsApp(q, true); ae != nil {
		writeJSON(w, ae)
		return
	}
	if q.Get("grant_type") != "authorization_code" {
		writeJSON(w, wxErr(codeInvalidGrantType))
		return
	}
	e.redeemOAuthCode(w, q)
}

// redeemOAuthCode answers an access token for q's code: single use (40163 again), 5 minutes (42003), unknown
// or another account's 40029. The caller holds e.mu.
func (e *Emulator) redeemOAuthCode(w http.ResponseWriter, q url.Values) {
	code := q.Get("code")
	if code == "" {
		writeJSON(w, wxErr(codeMissingCode))
		return
	}
	oc := e.oauthCodes[code]
	now := e.now()
	switch {
	case oc == nil || oc.appid != q.Get("appid"):
		writeJSON(w, wxErr(codeInvalidCode))
		return
	case oc.used:
		writeJSON(w, wxErr(codeCodeUsed))
		return
	case !now.Before(oc.expires):
		writeJSON(w, wxErr(codeCodeExpired))
		return
	}
	oc.used = true
	refresh := randString(openidChars, 86)
	e.snsRefresh[refresh] = &snsRefresh{appid: oc.appid, openid: oc.openid, scope: oc.scope, expires: now.Add(refreshTokenTTL)}
	writeJSON(w, e.issueSNSToken(oc.appid, oc.openid, oc.scope, refresh, now))
}

// issueSNSToken makes an OAuth access token. The caller holds e.mu.
func (e *Emulator) issueSNSToken(appid, openid, scope, refresh string, now time.Time) snsTokenResp {
	for s, t := range e.snsTokens {
		if now.Sub(t.expires) > 24*time.Hour {
			delete(e.snsTokens, s)
		}
	}
	tok := "86_" + randString(openidChars, 133)
	e.snsTokens[tok] = &snsToken{appid: appid, openid: openid, scope: scope, expires: now.Add(e.ttl)}
	return snsTokenResp{AccessToken: tok, ExpiresIn: int(e.ttl / time.Second), RefreshToken: refresh, OpenID: openid, Scope: scope}
}

// handleSNSRefresh serves GET /sns/oauth2/refresh_token?appid&grant_type=refresh_token&refresh_token:
// a new access token with the same refresh_token; unknown 40030, older than 30 days 42002.
func (e *Emulator) handleSNSRefresh(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	if ae := e.snsApp(q, false); ae != nil {
		writeJSON(w, ae)
		return
	}
	if q.Get("grant_type") != "refresh_token" {
		writeJSON(w, wxErr(codeInvalidGrantType))
		return
	}
	rt := q.Get("refresh_token")
	if rt == "" {
		writeJSON(w, wxErr(codeMissingRefresh))
		return
	}
	st := e.snsRefresh[rt]
	now := e.now()
	switch {
	case st == nil || st.appid != q.Get("appid"):
		writeJSON(w, wxErr(codeInvalidRefreshToken))
		return
	case !now.Before(st.expires):
		writeJSON(w, wxErr(codeRefreshExpired))
		return
	}
	writeJSON(w, e.issueSNSToken(st.appid, st.openid, st.scope, rt, now))
}

// checkSNSToken resolves an OAuth access token and checks it belongs to openid: missing 41001, unknown
// 40001, expired 42001, another user's 40003. The caller holds e.mu.
func (e *Emulator) checkSNSToken(q url.Values) (*snsToken, *apiError) {
	tok := q.Get("access_token")
	if tok == "" {
		return nil, wxErr(codeMissingToken)
	}
	t := e.snsTokens[tok]
	switch {
	case t == nil:
		return nil, wxErr(codeInvalidCredential)
	case !e.now().Before(t.expires):
		return nil, wxErr(codeTokenExpired)
	case q.Get("openid") != t.openid:
		return nil, wxErr(codeInvalidOpenID)
	}
	return t, nil
}

// handleSNSAuth serves GET /sns/auth?access_token&openid → {"errcode":0,"errmsg":"ok"}.
func (e *Emulator) handleSNSAuth(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ae := e.checkSNSToken(r.URL.Query()); ae != nil {
		writeJSON(w, ae)
		return
	}
	writeJSON(w, okResp)
}

// snsUserInfo is the answer of sns/userinfo.
type snsUserInfo struct {
	OpenID     string   `json:"openid"`
	Nickname   string   `json:"nickname"`
	Sex        int      `json:"sex"`
	Province   string   `json:"province"`
	City       string   `json:"city"`
	Country    string   `json:"country"`
	HeadImgURL string   `json:"headimgurl"`
	Privilege  []string `json:"privilege"`
}

// handleSNSUserInfo serves GET /sns/userinfo?access_token&openid&lang; a snsapi_base token is 48001.
func (e *Emulator) handleSNSUserInfo(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ae := e.checkSNSToken(r.URL.Query())
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	if t.scope != "snsapi_userinfo" {
		writeJSON(w, wxErr(codeAPIUnauthorized))
		return
	}
	acc := e.account(t.appid)
	if acc == nil {
		writeJSON(w, wxErr(codeInvalidCredential))
		return
	}
	f := acc.ensureUser(t.openid)
	writeJSON(w, snsUserInfo{OpenID: f.OpenID, Nickname: f.Nickname, Sex: f.Sex, Province: f.Province,
		City: f.City, Country: f.Country, HeadImgURL: f.HeadImgURL, Privilege: []string{}})
}

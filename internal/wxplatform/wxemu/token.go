package wxemu

import (
	"net/http"
	"time"
)

// accessToken is one base access_token handed out by cgi-bin/token or cgi-bin/stable_token.
type accessToken struct {
	value     string
	appid     string
	stable    bool
	issued    time.Time
	expires   time.Time
	revokedAt time.Time // zero while it is the latest; after it, "invalid or not latest" (40001)
}

// tokenResp is the answer of cgi-bin/token and cgi-bin/stable_token.
type tokenResp struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// handleToken serves GET /cgi-bin/token?grant_type=client_credential&appid=APPID&secret=APPSECRET.
func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	acc, ae := e.checkCredentials(q.Get("grant_type"), q.Get("appid"), q.Get("secret"))
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	now := e.now()
	// A new fetch makes every earlier ordinary token of the account "not latest" (after the overlap).
	// Stable tokens are a separate series and are not touched.
	for _, t := range e.tokens {
		if t.appid == acc.AppID && !t.stable && t.revokedAt.IsZero() {
			t.revokedAt = now.Add(e.opts.TokenOverlap)
		}
	}
	tok := e.issueToken(acc, false, now)
	writeJSON(w, tokenResp{AccessToken: tok, ExpiresIn: int(e.ttl / time.Second)})
}

// handleStableToken serves POST /cgi-bin/stable_token with
// {"grant_type":"client_credential","appid":"...","secret":"...","force_refresh":false}.
// Without force_refresh the current stable token is answered again with its remaining lifetime, and a
// new one only once the current one is within 5 minutes of expiry (the previous one then lives out its
// own lifetime, as WeChat does). force_refresh issues a new one and retires the previous one.
func (e *Emulator) handleStableToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc, ae := e.checkCredentials(req.GrantType, req.AppID, req.Secret)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	now := e.now()
	cur := acc.stable
	usable := cur != nil && cur.revokedAt.IsZero() && cur.expires.Sub(now) > 5*time.Minute
	if usable && !req.ForceRefresh {
		acc.tokenFetches++
		writeJSON(w, tokenResp{AccessToken: cur.value, ExpiresIn: int(cur.expires.Sub(now) / time.Second)})
		return
	}
	if cur != nil && req.ForceRefresh && cur.revokedAt.IsZero() {
		cur.revokedAt = now.Add(e.opts.TokenOverlap)
	}
	tok := e.issueToken(acc, true, now)
	writeJSON(w, tokenResp{AccessToken: tok, ExpiresIn: int(e.ttl / time.Second)})
}

// checkCredentials validates the parameters of both token endpoints, in the order WeChat reports them.
// The caller holds e.mu.
func (e *Emulator) checkCredentials(grantType, appid, secret string) (*account, *apiError) {
	if grantType != "client_credential" {
		return nil, wxErr(codeInvalidGrantType)
	}
	if appid == "" {
		return nil, wxErr(codeMissingAppID)
	}
	acc := e.account(appid)
	if acc == nil {
		return nil, wxErr(codeInvalidAppID)
	}
	if secret == "" {
		return nil, wxErr(codeMissingSecret)
	}
	if secret != acc.Secret {
		return nil, wxErr(codeInvalidSecret)
	}
	return acc, nil
}

// issueToken creates a token for acc. The caller holds e.mu.
func (e *Emulator) issueToken(acc *account, stable bool, now time.Time) string {
	e.pruneTokens(now)
	// WeChat's tokens are long (store ≥ 512 chars, the docs say); today's are ~136, "86_..." style.
	tok := "86_" + randString(openidChars, 133)
	t := &accessToken{value: tok, appid: acc.AppID, stable: stable, issued: now, expires: now.Add(e.ttl)}
	e.tokens[tok] = t
	if stable {
		acc.stable = t
	}
	acc.tokenFetches++
	return tok
}

// pruneTokens forgets tokens that ended more than a day ago, so a long-running sandbox stays small.
func (e *Emulator) pruneTokens(now time.Time) {
	for s, t := range e.tokens {
		end := t.expires
		if !t.revokedAt.IsZero() && t.revokedAt.Before(end) {
			end = t.revokedAt
		}
		if now.Sub(end) > 24*time.Hour {
			delete(e.tokens, s)
		}
	}
}

// checkToken resolves the access_token of a request to its account: missing 41001, unknown or no longer
// the latest 40001, expired 42001.
func (e *Emulator) checkToken(tok string) (string, *apiError) {
	if tok == "" {
		return "", wxErr(codeMissingToken)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tokens[tok]
	if !ok || e.account(t.appid) == nil {
		return "", wxErr(codeInvalidCredential)
	}
	now := e.now()
	if !t.revokedAt.IsZero() && !now.Before(t.revokedAt) {
		return "", wxErr(codeInvalidCredential)
	}
	if !now.Before(t.expires) {
		return "", wxErr(codeTokenExpired)
	}
	return t.appid, nil
}

// InvalidateTokens makes every current access_token of appid invalid at once (40001), as when another
// party fetched a new one.
func (e *Emulator) InvalidateTokens(appid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	for _, t := range e.tokens {
		if t.appid == appid && (t.revokedAt.IsZero() || t.revokedAt.After(now)) {
			t.revokedAt = now
		}
	}
}

// ExpireTokens makes every current access_token and the jsapi ticket of appid expire now (42001).
func (e *Emulator) ExpireTokens(appid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	for _, t := range e.tokens {
		if t.appid == appid && t.expires.After(now) {
			t.expires = now
		}
	}
	if acc := e.account(appid); acc != nil {
		acc.ticketExpires = now
	}
}

// TokenRequests is how many cgi-bin/token and cgi-bin/stable_token calls for appid succeeded.
func (e *Emulator) TokenRequests(appid string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		return acc.tokenFetches
	}
	return 0
}

// JSAPITicket returns the account's current jsapi_ticket ("" before the first getticket), so a test can
// check a JS-SDK signature.
func (e *Emulator) JSAPITicket(appid string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		return acc.ticket
	}
	return ""
}

type ticketResp struct {
	Errcode   int    `json:"errcode"`
	Errmsg    string `json:"errmsg"`
	Ticket    string `json:"ticket"`
	ExpiresIn int    `json:"expires_in"`
}

// handleGetTicket serves GET /cgi-bin/ticket/getticket?access_token=...&type=jsapi. The same ticket is
// answered until it expires. Any other type (WeChat's wx_card included, which the emulator does not
// model) is 40035: WeChat documents no code for it.
func (e *Emulator) handleGetTicket(w http.ResponseWriter, r *http.Request, appid string) {
	typ := r.URL.Query().Get("type")
	if typ != "jsapi" {
		writeJSON(w, wxErr(codeInvalidArgs, "type"))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	now := e.now()
	if acc.ticket == "" || !now.Before(acc.ticketExpires) {
		acc.ticket = randString(openidChars, 86)
		acc.ticketExpires = now.Add(e.ttl)
	}
	writeJSON(w, ticketResp{Errmsg: "ok", Ticket: acc.ticket, ExpiresIn: int(acc.ticketExpires.Sub(now) / time.Second)})
}

// AccessTokens returns every access_token ever issued for appid (ordinary and stable, current or not),
// so a test can check that none of them was written where it must not be (the audit log, the logs).
func (e *Emulator) AccessTokens(appid string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for tok, t := range e.tokens {
		if t.appid == appid {
			out = append(out, tok)
		}
	}
	return out
}

package wxemu

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// The Open Platform's third-party platform ("component", contract §15) as WeChat speaks it: the
// component_verify_ticket push, the component API under /cgi-bin/component/, the administrator's
// authorization page (componentloginpage, and the mobile bindcomponent link), the authorized,
// updateauthorized and unauthorized pushes, and the authorizer access_tokens every other endpoint
// accepts like an account's own.

// WeChat's component error codes and their errmsg.
const (
	codeComponentNotAuthorized = 61003
	codeComponentIP            = 61004
	codeTicketExpired          = 61005
	codeTicketInvalid          = 61006
	// codeAuthCodeInvalid and codeAuthCodeExpired answer a bad authorization_code in api_query_auth.
	codeAuthCodeInvalid     = 61009
	codeAuthCodeExpired     = 61010
	codeRefreshTokenInvalid = 61023
)

func init() {
	errmsgs[codeComponentNotAuthorized] = "component is not authorized by this account"
	errmsgs[codeComponentIP] = "access clientip is not registered"
	errmsgs[codeTicketExpired] = "component ticket is expired"
	errmsgs[codeTicketInvalid] = "component ticket is invalid"
	errmsgs[codeAuthCodeInvalid] = "code is invalid"
	errmsgs[codeAuthCodeExpired] = "code is expired"
	errmsgs[codeRefreshTokenInvalid] = "refresh_token is invalid"
}

// Lifetimes WeChat documents for the component.
const (
	ticketTTL      = 12 * time.Hour
	preAuthCodeTTL = 1800 * time.Second
	authCodeTTL    = 3600 * time.Second
)

// Component is a third-party platform known to the emulator: its credentials as the Open Platform shows
// them.
type Component struct {
	AppID          string `json:"appid"`
	Secret         string `json:"secret"`
	Token          string `json:"token"`
	EncodingAESKey string `json:"encodingAESKey"`
	Name           string `json:"name,omitempty"`
}

// component is the emulator's state of one component. Guarded by Emulator.mu.
type component struct {
	Component
	eventURL    string
	callbackURL string // message URL with $APPID$
	tickets     map[string]time.Time
	latest      string
	ipBlocked   bool
	tokenCalls  int
	pushes      []Push
	candidates  []string // demo accounts its consent page offers
	authorized  map[string]*authorization
	authorizers map[string]int // api_authorizer_token calls per authorizer
}

type authorization struct {
	refreshToken string
	funcScope    []int
	revoked      bool
}

type componentToken struct {
	component string
	expires   time.Time
}

type preAuthCode struct {
	component string
	expires   time.Time
	used      bool
}

type authCode struct {
	component, appid string
	expires          time.Time
}

// componentState is the emulator's component bookkeeping. Guarded by Emulator.mu.
type componentState struct {
	components map[string]*component
	demo       string
	tokens     map[string]*componentToken
	preAuth    map[string]*preAuthCode
	authCodes  map[string]*authCode
	via        map[string]string // authorizer appid -> component appid
}

func newComponentState() *componentState {
	return &componentState{
		components: map[string]*component{},
		tokens:     map[string]*componentToken{},
		preAuth:    map[string]*preAuthCode{},
		authCodes:  map[string]*authCode{},
		via:        map[string]string{},
	}
}

// cs answers the emulator's component state. The caller holds e.mu.
func (e *Emulator) cs() *componentState { return e.comp }

// DefaultFuncScope is what the consent page grants by default: message management (1), user management
// (2), account services (3), web services (4), mass messages (7), materials (11), custom menu (15).
var DefaultFuncScope = []int{1, 2, 3, 4, 7, 11, 15}

// Push is one push the emulator made to a component's authorization-event URL.
type Push struct {
	InfoType string
	AppID    string // the authorizer, for authorization pushes
	Status   int
	Body     string // what the event URL answered
	Err      string
}

// AddComponent registers a component, or replaces the credentials of one with the same AppID.
func (e *Emulator) AddComponent(c Component) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.cs()
	if cur, ok := st.components[c.AppID]; ok {
		cur.Component = c
		return
	}
	st.components[c.AppID] = &component{Component: c, tickets: map[string]time.Time{},
		authorized: map[string]*authorization{}, authorizers: map[string]int{}}
	if st.demo == "" {
		st.demo = c.AppID
	}
}

// NewComponent creates and registers a component with random credentials.
func (e *Emulator) NewComponent(name string) Component {
	c := Component{AppID: "wx" + randHex(16), Secret: randHex(32), Token: randString(alnum, 32),
		EncodingAESKey: randString(alnum, 43), Name: name}
	e.AddComponent(c)
	return c
}

// DemoComponent answers the sandbox's demo component, creating it (and the three demo accounts its
// consent page offers) on first use.
func (e *Emulator) DemoComponent() Component {
	e.mu.Lock()
	st := e.cs()
	id := st.demo
	e.mu.Unlock()
	if id == "" {
		c := e.NewComponent("沙盒第三方平台 Sandbox Platform")
		e.SetComponentCandidates(c.AppID, e.demoCandidates(c.AppID))
		return c
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return st.components[id].Component
}

// SetDemoComponent fixes the demo component's credentials (the console derives them from SECRET_KEY so
// they survive a restart) and gives it three demo accounts to authorize. Call it once, before serving.
func (e *Emulator) SetDemoComponent(c Component) {
	e.mu.Lock()
	e.cs().demo = c.AppID
	e.mu.Unlock()
	e.AddComponent(c)
	e.SetComponentCandidates(c.AppID, e.demoCandidates(c.AppID))
}

// demoCandidates makes the demo accounts an administrator can pick on the consent page, with
// followers; their ids derive from the component's, so they are stable across restarts.
func (e *Emulator) demoCandidates(componentAppID string) []string {
	names := []string{"组件演示号甲 Platform Demo A", "组件演示号乙 Platform Demo B", "组件演示号丙 Platform Demo C"}
	var out []string
	for i, n := range names {
		appid := "wx" + deriveHex(componentAppID+"-account-"+strconv.Itoa(i), 16)
		e.mu.Lock()
		known := e.account(appid) != nil
		e.mu.Unlock()
		if !known {
			// No AppSecret changes hands in this mode: the account's secret is random and never shown.
			e.AddAccount(Account{AppID: appid, Secret: randHex(32), Token: randString(alnum, 32),
				EncodingAESKey: randString(alnum, 43), OriginalID: "gh_" + deriveHex(appid, 12), Name: n})
			e.AddFollowers(appid, 20)
		}
		out = append(out, appid)
	}
	return out
}

// SetComponentCandidates sets the accounts the component's consent page offers.
func (e *Emulator) SetComponentCandidates(componentAppID string, appids []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.cs().components[componentAppID]; c != nil {
		c.candidates = append([]string(nil), appids...)
	}
}

// SetComponentURLs sets the component's authorization-event URL and its message URL (with $APPID$,
// as configured on the Open Platform).
func (e *Emulator) SetComponentURLs(componentAppID, eventURL, callbackURL string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.cs().components[componentAppID]
	if c == nil {
		return
	}
	c.eventURL, c.callbackURL = eventURL, callbackURL
	for appid, a := range c.authorized {
		if acc := e.account(appid); acc != nil && !a.revoked {
			acc.callbackURL, acc.callbackMode = strings.ReplaceAll(callbackURL, "$APPID$", appid), ModeSafe
		}
	}
}

// SetComponentIPBlocked makes every component call answer 61004 (the caller's IP is not whitelisted).
func (e *Emulator) SetComponentIPBlocked(componentAppID string, blocked bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.cs().components[componentAppID]; c != nil {
		c.ipBlocked = blocked
	}
}

// ComponentTokenRequests counts the successful api_component_token calls of a component.
func (e *Emulator) ComponentTokenRequests(componentAppID string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.cs().components[componentAppID]; c != nil {
		return c.tokenCalls
	}
	return 0
}

// AuthorizerTokenRequests counts the successful api_authorizer_token calls for an authorizer.
func (e *Emulator) AuthorizerTokenRequests(componentAppID, appid string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.cs().components[componentAppID]; c != nil {
		return c.authorizers[appid]
	}
	return 0
}

// Pushes answers the pushes made to the component's event URL, oldest first.
func (e *Emulator) Pushes(componentAppID string) []Push {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.cs().components[componentAppID]; c != nil {
		return append([]Push(nil), c.pushes...)
	}
	return nil
}

// Authorize does what an administrator does on the consent page, without a browser: appid authorizes
// the component; answers the auth_code. The authorized (or updateauthorized) push is sent
// synchronously when push is true.
func (e *Emulator) Authorize(ctx context.Context, componentAppID, appid string, funcScope []int, push bool) (string, error) {
	code, info, err := e.grant(componentAppID, appid, funcScope, "")
	if err != nil {
		return "", err
	}
	if push {
		e.PushAuthorization(ctx, componentAppID, info, appid, code, "")
	}
	return code, nil
}

// grant records the authorization and issues an auth_code. The caller does not hold e.mu.
func (e *Emulator) grant(componentAppID, appid string, funcScope []int, preAuth string) (code, infoType string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.cs()
	c := st.components[componentAppID]
	acc := e.account(appid)
	if c == nil || acc == nil {
		return "", "", ErrUnknownAccount
	}
	if len(funcScope) == 0 {
		funcScope = DefaultFuncScope
	}
	infoType = "authorized"
	a := c.authorized[appid]
	switch {
	case a == nil || a.revoked:
		c.authorized[appid] = &authorization{refreshToken: "refreshtoken@@@" + randString(openidChars, 43), funcScope: append([]int(nil), funcScope...)}
	default:
		infoType = "updateauthorized"
		a.funcScope = append([]int(nil), funcScope...)
	}
	if c.callbackURL != "" {
		acc.callbackURL, acc.callbackMode = strings.ReplaceAll(c.callbackURL, "$APPID$", appid), ModeSafe
	}
	st.setVia(appid, componentAppID)
	now := e.now()
	for k, ac := range st.authCodes {
		if now.After(ac.expires.Add(24 * time.Hour)) {
			delete(st.authCodes, k)
		}
	}
	code = "queryauthcode@@@" + randString(openidChars, 60)
	st.authCodes[code] = &authCode{component: componentAppID, appid: appid, expires: now.Add(authCodeTTL)}
	return code, infoType, nil
}

// Unauthorize withdraws appid's authorization of the component, as its administrator does in WeChat's
// admin, and pushes unauthorized. Its authorizer tokens and refresh token stop working.
func (e *Emulator) Unauthorize(ctx context.Context, componentAppID, appid string) error {
	e.mu.Lock()
	c := e.cs().components[componentAppID]
	if c == nil || c.authorized[appid] == nil {
		e.mu.Unlock()
		return ErrUnknownAccount
	}
	c.authorized[appid].revoked = true
	now := e.now()
	for _, t := range e.tokens {
		if t.appid == appid && (t.revokedAt.IsZero() || t.revokedAt.After(now)) {
			t.revokedAt = now
		}
	}
	e.mu.Unlock()
	e.PushAuthorization(ctx, componentAppID, "unauthorized", appid, "", "")
	return nil
}

// PushTicket pushes a new component_verify_ticket to the component's event URL.
func (e *Emulator) PushTicket(ctx context.Context, componentAppID string) error {
	e.mu.Lock()
	c := e.cs().components[componentAppID]
	if c == nil {
		e.mu.Unlock()
		return ErrUnknownAccount
	}
	now := e.now()
	ticket := "ticket@@@" + randString(openidChars, 86)
	for t, at := range c.tickets {
		if now.Sub(at) > ticketTTL {
			delete(c.tickets, t)
		}
	}
	c.tickets[ticket] = now
	c.latest = ticket
	e.mu.Unlock()
	fields := [][2]string{{"AppId", componentAppID}, {"CreateTime", strconv.FormatInt(now.Unix(), 10)},
		{"InfoType", "component_verify_ticket"}, {"ComponentVerifyTicket", ticket}}
	return e.push(ctx, componentAppID, "component_verify_ticket", "", fields)
}

// ExpireTickets makes every ticket of the component older than 12 hours (61005 on api_component_token)
// and its component_access_tokens expire.
func (e *Emulator) ExpireTickets(componentAppID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.cs()
	if c := st.components[componentAppID]; c != nil {
		for t := range c.tickets {
			c.tickets[t] = e.now().Add(-ticketTTL - time.Minute)
		}
	}
	e.expireComponentTokensLocked(componentAppID)
}

// ExpireComponentTokens makes the component's component_access_tokens expire now (42001).
func (e *Emulator) ExpireComponentTokens(componentAppID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.expireComponentTokensLocked(componentAppID)
}

func (e *Emulator) expireComponentTokensLocked(componentAppID string) {
	now := e.now()
	for _, t := range e.cs().tokens {
		if t.component == componentAppID && t.expires.After(now) {
			t.expires = now
		}
	}
}

// PushAuthorization pushes authorized / updateauthorized (with code) or unauthorized for appid.
func (e *Emulator) PushAuthorization(ctx context.Context, componentAppID, infoType, appid, code, preAuth string) {
	now := e.now()
	fields := [][2]string{{"AppId", componentAppID}, {"CreateTime", strconv.FormatInt(now.Unix(), 10)},
		{"InfoType", infoType}, {"AuthorizerAppid", appid}}
	if infoType != "unauthorized" {
		fields = append(fields, [2]string{"AuthorizationCode", code},
			[2]string{"AuthorizationCodeExpiredTime", strconv.FormatInt(now.Add(authCodeTTL).Unix(), 10)},
			[2]string{"PreAuthCode", preAuth})
	}
	if err := e.push(ctx, componentAppID, infoType, appid, fields); err != nil {
		e.log.Warn("wxemu: component push failed", "info_type", infoType, "err", err)
	}
}

// RunTicketPushes pushes a ticket at once and then every interval until ctx ends, as WeChat does every
// ten minutes. A push that fails (the event URL not listening yet) is retried every 2 s until one
// succeeds.
func (e *Emulator) RunTicketPushes(ctx context.Context, componentAppID string, interval time.Duration) {
	if interval <= 0 {
		interval = 10 * time.Minute
	}
	retry := min(2*time.Second, interval)
	for {
		wait := interval
		if err := e.PushTicket(ctx, componentAppID); err != nil {
			if ctx.Err() != nil {
				return
			}
			e.log.Debug("wxemu: ticket push failed, retrying", "err", err)
			wait = retry
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// push encrypts the fields with the component's key, signs them, and POSTs them to its event URL as
// WeChat does: <xml><AppId/><Encrypt/></xml>, query signature, timestamp, nonce, encrypt_type=aes and
// msg_signature.
func (e *Emulator) push(ctx context.Context, componentAppID, infoType, appid string, fields [][2]string) error {
	e.mu.Lock()
	c := e.cs().components[componentAppID]
	if c == nil {
		e.mu.Unlock()
		return ErrUnknownAccount
	}
	comp, target := c.Component, c.eventURL
	now := e.now()
	e.mu.Unlock()
	if target == "" {
		return ErrNoCallback
	}
	var inner bytes.Buffer
	inner.WriteString("<xml>")
	for _, f := range fields {
		if f[0] == "CreateTime" || f[0] == "AuthorizationCodeExpiredTime" {
			fmt.Fprintf(&inner, "<%s>%s</%s>", f[0], f[1], f[0])
			continue
		}
		fmt.Fprintf(&inner, "<%s><![CDATA[%s]]></%s>", f[0], f[1], f[0])
	}
	inner.WriteString("</xml>")
	ciph, err := wxcrypto.NewCipher(comp.EncodingAESKey, comp.AppID)
	if err != nil {
		return fmt.Errorf("wxemu: push: %w", err)
	}
	enc, err := ciph.Encrypt(inner.Bytes())
	if err != nil {
		return fmt.Errorf("wxemu: push: %w", err)
	}
	ts, nonce := strconv.FormatInt(now.Unix(), 10), wxcrypto.RandomNonce()
	body := "<xml><AppId><![CDATA[" + comp.AppID + "]]></AppId><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	q := url.Values{"signature": {wxcrypto.Signature(comp.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce},
		"encrypt_type": {"aes"}, "msg_signature": {wxcrypto.MsgSignature(comp.Token, ts, nonce, enc)}}
	ctx, cancel := context.WithTimeout(ctx, e.opts.DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, withQuery(target, q), strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("wxemu: push: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	p := Push{InfoType: infoType, AppID: appid}
	resp, err := e.client.Do(req)
	if err == nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		p.Status, p.Body = resp.StatusCode, string(b)
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != "success" {
			err = fmt.Errorf("%w: the event URL answered HTTP %d %q instead of success", ErrBadReply, resp.StatusCode, b)
		}
	}
	if err != nil {
		p.Err = err.Error()
	}
	e.mu.Lock()
	if c := e.cs().components[componentAppID]; c != nil {
		if len(c.pushes) >= 1000 {
			c.pushes = c.pushes[1:]
		}
		c.pushes = append(c.pushes, p)
	}
	e.mu.Unlock()
	return err
}

// componentRoutes are the component's endpoints, merged into the route table.
func (e *Emulator) componentRoutes() map[string]route {
	post := func(h http.HandlerFunc) route { return route{method: http.MethodPost, open: h} }
	get := func(h http.HandlerFunc) route { return route{method: http.MethodGet, open: h} }
	return map[string]route{
		"/cgi-bin/component/api_component_token":     post(e.handleComponentToken),
		"/cgi-bin/component/api_create_preauthcode":  post(e.withComponentToken(e.handleCreatePreAuthCode)),
		"/cgi-bin/component/api_query_auth":          post(e.withComponentToken(e.handleQueryAuth)),
		"/cgi-bin/component/api_authorizer_token":    post(e.withComponentToken(e.handleAuthorizerToken)),
		"/cgi-bin/component/api_get_authorizer_info": post(e.withComponentToken(e.handleGetAuthorizerInfo)),
		"/cgi-bin/component/api_start_push_ticket":   post(e.handleStartPushTicket),
		"/cgi-bin/componentloginpage":                get(e.handleComponentLoginPage),
		"/safe/bindcomponent":                        get(e.handleComponentLoginPage),
		"/cgi-bin/componentloginpage/confirm":        post(e.handleComponentConsent),
		"/sns/oauth2/component/access_token":         get(e.handleComponentOAuthToken),
		"/sns/oauth2/component/refresh_token":        get(e.handleComponentOAuthRefresh),
		"/sandbox/component/unauthorize":             post(e.handleSandboxUnauthorize),
	}
}

// componentOf checks component_appid: unknown 40013; a blocked IP 61004. The caller holds e.mu.
// componentToken checks a component_access_token as WeChat does: missing 41001, unknown 40001, expired
// 42001. The caller holds e.mu.
func (e *Emulator) componentToken(tok string) (*componentToken, *apiError) {
	t := e.cs().tokens[tok]
	switch {
	case tok == "":
		return nil, wxErr(codeMissingToken)
	case t == nil:
		return nil, wxErr(codeInvalidCredential)
	case !e.now().Before(t.expires):
		return nil, wxErr(codeTokenExpired)
	}
	return t, nil
}

// componentTokenOf is componentToken for a token that must be c's (another component's is 40001).
func (e *Emulator) componentTokenOf(c *component, tok string) (*componentToken, *apiError) {
	t, ae := e.componentToken(tok)
	if ae == nil && t.component != c.AppID {
		return nil, wxErr(codeInvalidCredential)
	}
	return t, ae
}

func (e *Emulator) componentOf(appid string) (*component, *apiError) {
	if appid == "" {
		return nil, wxErr(codeMissingAppID)
	}
	c := e.cs().components[appid]
	if c == nil {
		return nil, wxErr(codeInvalidAppID)
	}
	if c.ipBlocked {
		return nil, wxErr(codeComponentIP, "invalid ip 203.0.113.7, not in whitelist")
	}
	return c, nil
}

// handleComponentToken serves POST api_component_token {component_appid, component_appsecret,
// component_verify_ticket}.
func (e *Emulator) handleComponentToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID  string `json:"component_appid"`
		Secret string `json:"component_appsecret"`
		Ticket string `json:"component_verify_ticket"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ae := e.componentOf(req.AppID)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	now := e.now()
	at, known := c.tickets[req.Ticket]
	switch {
	case req.Secret == "":
		writeJSON(w, wxErr(codeMissingSecret))
		return
	case req.Secret != c.Secret:
		writeJSON(w, wxErr(codeInvalidSecret))
		return
	case req.Ticket == "" || !known:
		writeJSON(w, wxErr(codeTicketInvalid))
		return
	case now.Sub(at) > ticketTTL:
		writeJSON(w, wxErr(codeTicketExpired))
		return
	}
	st := e.cs()
	for k, t := range st.tokens {
		if now.Sub(t.expires) > 24*time.Hour {
			delete(st.tokens, k)
		}
	}
	tok := "86_" + randString(openidChars, 133)
	st.tokens[tok] = &componentToken{component: c.AppID, expires: now.Add(e.ttl)}
	c.tokenCalls++
	writeJSON(w, struct {
		Token     string `json:"component_access_token"`
		ExpiresIn int    `json:"expires_in"`
	}{tok, int(e.ttl / time.Second)})
}

// componentHandler is a component endpoint after its component_access_token was checked.
type componentHandler func(w http.ResponseWriter, r *http.Request, c *component, body []byte)

// withComponentToken checks ?component_access_token: missing 41001, unknown 40001, expired 42001; and
// the body's component_appid must be the token's component. The handler runs with e.mu held.
func (e *Emulator) withComponentToken(h componentHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body := readBody(r)
		var req struct {
			AppID string `json:"component_appid"`
		}
		if ae := decodeJSON(body, &req); ae != nil {
			writeJSON(w, ae)
			return
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		t, ae := e.componentToken(r.URL.Query().Get("component_access_token"))
		if ae != nil {
			writeJSON(w, ae)
			return
		}
		c, ae := e.componentOf(t.component)
		if ae != nil {
			writeJSON(w, ae)
			return
		}
		if req.AppID != c.AppID {
			writeJSON(w, wxErr(codeInvalidAppID, "component_appid"))
			return
		}
		h(w, r, c, body)
	}
}

func (e *Emulator) handleCreatePreAuthCode(w http.ResponseWriter, _ *http.Request, c *component, _ []byte) {
	st := e.cs()
	now := e.now()
	for k, p := range st.preAuth {
		if now.Sub(p.expires) > 24*time.Hour {
			delete(st.preAuth, k)
		}
	}
	code := "preauthcode@@@" + randString(openidChars, 60)
	st.preAuth[code] = &preAuthCode{component: c.AppID, expires: now.Add(preAuthCodeTTL)}
	writeJSON(w, struct {
		Code      string `json:"pre_auth_code"`
		ExpiresIn int    `json:"expires_in"`
	}{code, int(preAuthCodeTTL / time.Second)})
}

type funcInfo struct {
	Category struct {
		ID int `json:"id"`
	} `json:"funcscope_category"`
}

func funcInfos(ids []int) []funcInfo {
	out := make([]funcInfo, len(ids))
	for i, id := range ids {
		out[i].Category.ID = id
	}
	return out
}

type authorizationInfo struct {
	AppID        string     `json:"authorizer_appid"`
	AccessToken  string     `json:"authorizer_access_token,omitempty"`
	ExpiresIn    int        `json:"expires_in,omitempty"`
	RefreshToken string     `json:"authorizer_refresh_token"`
	FuncInfo     []funcInfo `json:"func_info"`
}

func (e *Emulator) handleQueryAuth(w http.ResponseWriter, _ *http.Request, c *component, body []byte) {
	var req struct {
		Code string `json:"authorization_code"`
	}
	_ = decodeJSON(body, &req)
	st := e.cs()
	ac := st.authCodes[req.Code]
	now := e.now()
	switch {
	case req.Code == "" || ac == nil || ac.component != c.AppID:
		writeJSON(w, wxErr(codeAuthCodeInvalid))
		return
	case !now.Before(ac.expires):
		writeJSON(w, wxErr(codeAuthCodeExpired))
		return
	}
	a := c.authorized[ac.appid]
	acc := e.account(ac.appid)
	if a == nil || a.revoked || acc == nil {
		writeJSON(w, wxErr(codeComponentNotAuthorized))
		return
	}
	// The first authorizer token; earlier tokens of the account stay valid until they expire.
	tok := e.issueToken(acc, false, now)
	writeJSON(w, struct {
		Info authorizationInfo `json:"authorization_info"`
	}{authorizationInfo{AppID: ac.appid, AccessToken: tok, ExpiresIn: int(e.ttl / time.Second),
		RefreshToken: a.refreshToken, FuncInfo: funcInfos(a.funcScope)}})
}

func (e *Emulator) handleAuthorizerToken(w http.ResponseWriter, _ *http.Request, c *component, body []byte) {
	var req struct {
		AppID   string `json:"authorizer_appid"`
		Refresh string `json:"authorizer_refresh_token"`
	}
	_ = decodeJSON(body, &req)
	a := c.authorized[req.AppID]
	acc := e.account(req.AppID)
	switch {
	case req.AppID == "" || acc == nil:
		writeJSON(w, wxErr(codeInvalidAppID, "authorizer_appid"))
		return
	case a == nil || a.revoked:
		writeJSON(w, wxErr(codeComponentNotAuthorized))
		return
	case req.Refresh == "" || req.Refresh != a.refreshToken:
		writeJSON(w, wxErr(codeRefreshTokenInvalid))
		return
	}
	now := e.now()
	// A new authorizer token retires the previous ones, as cgi-bin/token does.
	for _, t := range e.tokens {
		if t.appid == acc.AppID && !t.stable && t.revokedAt.IsZero() {
			t.revokedAt = now.Add(e.opts.TokenOverlap)
		}
	}
	tok := e.issueToken(acc, false, now)
	c.authorizers[req.AppID]++
	writeJSON(w, struct {
		Token     string `json:"authorizer_access_token"`
		ExpiresIn int    `json:"expires_in"`
		Refresh   string `json:"authorizer_refresh_token"`
	}{tok, int(e.ttl / time.Second), a.refreshToken})
}

func (e *Emulator) handleGetAuthorizerInfo(w http.ResponseWriter, _ *http.Request, c *component, body []byte) {
	var req struct {
		AppID string `json:"authorizer_appid"`
	}
	_ = decodeJSON(body, &req)
	a := c.authorized[req.AppID]
	acc := e.account(req.AppID)
	switch {
	case req.AppID == "" || acc == nil:
		writeJSON(w, wxErr(codeInvalidAppID, "authorizer_appid"))
		return
	case a == nil || a.revoked:
		writeJSON(w, wxErr(codeComponentNotAuthorized))
		return
	}
	type idOnly struct {
		ID int `json:"id"`
	}
	writeJSON(w, struct {
		Info struct {
			NickName      string          `json:"nick_name"`
			HeadImg       string          `json:"head_img"`
			ServiceType   idOnly          `json:"service_type_info"`
			VerifyType    idOnly          `json:"verify_type_info"`
			UserName      string          `json:"user_name"`
			PrincipalName string          `json:"principal_name"`
			Alias         string          `json:"alias"`
			BusinessInfo  map[string]int  `json:"business_info"`
			QRCodeURL     string          `json:"qrcode_url"`
			Extra         map[string]bool `json:"-"`
		} `json:"authorizer_info"`
		Authorization authorizationInfo `json:"authorization_info"`
	}{
		Info: struct {
			NickName      string          `json:"nick_name"`
			HeadImg       string          `json:"head_img"`
			ServiceType   idOnly          `json:"service_type_info"`
			VerifyType    idOnly          `json:"verify_type_info"`
			UserName      string          `json:"user_name"`
			PrincipalName string          `json:"principal_name"`
			Alias         string          `json:"alias"`
			BusinessInfo  map[string]int  `json:"business_info"`
			QRCodeURL     string          `json:"qrcode_url"`
			Extra         map[string]bool `json:"-"`
		}{NickName: acc.Name, HeadImg: "http://wx.qlogo.cn/mmopen/" + deriveHex(acc.AppID, 32) + "/0",
			ServiceType: idOnly{2}, VerifyType: idOnly{0}, UserName: acc.OriginalID, PrincipalName: "沙盒示例公司",
			BusinessInfo: map[string]int{"open_store": 0, "open_scan": 0, "open_pay": 0, "open_card": 0, "open_shake": 0},
			QRCodeURL:    "http://mmbiz.qpic.cn/mmbiz/" + deriveHex(acc.AppID+"qr", 32) + "/0"},
		Authorization: authorizationInfo{AppID: acc.AppID, RefreshToken: a.refreshToken, FuncInfo: funcInfos(a.funcScope)},
	})
}

// handleStartPushTicket serves POST api_start_push_ticket {component_appid, component_secret}: a ticket
// is pushed again at once.
func (e *Emulator) handleStartPushTicket(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID  string `json:"component_appid"`
		Secret string `json:"component_secret"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	c, ae := e.componentOf(req.AppID)
	if ae == nil && req.Secret != c.Secret {
		ae = wxErr(codeInvalidSecret)
	}
	e.mu.Unlock()
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.opts.DeliveryTimeout+time.Second)
		defer cancel()
		if err := e.PushTicket(ctx, req.AppID); err != nil {
			e.log.Warn("wxemu: ticket push failed", "err", err)
		}
	}()
	writeJSON(w, okResp)
}

// handleComponentOAuthToken serves GET sns/oauth2/component/access_token?appid&code&grant_type
// &component_appid&component_access_token: web OAuth for an account, on its behalf, by its component.
func (e *Emulator) handleComponentOAuthToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	if ae := e.snsApp(q, false); ae != nil {
		writeJSON(w, ae)
		return
	}
	c, ae := e.componentOf(q.Get("component_appid"))
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	if _, ae := e.componentTokenOf(c, q.Get("component_access_token")); ae != nil {
		writeJSON(w, ae)
		return
	}
	if a := c.authorized[q.Get("appid")]; a == nil || a.revoked {
		writeJSON(w, wxErr(codeComponentNotAuthorized))
		return
	}
	if q.Get("grant_type") != "authorization_code" {
		writeJSON(w, wxErr(codeInvalidGrantType))
		return
	}
	e.redeemOAuthCode(w, q)
}

// handleComponentOAuthRefresh serves GET sns/oauth2/component/refresh_token?appid&grant_type=refresh_token
// &component_appid&component_access_token&refresh_token.
func (e *Emulator) handleComponentOAuthRefresh(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	e.mu.Lock()
	defer e.mu.Unlock()
	if ae := e.snsApp(q, false); ae != nil {
		writeJSON(w, ae)
		return
	}
	c, ae := e.componentOf(q.Get("component_appid"))
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	if _, ae := e.componentTokenOf(c, q.Get("component_access_token")); ae != nil {
		writeJSON(w, ae)
		return
	}
	now := e.now()
	switch {
	case q.Get("grant_type") != "refresh_token":
		writeJSON(w, wxErr(codeInvalidGrantType))
		return
	}
	st := e.snsRefresh[q.Get("refresh_token")]
	switch {
	case st == nil || st.appid != q.Get("appid"):
		writeJSON(w, wxErr(codeInvalidRefreshToken))
		return
	case !now.Before(st.expires):
		writeJSON(w, wxErr(codeRefreshExpired))
		return
	}
	writeJSON(w, e.issueSNSToken(st.appid, st.openid, st.scope, q.Get("refresh_token"), now))
}

// handleSandboxUnauthorize serves POST /sandbox/component/unauthorize {"appid"}: the sandbox's stand-in
// for an administrator withdrawing the authorization in WeChat's admin (pushes unauthorized).
func (e *Emulator) handleSandboxUnauthorize(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID     string `json:"appid"`
		Component string `json:"component_appid"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	if req.Component == "" {
		req.Component = e.DemoComponent().AppID
	}
	if err := e.Unauthorize(r.Context(), req.Component, req.AppID); err != nil {
		writeJSON(w, wxErr(codeComponentNotAuthorized))
		return
	}
	writeJSON(w, okResp)
}

// componentOAuthProblem checks web OAuth on an account's behalf (component_appid on the authorize link):
// the component must exist and hold the account's authorization.
func (e *Emulator) componentOAuthProblem(appid, componentAppID string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.cs().components[componentAppID]
	if c == nil {
		return "10003 component_appid 无效 (unknown component)"
	}
	if a := c.authorized[appid]; a == nil || a.revoked {
		return "该公众号未授权给此第三方平台 (the account did not authorize this component)"
	}
	return ""
}

// setVia records that appid's messages go through componentAppID. The caller holds e.mu.
func (st *componentState) setVia(appid, componentAppID string) {
	st.via[appid] = componentAppID
}

// deliveryKeys answers the token, EncodingAESKey and cipher appid the follower simulator uses for
// appid: its component's when it authorized one, else its own. The caller holds e.mu.
func (e *Emulator) deliveryKeys(a Account) (token, aesKey, cipherAppID string) {
	if compID, ok := e.cs().via[a.AppID]; ok {
		if c := e.cs().components[compID]; c != nil {
			if auth := c.authorized[a.AppID]; auth != nil && !auth.revoked {
				return c.Token, c.EncodingAESKey, c.AppID
			}
		}
	}
	return a.Token, a.EncodingAESKey, a.AppID
}

package wxemu

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// permissionNames are the permission sets an official account can grant a component, as WeChat's
// authorization page lists them (ids of funcscope_category).
var permissionNames = map[int]string{
	1: "消息管理权限 Messages", 2: "用户管理权限 Users", 3: "帐号服务权限 Account services",
	4: "网页服务权限 Web services", 7: "群发与通知权限 Mass messages", 11: "素材管理权限 Materials",
	15: "自定义菜单权限 Custom menu",
}

var componentConsentTmpl = template.Must(template.New("component-consent").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>公众号授权 · Authorize a platform (sandbox)</title><link rel="icon" href="data:,">
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#191919}
h1{font-size:1.2rem} .app{color:#576b95} label{display:block;padding:.4rem 0;border-bottom:1px solid #eee}
small{color:#888} .actions{margin-top:1.2rem;display:flex;gap:.8rem}
button{flex:1;padding:.7rem;border:0;border-radius:4px;font-size:1rem}
.allow{background:#07c160;color:#fff} .deny{background:#f2f2f2;color:#191919}
</style></head><body>
<p><small>WeChat sandbox · 微信模拟器 — {{if .Mobile}}手机端授权 · on a phone{{else}}扫码授权 · the administrator scanned the QR code{{end}}</small></p>
<h1>授权 <span class="app">{{.Component}}</span> 管理你的公众号 · authorize this platform for your account</h1>
<form method="post" action="{{.Action}}">
<input type="hidden" name="component_appid" value="{{.ComponentAppID}}">
<input type="hidden" name="pre_auth_code" value="{{.PreAuthCode}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<p>选择公众号 · pick the official account you administer:</p>
{{range $i, $a := .Accounts}}<label><input type="radio" name="appid" value="{{$a.AppID}}"{{if eq $i 0}} checked{{end}}> {{$a.Name}} <small>{{$a.AppID}}</small></label>
{{end}}
<p>授权权限集 · permission sets granted:</p>
{{range .Permissions}}<label><input type="checkbox" name="funcscope" value="{{.ID}}" checked> {{.Name}}</label>
{{end}}
<div class="actions">
<button class="deny" name="action" value="deny">取消 · Cancel</button>
<button class="allow" id="authorize" name="action" value="allow">授权 · Authorize</button>
</div>
</form></body></html>`))

// handleComponentLoginPage serves GET /cgi-bin/componentloginpage and /safe/bindcomponent
// ?component_appid&pre_auth_code&redirect_uri[&auth_type]: the administrator's authorization page. In
// WeChat it shows a QR code the administrator scans; the sandbox shows the page the administrator then
// sees in WeChat: which account, which permission sets.
func (e *Emulator) handleComponentLoginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, problem := e.checkPreAuth(q)
	if problem != "" {
		oauthErrorPage(w, problem)
		return
	}
	type acct struct{ AppID, Name string }
	type perm struct {
		ID   int
		Name string
	}
	data := struct {
		Component, ComponentAppID, PreAuthCode, RedirectURI, Action string
		Mobile                                                      bool
		Accounts                                                    []acct
		Permissions                                                 []perm
	}{ComponentAppID: q.Get("component_appid"), PreAuthCode: q.Get("pre_auth_code"), RedirectURI: q.Get("redirect_uri"),
		Action: "componentloginpage/confirm", Mobile: r.URL.Path == "/safe/bindcomponent"}
	if data.Mobile {
		data.Action = "../cgi-bin/componentloginpage/confirm"
	}
	e.mu.Lock()
	data.Component = c.Name
	if data.Component == "" {
		data.Component = c.AppID
	}
	for _, id := range c.candidates {
		if a := e.account(id); a != nil {
			data.Accounts = append(data.Accounts, acct{a.AppID, a.Name})
		}
	}
	e.mu.Unlock()
	for _, id := range DefaultFuncScope {
		data.Permissions = append(data.Permissions, perm{id, permissionNames[id]})
	}
	var buf bytes.Buffer
	if err := componentConsentTmpl.Execute(&buf, data); err != nil {
		http.Error(w, "consent page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// checkPreAuth checks the authorization page's parameters: the component, an unused and unexpired
// pre_auth_code of that component, an absolute redirect_uri.
func (e *Emulator) checkPreAuth(q url.Values) (*component, string) {
	u, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("redirect_uri") == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "redirect_uri 参数错误 (invalid redirect_uri)"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.cs().components[q.Get("component_appid")]
	if c == nil {
		return nil, "component_appid 无效 (unknown component)"
	}
	p := e.cs().preAuth[q.Get("pre_auth_code")]
	switch {
	case p == nil || p.component != c.AppID:
		return nil, "pre_auth_code 无效 (invalid pre_auth_code)"
	case p.used:
		return nil, "pre_auth_code 已使用 (pre_auth_code already used)"
	case !e.now().Before(p.expires):
		return nil, "pre_auth_code 已过期 (pre_auth_code expired)"
	}
	return c, ""
}

// handleComponentConsent serves the page's form: the chosen account authorizes the component. WeChat
// then redirects to redirect_uri?auth_code=CODE&expires_in=3600 and pushes authorized (or
// updateauthorized) to the event URL, on its own schedule: the push runs concurrently with the redirect.
func (e *Emulator) handleComponentConsent(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthErrorPage(w, "bad form")
		return
	}
	f := r.PostForm
	c, problem := e.checkPreAuth(f)
	if problem != "" {
		oauthErrorPage(w, problem)
		return
	}
	if f.Get("action") != "allow" {
		oauthErrorPage(w, "授权已取消 (authorization cancelled)")
		return
	}
	appid := f.Get("appid")
	var scope []int
	for _, v := range f["funcscope"] {
		if n, err := strconv.Atoi(v); err == nil && permissionNames[n] != "" {
			scope = append(scope, n)
		}
	}
	e.mu.Lock()
	ok := slices.Contains(c.candidates, appid)
	if p := e.cs().preAuth[f.Get("pre_auth_code")]; ok && p != nil {
		p.used = true
	}
	e.mu.Unlock()
	if !ok {
		oauthErrorPage(w, "请选择公众号 (pick an official account)")
		return
	}
	code, infoType, err := e.grant(c.AppID, appid, scope, f.Get("pre_auth_code"))
	if err != nil {
		oauthErrorPage(w, err.Error())
		return
	}
	preAuth := f.Get("pre_auth_code")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), e.opts.DeliveryTimeout+time.Second)
		defer cancel()
		e.PushAuthorization(ctx, c.AppID, infoType, appid, code, preAuth)
	}()
	http.Redirect(w, r, withParams(f.Get("redirect_uri"), "auth_code", code, "expires_in", strconv.Itoa(int(authCodeTTL/time.Second))), http.StatusFound)
}

// deriveHex answers n hex digits derived from s, for ids that must stay the same across restarts.
func deriveHex(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	h := hex.EncodeToString(sum[:])
	for len(h) < n {
		h += h
	}
	return h[:n]
}

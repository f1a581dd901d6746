package wxemu

import (
	"bytes"
	"html/template"
	"net/http"
)

// consentUsers is how many followers the consent page offers to log in as.
const consentUsers = 30

var consentTmpl = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>微信授权 · WeChat authorization (sandbox)</title>
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#191919}
h1{font-size:1.2rem} .app{color:#576b95} label{display:block;padding:.4rem 0;border-bottom:1px solid #eee}
small{color:#888} .actions{margin-top:1.2rem;display:flex;gap:.8rem}
button{flex:1;padding:.7rem;border:0;border-radius:4px;font-size:1rem}
.allow{background:#07c160;color:#fff} .deny{background:#f2f2f2;color:#191919}
</style></head><body>
<p><small>WeChat sandbox · 微信模拟器</small></p>
<h1><span class="app">{{.Name}}</span> 申请获得以下权限 · requests:</h1>
<p>{{if eq .Scope "snsapi_userinfo"}}获得你的公开信息（昵称、头像等）· your public profile (nickname, avatar){{else}}获取你的身份标识（静默授权）· your identity (openid){{end}}</p>
<form method="post" action="consent">
<input type="hidden" name="appid" value="{{.AppID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="scope" value="{{.Scope}}">
<input type="hidden" name="state" value="{{.State}}">
<p>以哪位用户登录 · log in as:</p>
{{range $i, $u := .Users}}<label><input type="radio" name="openid" value="{{$u.OpenID}}"{{if eq $i 0}} checked{{end}}> {{$u.Nickname}} <small>{{$u.OpenID}}</small></label>
{{end}}<label><input type="radio" name="openid" value=""{{if not .Users}} checked{{end}}> 新用户（未关注）· a new visitor, not following</label>
<div class="actions">
<button class="deny" name="action" value="deny">拒绝 · Deny</button>
<button class="allow" name="action" value="allow">允许 · Allow</button>
</div>
</form></body></html>`))

// consentPage shows the sandbox's stand-in for WeChat's OAuth consent screen.
func (e *Emulator) consentPage(w http.ResponseWriter, a authorizeReq) {
	type user struct{ OpenID, Nickname string }
	data := struct {
		AppID, Name, RedirectURI, Scope, State string
		Users                                  []user
	}{AppID: a.appid, RedirectURI: a.redirectURI, Scope: a.scope, State: a.state}
	e.mu.Lock()
	acc := e.account(a.appid)
	data.Name = acc.Name
	if acc.oauthUser != "" {
		f := acc.ensureUser(acc.oauthUser)
		data.Users = append(data.Users, user{f.OpenID, f.Nickname})
	}
	for _, f := range acc.order {
		if len(data.Users) >= consentUsers {
			break
		}
		if f.OpenID != acc.oauthUser {
			data.Users = append(data.Users, user{f.OpenID, f.Nickname})
		}
	}
	e.mu.Unlock()
	var buf bytes.Buffer
	if err := consentTmpl.Execute(&buf, data); err != nil {
		http.Error(w, "consent page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

var oauthErrTmpl = template.Must(template.New("err").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>微信授权</title></head><body>
<h1>Oops! Something went wrong:(</h1><p>{{.}}</p><p><small>WeChat sandbox · 微信模拟器</small></p></body></html>`))

// oauthErrorPage answers a bad authorize request with WeChat's error page (HTTP 400 here, so a test
// notices; WeChat shows it with 200).
func oauthErrorPage(w http.ResponseWriter, problem string) {
	var buf bytes.Buffer
	_ = oauthErrTmpl.Execute(&buf, problem)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(buf.Bytes())
}

package webauth

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// The pages a person in WeChat's browser sees when a web authorization cannot finish: what happened and
// what to do, in Chinese and English, never a stack trace.

var pageTmpl = template.Must(template.New("webauth").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.TitleZH}} · {{.TitleEN}}</title>
<style>
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;max-width:30rem;margin:3rem auto;padding:0 1.2rem;color:#191919;line-height:1.5}
h1{font-size:1.25rem;margin-bottom:.2rem} h2{font-size:1rem;font-weight:normal;color:#555;margin-top:0}
p{margin:.8rem 0} .en{color:#555} .detail{font-size:.85rem;color:#888;word-break:break-word}
a.button{display:inline-block;margin-top:1rem;padding:.6rem 1.2rem;background:#07c160;color:#fff;border-radius:4px;text-decoration:none}
</style></head><body>
<h1>{{.TitleZH}}</h1>
<h2>{{.TitleEN}}</h2>
<p>{{.TextZH}}</p>
<p class="en">{{.TextEN}}</p>
{{if .Retry}}<p><a class="button" href="{{.Retry}}">重新授权 · Try again</a></p>{{end}}
<p class="detail">{{.Detail}}{{if .WxCode}} (WeChat {{.WxCode}}){{end}} · errcode {{.Errcode}}</p>
</body></html>`))

type page struct {
	TitleZH, TitleEN, TextZH, TextEN string
	Retry                            string
	Detail                           string
	Errcode                          int
	WxCode                           int
}

// wantsHTML reports whether the client prefers a page (a browser) over JSON.
func wantsHTML(c *gin.Context) bool {
	return strings.Contains(strings.ToLower(c.GetHeader("Accept")), "text/html")
}

// fail answers err as a page for browsers and as the API's JSON envelope otherwise. retry, when not
// empty, is where a fresh authorization starts.
func fail(c *gin.Context, err error, retry string) {
	if !wantsHTML(c) {
		httpapi.Fail(c, err)
		return
	}
	status, body, _ := httpapi.Describe(err)
	switch {
	case status == http.StatusBadGateway:
		httpapi.Logger(c).Warn("web authorization: wechat error", "err", err)
	case status >= 500:
		httpapi.Logger(c).Error("web authorization failed", "status", status, "err", err)
	}
	p := describe(err)
	p.Detail, p.Errcode = body.Msg, body.Errcode
	if body.WxErr != nil {
		p.WxCode = *body.WxErr
	}
	if p.Retry == "" && offerRetry(err) {
		p.Retry = retry
	}
	var buf bytes.Buffer
	if terr := pageTmpl.Execute(&buf, p); terr != nil {
		httpapi.Fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	c.Abort()
}

// offerRetry reports whether starting over can help.
func offerRetry(err error) bool {
	switch {
	case errors.Is(err, ErrStateInvalid), errors.Is(err, ErrStateExpired), errors.Is(err, ErrStateUsed), errors.Is(err, ErrRefused):
		return true
	}
	code := wxclient.Code(err)
	return code == wxclient.CodeInvalidCode || code == wxclient.CodeCodeUsed || code == wxclient.CodeCodeExpired ||
		apperr.KindOf(err) == apperr.UpstreamTimeout
}

func describe(err error) page {
	switch {
	case errors.Is(err, ErrRefused):
		return page{TitleZH: "你已拒绝授权", TitleEN: "You declined the authorization",
			TextZH: "没有获得你的授权，页面无法继续。如需继续使用，请重新授权。",
			TextEN: "Nothing was shared with the page, so it cannot go on. To continue, authorize again."}
	case errors.Is(err, ErrStateExpired):
		return page{TitleZH: "授权已过期", TitleEN: "This login has expired",
			TextZH: "授权需在 10 分钟内完成，请重新发起授权。",
			TextEN: "A login must be completed within 10 minutes. Please start again."}
	case errors.Is(err, ErrStateUsed):
		return page{TitleZH: "该授权已使用", TitleEN: "This login was already used",
			TextZH: "每次授权只能使用一次，可能是页面被刷新或重复打开。请重新发起授权。",
			TextEN: "Each login can be used once; the page was probably reloaded or opened twice. Please start again."}
	case errors.Is(err, ErrStateInvalid):
		return page{TitleZH: "授权请求无效", TitleEN: "This login request is not valid",
			TextZH: "链接不完整或已被修改。请从原页面重新发起授权。",
			TextEN: "The link is incomplete or was altered. Please start again from the original page."}
	case errors.Is(err, ErrUnknownAppID):
		return page{TitleZH: "公众号未接入", TitleEN: "Unknown official account",
			TextZH: "该公众号尚未在本平台授权接入。", TextEN: "This official account is not bound to this console."}
	}
	switch wxclient.Code(err) {
	case wxclient.CodeInvalidCode:
		return page{TitleZH: "授权码无效", TitleEN: "The login code is not valid",
			TextZH: "微信返回的授权码无效，请重新授权。", TextEN: "WeChat did not accept the login code. Please authorize again."}
	case wxclient.CodeCodeUsed:
		return page{TitleZH: "授权码已被使用", TitleEN: "The login code was already used",
			TextZH: "每个授权码只能使用一次，请重新授权。", TextEN: "A login code works once. Please authorize again."}
	case wxclient.CodeCodeExpired:
		return page{TitleZH: "授权码已过期", TitleEN: "The login code has expired",
			TextZH: "授权码 5 分钟内有效，请重新授权。", TextEN: "A login code is valid for 5 minutes. Please authorize again."}
	case 0:
	default:
		return page{TitleZH: "微信返回了错误", TitleEN: "WeChat answered with an error",
			TextZH: "请稍后重试；如果问题持续，请联系公众号运营者。",
			TextEN: "Please try again later; if it persists, contact the account's operator."}
	}
	switch apperr.KindOf(err) {
	case apperr.Invalid:
		return page{TitleZH: "请求参数有误", TitleEN: "The request is not valid",
			TextZH: "授权链接的参数不正确，请联系公众号运营者。",
			TextEN: "The login link has a wrong parameter; please tell the account's operator."}
	case apperr.UpstreamTimeout, apperr.Upstream:
		return page{TitleZH: "微信暂时没有响应", TitleEN: "WeChat did not answer",
			TextZH: "请稍后重试。", TextEN: "Please try again in a moment."}
	}
	return page{TitleZH: "出错了", TitleEN: "Something went wrong",
		TextZH: "服务器暂时无法完成授权，请稍后重试。", TextEN: "The server could not complete the login. Please try again later."}
}

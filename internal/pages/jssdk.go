package pages

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/wxplatform/jssdk"
)

// jsAPIList is what the snippet asks wx.config for: the common interfaces, for the developer to trim.
var jsAPIList = []string{"updateAppMessageShareData", "updateTimelineShareData", "chooseImage", "previewImage",
	"getLocation", "scanQRCode"}

type jssdkData struct {
	Config    *jssdk.Config
	Snippet   string
	Host      string
	InDomains bool
	Domains   []string
}

// jssdkPage signs a page URL as the JSSDK needs it (?url=…): a read of the account's jsapi_ticket, so the
// form is a GET.
func (p *Pages) jssdkPage(c *gin.Context) {
	v := p.view(c, "jssdk", "jssdk.title")
	a := v.Account
	d := &jssdkData{Domains: a.JSDomains}
	v.Data = d
	raw := c.Query("url")
	v.Form["url"] = raw
	if strings.TrimSpace(raw) == "" {
		p.html(c, http.StatusOK, "jssdk", v)
		return
	}
	pageURL, host, err := jssdk.PageURL(raw)
	var ticket string
	if err == nil {
		ticket, err = p.deps.JSTickets.JSAPITicket(c.Request.Context(), a.AppID)
	}
	if err != nil {
		formError(v, err)
		p.html(c, statusOf(err), "jssdk", v)
		return
	}
	cfg := &jssdk.Config{AppID: a.AppID, NonceStr: nonce16(), Timestamp: time.Now().Unix(), URL: pageURL}
	cfg.Signature = jssdk.Sign(ticket, cfg.NonceStr, cfg.Timestamp, pageURL)
	d.Config, d.Host, d.InDomains = cfg, host, a.HasJSDomain(host)
	d.Snippet = wxConfigSnippet(cfg)
	p.html(c, http.StatusOK, "jssdk", v)
}

// wxConfigSnippet is the wx.config call a page pastes, its values JSON-quoted.
func wxConfigSnippet(cfg *jssdk.Config) string {
	q := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	return fmt.Sprintf("wx.config({\n  debug: false,\n  appId: %s,\n  timestamp: %d,\n  nonceStr: %s,\n  signature: %s,\n  jsApiList: %s\n});",
		q(cfg.AppID), cfg.Timestamp, q(cfg.NonceStr), q(cfg.Signature), q(jsAPIList))
}

// nonce16 answers 16 random letters and digits, as WeChat's own nonces look.
func nonce16() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

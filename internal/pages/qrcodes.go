package pages

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/qrcode"
)

// qrcodesPerPage is the length of a page of the QR code list.
const qrcodesPerPage = 20

// qrImageSize is the size of the images the page shows and offers to download.
const qrImageSize = 430

type qrcodesData struct {
	Codes []qrView
	Pager Pager
	// Expires are the lifetimes the form offers, in seconds ("" for a permanent code).
	Expires []expireChoice
}

type expireChoice struct {
	Value string
	Label string // a translation key
}

type qrView struct {
	qrcode.Code
	Scene   string
	Image   string
	Expired bool
}

func (p *Pages) qrcodesPage(c *gin.Context) {
	v, ok := p.qrcodesView(c)
	if !ok {
		return
	}
	p.html(c, http.StatusOK, "qrcodes", v)
}

func (p *Pages) qrcodesView(c *gin.Context) (*View, bool) {
	v := p.view(c, "qrcodes", "qrcodes.title")
	offset := queryInt(c, "offset", 0, 1_000_000)
	codes, total, err := p.deps.QRCodes.List(c.Request.Context(), v.Account, offset, qrcodesPerPage)
	if err != nil {
		p.fail(c, err)
		return nil, false
	}
	d := &qrcodesData{Pager: pagerFor(offset, qrcodesPerPage, total, nil), Expires: []expireChoice{
		{"", "qrcodes.expire.permanent"}, {"3600", "qrcodes.expire.hour"}, {"86400", "qrcodes.expire.day"},
		{"604800", "qrcodes.expire.week"}, {"2592000", "qrcodes.expire.month"}}}
	now := time.Now()
	for _, code := range codes {
		d.Codes = append(d.Codes, qrView{Code: code, Scene: strings.TrimSpace(toText(code.SceneID)),
			Image:   withAppID("/console/qrcodes/"+strconv.FormatInt(code.ID, 10)+".png", v.Account),
			Expired: code.ExpireAt != nil && code.ExpireAt.Before(now)})
	}
	v.Form["expire"] = ""
	v.Data = d
	return v, true
}

func toText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

func (p *Pages) qrcodeCreate(c *gin.Context) {
	a := accounts.Current(c)
	scene, expire := strings.TrimSpace(c.PostForm("sceneId")), strings.TrimSpace(c.PostForm("expire"))
	req, err := qrcode.ParseRequest(scene, expire)
	var code qrcode.Code
	if err == nil {
		code, err = p.deps.QRCodes.Create(c.Request.Context(), a, req)
	}
	if err != nil {
		v, ok := p.qrcodesView(c)
		if !ok {
			return
		}
		v.Form["sceneId"], v.Form["expire"] = scene, expire
		formError(v, err)
		p.html(c, statusOf(err), "qrcodes", v)
		return
	}
	p.done(c, withAppID("/console/qrcodes", a), "qrcodes.created", scene, code.ID)
}

// qrcodeImage serves /console/qrcodes/{id}.png, rendered by the QR code service.
func (p *Pages) qrcodeImage(c *gin.Context) {
	name, ok := strings.CutSuffix(c.Param("file"), ".png")
	id, err := strconv.ParseInt(name, 10, 64)
	if !ok || err != nil || id <= 0 {
		p.fail(c, qrcode.ErrNotFound)
		return
	}
	png, err := p.deps.QRCodes.Image(c.Request.Context(), accounts.Current(c), id, qrImageSize)
	if err != nil {
		p.fail(c, err)
		return
	}
	c.Header("Cache-Control", "private, max-age=86400")
	if c.Query("download") != "" {
		c.Header("Content-Disposition", `attachment; filename="qrcode-`+name+`.png"`)
	}
	c.Data(http.StatusOK, "image/png", png)
}

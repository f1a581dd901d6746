package pages

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
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
	// Tags are the account's tags a code may put on its scanners (contract §20); Checked those ticked.
	Tags    []followers.Group
	Checked map[int]bool
	// ReplyTypes are the replies the form offers: text, or a material (image, voice) by its mediaId.
	ReplyTypes []string
}

type expireChoice struct {
	Value string
	Label string // a translation key
}

type qrView struct {
	qrcode.Code
	Scene    string
	Image    string
	Expired  bool
	TagNames []string
	// ReplyText is what the code answers, as text: the text itself, or the type and media id.
	ReplyText string
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
	d.ReplyTypes = []string{"text", "image", "voice"}
	d.Checked = map[int]bool{}
	names := map[int]string{}
	if groups, err := p.deps.Followers.Groups(c.Request.Context(), v.Account); err == nil {
		for _, g := range groups {
			if g.ID >= 2 {
				d.Tags = append(d.Tags, g)
				names[g.ID] = g.Name
			}
		}
	} else {
		logger(c).Warn("qrcodes: tags", "err", err)
	}
	now := time.Now()
	for _, code := range codes {
		q := qrView{Code: code, Scene: strings.TrimSpace(toText(code.SceneID)),
			Image:   withAppID("/console/qrcodes/"+strconv.FormatInt(code.ID, 10)+".png", v.Account),
			Expired: code.ExpireAt != nil && code.ExpireAt.Before(now)}
		for _, id := range code.TagIDs {
			name := names[id]
			if name == "" {
				name = "#" + strconv.Itoa(id)
			}
			q.TagNames = append(q.TagNames, name)
		}
		if r := code.Reply; r != nil {
			q.ReplyText = replyText(r)
		}
		d.Codes = append(d.Codes, q)
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

// replyText sums a code's reply up for the list.
func replyText(r *qrcode.ReplyView) string {
	b, _ := json.Marshal(r.Reply)
	var m map[string]any
	if json.Unmarshal(b, &m) == nil {
		if s, ok := m["content"].(string); ok {
			return s
		}
		if s, ok := m["mediaId"].(string); ok {
			return string(r.Type) + " " + s
		}
		if s, ok := m["title"].(string); ok {
			return string(r.Type) + " " + s
		}
	}
	return string(r.Type)
}

// qrActions reads the form's actions: tagIds (checkboxes), replyType and replyContent (the text, or the
// media id of an image or voice).
func qrActions(c *gin.Context) (qrcode.Actions, error) {
	var a qrcode.Actions
	var err error
	if a.TagIDs, err = qrcode.ParseTagIDs(strings.Join(c.PostFormArray("tagIds"), ",")); err != nil {
		return a, err
	}
	typ, content := strings.TrimSpace(c.PostForm("replyType")), c.PostForm("replyContent")
	if typ == "" {
		return a, nil
	}
	var inner any = map[string]string{"content": content}
	if typ != "text" {
		inner = map[string]string{"mediaId": strings.TrimSpace(content)}
	}
	raw, _ := json.Marshal(map[string]any{"type": typ, "reply": inner})
	a.Reply, err = qrcode.ParseReply(raw)
	return a, err
}

func (p *Pages) qrcodeCreate(c *gin.Context) {
	a := accounts.Current(c)
	scene, expire := strings.TrimSpace(c.PostForm("sceneId")), strings.TrimSpace(c.PostForm("expire"))
	req, err := qrcode.ParseRequest(scene, expire)
	if err == nil {
		req.Actions, err = qrActions(c)
	}
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
		v.Form["replyType"], v.Form["replyContent"] = c.PostForm("replyType"), c.PostForm("replyContent")
		for _, t := range c.PostFormArray("tagIds") {
			if n, err := strconv.Atoi(t); err == nil {
				v.Data.(*qrcodesData).Checked[n] = true
			}
		}
		formError(v, err)
		// The reply's and the tags' inner fields (reply.content, tagIds[0]) show next to their group.
		for k, msg := range v.Errors {
			for _, group := range []string{"reply", "tagIds"} {
				if k != group && strings.HasPrefix(k, group) {
					delete(v.Errors, k)
					v.Errors[group] = k + ": " + msg
				}
			}
		}
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

package teams

import (
	"bytes"
	"html/template"

	"github.com/socialinzen/socialinzen/internal/mail"
)

// The invitation is bilingual in one message, Chinese first, like the user package's mails: the invitee's
// language is not known.
var inviteHTML = template.Must(template.New("invite").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:sans-serif;line-height:1.5">
<p>{{.ZH}}</p>
<p><a href="{{.Link}}">接受邀请 / Accept the invitation</a></p>
<p>{{.EN}}</p>
<p style="color:#666;font-size:90%">如果您不认识发出邀请的人，请忽略这封邮件。 / If you do not expect this, ignore this mail.</p>
<p style="color:#666;font-size:90%">{{.Link}}</p>
</body></html>
`))

var roleZH = map[string]string{"admin": "管理员", "editor": "编辑", "agent": "客服", "viewer": "只读成员"}

func inviteMail(to, account, role, link string) mail.Message {
	d := struct{ Subject, ZH, EN, Link string }{
		Subject: "邀请您加入公众号「" + account + "」 / Invitation to " + account,
		ZH:      "您被邀请以「" + roleZH[role] + "」身份加入公众号「" + account + "」的 socialinzen 团队。请用本邮箱地址登录或注册后打开下面的链接。链接 7 天内有效，只能使用一次。",
		EN: "You are invited to join the socialinzen team of the official account " + account + " as " + role +
			". Log in or sign up with this email address, then open the link below. It works once, within 7 days.",
		Link: link,
	}
	var html bytes.Buffer
	if err := inviteHTML.Execute(&html, d); err != nil {
		panic(err) // a fixed template over strings
	}
	text := d.ZH + "\n" + d.EN + "\n\n" + d.Link + "\n"
	return mail.Message{To: to, Subject: d.Subject, Text: text, HTML: html.String()}
}

package user

import (
	"bytes"
	"html/template"

	"github.com/socialinzen/socialinzen/internal/mail"
)

// Mails are bilingual in one message, Chinese first: the console's operators read Chinese by default, and
// the address owner's language is not known before the first login.

var mailHTML = template.Must(template.New("mail").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:sans-serif;line-height:1.5">
<p>{{.Hello}}</p>
<p>{{.ZH}}</p>
<p><a href="{{.Link}}">{{.Button}}</a></p>
<p>{{.EN}}</p>
<p style="color:#666;font-size:90%">{{.Ignore}}</p>
<p style="color:#666;font-size:90%">{{.Link}}</p>
</body></html>
`))

type mailText struct {
	Subject, Hello, ZH, EN, Button, Ignore, Link string
}

func (t mailText) message(to string) mail.Message {
	var html bytes.Buffer
	if err := mailHTML.Execute(&html, t); err != nil {
		// The template is fixed and its data are strings: failing here is a programming error.
		panic(err)
	}
	text := t.Hello + "\n\n" + t.ZH + "\n" + t.EN + "\n\n" + t.Link + "\n\n" + t.Ignore + "\n"
	return mail.Message{To: to, Subject: t.Subject, Text: text, HTML: html.String()}
}

func verifyMail(to, username, link string) mail.Message {
	return mailText{
		Subject: "请验证您的邮箱 / Verify your email",
		Hello:   username + "，您好 / Hello " + username + ",",
		ZH:      "请打开下面的链接验证您的邮箱，完成 socialinzen 账号注册。链接 24 小时内有效，只能使用一次。",
		EN:      "Please open the link below to verify your email and finish signing up for socialinzen. The link works once, within 24 hours.",
		Button:  "验证邮箱 / Verify email",
		Ignore:  "如果您没有注册，请忽略这封邮件。 / If you did not sign up, ignore this mail.",
		Link:    link,
	}.message(to)
}

func resetMail(to, username, link string) mail.Message {
	return mailText{
		Subject: "重置您的密码 / Reset your password",
		Hello:   username + "，您好 / Hello " + username + ",",
		ZH:      "请打开下面的链接设置新密码。链接 1 小时内有效，只能使用一次；设置后，所有已登录的会话都会退出。",
		EN:      "Open the link below to choose a new password. The link works once, within 1 hour; afterwards every signed-in session is signed out.",
		Button:  "重置密码 / Reset password",
		Ignore:  "如果您没有申请重置密码，请忽略这封邮件，您的密码不会改变。 / If you did not ask for this, ignore this mail: your password stays as it is.",
		Link:    link,
	}.message(to)
}

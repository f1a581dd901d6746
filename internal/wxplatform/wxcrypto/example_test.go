package wxcrypto_test

import (
	"fmt"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// A safe-mode callback: check the msg_signature of the query string, open the message, answer with an
// encrypted passive reply. The values are those of WeChat's official sample.
func Example() {
	const (
		token, encodingAESKey, appid   = "spamtest", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2"
		timestamp, nonce, msgSignature = "1409735669", "1320562132", "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
	)
	body := []byte("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[" +
		"hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=" +
		"]]></Encrypt></xml>")

	c, err := wxcrypto.NewCipher(encodingAESKey, appid)
	if err != nil {
		panic(err)
	}
	msg, err := c.OpenMessage(token, timestamp, nonce, msgSignature, body)
	if err != nil {
		panic(err) // the handler answers 403 on ErrSignature, 400 on the others
	}
	fmt.Println(msg.MsgType, msg.Content)

	reply := &wxcrypto.Reply{ToUserName: msg.FromUserName, FromUserName: msg.ToUserName,
		CreateTime: msg.CreateTime, MsgType: "text", Content: "got: " + msg.Content}
	out, err := c.SealReply(token, reply.Marshal(), timestamp, nonce)
	if err != nil {
		panic(err)
	}

	// What the follower simulator does with the answer.
	plain, err := c.OpenReply(token, out)
	if err != nil {
		panic(err)
	}
	back, err := wxcrypto.ParseReply(plain)
	if err != nil {
		panic(err)
	}
	fmt.Println(back.ToUserName, back.Content)
	// Output:
	// text abcdteT
	// oyORnuP8q7ou2gfYjqLzSIWZf0rs got: abcdteT
}

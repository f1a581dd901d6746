// Command ceiling is the in-memory ceiling of the callback benchmark (issue 14): a server doing only what
// any WeChat callback must do, verify the signatures, decrypt, look the text up in a map, encrypt the
// reply, with nothing stored, no rules engine, no middleware. `make loadtest` drives it with the same load
// as the console and prints the console's rate as a fraction of this one.
//
//	go run ./tools/ceiling -addr 127.0.0.1:18098 -appid wx... -token T -aeskey K -keywords keyword1,keyword500
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18098", "listen address (loopback)")
	appid := flag.String("appid", "", "AppID")
	token := flag.String("token", "", "callback token")
	aesKey := flag.String("aeskey", "", "EncodingAESKey")
	keywords := flag.String("keywords", "hello", "comma-separated texts answered with a text reply")
	flag.Parse()
	c, err := wxcrypto.NewCipher(*aesKey, *appid)
	if err != nil || *token == "" {
		fmt.Fprintln(os.Stderr, "ceiling: -appid, -token and a valid -aeskey are required")
		os.Exit(2)
	}
	replies := map[string]string{}
	for i, k := range strings.Split(*keywords, ",") {
		replies[k] = "reply " + strconv.Itoa(i)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ts, nonce := q.Get("timestamp"), q.Get("nonce")
		if !wxcrypto.VerifySignature(*token, ts, nonce, q.Get("signature")) {
			http.Error(w, "signature mismatch", http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, "body", http.StatusBadRequest)
			return
		}
		m, err := c.OpenMessage(*token, ts, nonce, q.Get("msg_signature"), body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		text, ok := replies[m.Content]
		if !ok {
			w.Write([]byte("success"))
			return
		}
		rep := wxcrypto.Reply{ToUserName: m.FromUserName, FromUserName: m.ToUserName, CreateTime: time.Now().Unix(),
			MsgType: "text", Content: text}
		sealed, err := c.SealReply(*token, rep.Marshal(), ts, nonce)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Write(sealed)
	})
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

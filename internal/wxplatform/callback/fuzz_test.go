package callback_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// Seeds live in testdata/fuzz/<FuzzName>; they run as ordinary tests.

// fuzzEnv is one console with an account whose rules cover every reply type.
func fuzzEnv(f *testing.F) (*env, wxemu.Account) {
	e := newEnv(f, envOptions{})
	a := newAccount(f)
	acct := e.bind(a)
	e.rule(acct.ID, "hi", "text", map[string]string{"content": "hello"})
	e.rule(acct.ID, "news", "multitext", []map[string]string{{"title": "T", "description": "D", "picurl": "https://e.com/p", "url": "https://e.com/u"}})
	return e, a
}

// serve posts body with query q straight into the handler and checks nothing the caller sent caused a 5xx.
func serve(t *testing.T, e *env, a wxemu.Account, q url.Values, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/wxplatform/callback/"+a.AppID+"?"+q.Encode(), bytes.NewReader(body))
	w := httptest.NewRecorder()
	e.engine.ServeHTTP(w, req)
	switch w.Code {
	case 200, 400, 403, 413:
	default:
		t.Fatalf("status %d for body %q: %s", w.Code, body, w.Body.Bytes())
	}
	return w
}

func signedQuery(a wxemu.Account, ts int64) url.Values {
	tss := strconv.FormatInt(ts, 10)
	nonce := "1234567890"
	q := url.Values{}
	q.Set("signature", wxcrypto.Signature(a.Token, tss, nonce))
	q.Set("timestamp", tss)
	q.Set("nonce", nonce)
	return q
}

// FuzzPlainBody: any body in plaintext mode, correctly signed.
func FuzzPlainBody(f *testing.F) {
	e, a := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		serve(t, e, a, signedQuery(a, e.clock.Now().Unix()), body)
	})
}

// FuzzSafePlaintext: any plaintext, encrypted and signed as WeChat would, so it reaches the message parser,
// the matcher and the store.
func FuzzSafePlaintext(f *testing.F) {
	e, a := fuzzEnv(f)
	c, err := wxcrypto.NewCipher(a.EncodingAESKey, a.AppID)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, plain []byte) {
		enc, err := c.Encrypt(plain)
		if err != nil {
			t.Skip()
		}
		q := signedQuery(a, e.clock.Now().Unix())
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wxcrypto.MsgSignature(a.Token, q.Get("timestamp"), q.Get("nonce"), enc))
		w := serve(t, e, a, q, []byte("<xml><Encrypt><![CDATA["+enc+"]]></Encrypt></xml>"))
		if w.Code == 200 && w.Body.String() != "success" {
			if _, err := c.OpenReply(a.Token, w.Body.Bytes()); err != nil {
				t.Fatalf("reply does not open: %v", err)
			}
		}
	})
}

// FuzzSafeBody: any body in safe mode, with the msg_signature made over whatever <Encrypt> it holds, so
// malformed ciphertext reaches the decryption.
func FuzzSafeBody(f *testing.F) {
	e, a := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		q := signedQuery(a, e.clock.Now().Unix())
		q.Set("encrypt_type", "aes")
		enc := ""
		if m, err := wxcrypto.ParseMessage(body); err == nil {
			enc = m.Encrypt
		}
		q.Set("msg_signature", wxcrypto.MsgSignature(a.Token, q.Get("timestamp"), q.Get("nonce"), enc))
		serve(t, e, a, q, body)
	})
}

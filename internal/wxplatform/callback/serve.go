package callback

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

const (
	contentTypeText = "text/plain; charset=utf-8"
	contentTypeXML  = "application/xml; charset=utf-8"
)

// success is WeChat's "no reply" answer: it shows the follower nothing and does not retry.
var success = []byte("success")

// verify answers WeChat's URL verification: the echostr, as is, when the signature holds.
func (h *Handler) verify(c *gin.Context) {
	acct, ok := h.lookup(c)
	if !ok {
		return
	}
	q := c.Request.URL.Query()
	ts := q.Get("timestamp")
	if !wxcrypto.VerifySignature(acct.Token, ts, q.Get("nonce"), q.Get("signature")) {
		plain(c, http.StatusForbidden, "signature mismatch")
		return
	}
	if !h.fresh(ts) {
		plain(c, http.StatusForbidden, "timestamp too far from now")
		return
	}
	echo := q.Get("echostr")
	if echo == "" {
		plain(c, http.StatusBadRequest, "echostr missing")
		return
	}
	plain(c, http.StatusOK, echo)
}

// lookup finds the account of the :appid path parameter, or answers 404 (unknown) or 503 (the account was
// never loaded and Postgres does not answer: WeChat will retry).
func (h *Handler) lookup(c *gin.Context) (*accounts.Account, bool) {
	appid := c.Param("appid")
	if !appIDPattern.MatchString(appid) {
		plain(c, http.StatusNotFound, "unknown appid")
		return nil, false
	}
	// Half the budget at most: when Postgres hangs, the accounts service answers its cached account after
	// this, and the rest of the budget is left for matching and storing.
	ctx, cancel := context.WithTimeout(c.Request.Context(), h.opts.Budget/2)
	defer cancel()
	acct, err := h.opts.Accounts.ByAppID(ctx, appid)
	switch {
	case err == nil:
		return acct, true
	case errors.Is(err, accounts.ErrNotFound):
		plain(c, http.StatusNotFound, "unknown appid")
	default:
		h.warnEvery(10*time.Second, "callback: cannot load the account", "appid", appid, "err", err)
		plain(c, http.StatusServiceUnavailable, "try again later")
	}
	return nil, false
}

// fresh reports whether a request timestamp is within MaxClockSkew of now.
func (h *Handler) fresh(ts string) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := h.now().Unix() - sec
	if d < 0 {
		d = -d
	}
	return d <= int64(MaxClockSkew/time.Second)
}

// bodyPool recycles the buffers bodies are read into: a body is parsed, and its fields copied out, before
// the buffer goes back.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// receive handles one inbound message or event. Whatever the caller sends, the answer is 2xx, 4xx, or 503
// when the account cannot be loaded at all: never a 500.
func (h *Handler) receive(c *gin.Context) {
	defer func() {
		if c.Writer.Status() != http.StatusOK {
			h.outcome(OutcomeRefused)
		}
	}()
	// The budget runs on the real clock; h.now (a test may set it) stamps the protocol's timestamps.
	deadline := time.Now().Add(h.opts.Budget)
	r := c.Request
	if r.ContentLength > MaxBodyBytes {
		c.Header("Connection", "close")
		plain(c, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	acct, ok := h.lookup(c)
	if !ok {
		return
	}
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if !wxcrypto.VerifySignature(acct.Token, ts, nonce, q.Get("signature")) {
		plain(c, http.StatusForbidden, "signature mismatch")
		return
	}
	if !h.fresh(ts) {
		plain(c, http.StatusForbidden, "timestamp too far from now")
		return
	}

	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 2*MaxBodyBytes {
			bodyPool.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(http.MaxBytesReader(c.Writer, r.Body, MaxBodyBytes)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			c.Header("Connection", "close")
			plain(c, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		plain(c, http.StatusBadRequest, "body could not be read")
		return
	}

	in, status, problem := h.open(acct, q, ts, nonce, buf.Bytes())
	if status != 0 {
		plain(c, status, problem)
		return
	}
	h.stats.received.Add(1)

	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()
	ans, dup := h.answer(ctx, acct, in, h.now())
	switch {
	case dup:
		h.outcome(OutcomeDuplicate)
	case ans.xml != nil:
		h.outcome(OutcomeReplied)
	default:
		h.outcome(OutcomeNoMatch)
	}

	body := success
	ct := contentTypeText
	if ans.xml != nil {
		body, ct = ans.xml, contentTypeXML
		if in.encrypted {
			sealed, err := in.cipher.SealReply(acct.Token, ans.xml, ts, nonce)
			if err != nil {
				h.warnEvery(10*time.Second, "callback: cannot encrypt the reply, answering success", "appid", acct.AppID, "err", err)
				body, ct = success, contentTypeText
			} else {
				body = sealed
			}
		}
	}
	c.Data(http.StatusOK, ct, body)
}

// inbound is a verified, decoded message.
type inbound struct {
	msg       *wxcrypto.Message
	raw       string // the message XML (decrypted in safe mode)
	encrypted bool   // the request was encrypted: the reply must be too
	cipher    *wxcrypto.Cipher
}

// open authenticates and decodes the body according to the request's mode. A non-zero status is the
// answer to give instead.
func (h *Handler) open(acct *accounts.Account, q map[string][]string, ts, nonce string, body []byte) (inbound, int, string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	outer, err := wxcrypto.ParseMessage(body)
	if err != nil {
		return inbound{}, http.StatusBadRequest, "malformed XML"
	}
	if get("encrypt_type") != "aes" {
		// Plaintext mode: the body is the message; WeChat's signature covers only timestamp and nonce.
		if outer.MsgType == "" {
			if outer.Encrypt != "" {
				return inbound{}, http.StatusBadRequest, "encrypted body without encrypt_type=aes"
			}
			return inbound{}, http.StatusBadRequest, "malformed message: no MsgType"
		}
		if acct.EncodingAESKey != "" {
			// An account with a key is in safe (or compatible) mode, where WeChat never sends plaintext
			// alone; the URL signature does not cover the body, so such a body may be anyone's.
			return inbound{}, http.StatusForbidden, "this account is in safe mode: plaintext messages are refused"
		}
		return checked(inbound{msg: outer, raw: string(body)})
	}
	// Compatible and safe modes: the msg_signature authenticates the ciphertext, checked before any
	// decryption so that no forged ciphertext reaches AES. In compatible mode the plaintext fields beside it
	// are not authenticated: with a key, only the decrypted message is used.
	if outer.Encrypt == "" {
		return inbound{}, http.StatusBadRequest, "malformed XML: no <Encrypt> element"
	}
	if !wxcrypto.VerifyMsgSignature(acct.Token, ts, nonce, outer.Encrypt, get("msg_signature")) {
		return inbound{}, http.StatusForbidden, "msg_signature mismatch"
	}
	if acct.EncodingAESKey == "" {
		// The operator turned encryption on in WeChat's admin but never gave us the key. A compatible-mode
		// body still carries the plaintext, which can be answered in plaintext.
		if outer.MsgType != "" {
			return checked(inbound{msg: outer, raw: string(body)})
		}
		return inbound{}, http.StatusBadRequest, "this account has no EncodingAESKey: bind it again with the key"
	}
	ciph, err := h.cipherFor(acct)
	if err != nil {
		return inbound{}, http.StatusBadRequest, "this account's EncodingAESKey is invalid"
	}
	plainXML, err := ciph.Decrypt(outer.Encrypt)
	if err != nil {
		return inbound{}, http.StatusBadRequest, "ciphertext cannot be decrypted"
	}
	msg, err := wxcrypto.ParseMessage(plainXML)
	if err != nil {
		return inbound{}, http.StatusBadRequest, "malformed XML inside the ciphertext"
	}
	return checked(inbound{msg: msg, raw: string(plainXML), encrypted: true, cipher: ciph})
}

// checked refuses messages missing the fields every WeChat message has.
func checked(in inbound) (inbound, int, string) {
	switch {
	case in.msg.MsgType == "":
		return inbound{}, http.StatusBadRequest, "malformed message: no MsgType"
	case in.msg.FromUserName == "":
		return inbound{}, http.StatusBadRequest, "malformed message: no FromUserName"
	}
	return in, 0, ""
}

func plain(c *gin.Context, status int, msg string) {
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "no-store")
	c.Data(status, contentTypeText, []byte(msg))
	c.Abort()
}

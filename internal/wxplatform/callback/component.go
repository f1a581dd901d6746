package callback

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// The message URL of accounts bound through the third-party platform (contract §15):
// POST /wxplatform/component/callback/{appid}, configured at WeChat once for every authorizer as
// {BASE_URL}/wxplatform/component/callback/$APPID$. It is §5 in full, in safe mode only, with the
// component's token, EncodingAESKey and appid instead of the account's.

// ComponentKeys are the component's credentials the message URL needs.
type ComponentKeys struct {
	AppID          string
	Token          string
	EncodingAESKey string
}

// ReleaseTester answers the part of WeChat's full-network release test that happens after the
// callback answered: QUERY_AUTH_CODE:$code asks for api_query_auth with the code, then a
// customer-service text "$code_from_api" to the sender with the authorizer token it gave.
type ReleaseTester interface {
	AnswerQueryAuthCode(ctx context.Context, authCode, openid string)
}

// releaseTestAppIDs are WeChat's full-network release test accounts (official account and mini
// program); messages for an appid nobody bound are treated as release-test messages too.
var releaseTestAppIDs = []string{"wx570bc396a51b8ff8", "wxd101a85aa106f53e", "wx9252c5e0bb1836fc", "wx8e1097c5bc82cde9"}

const contentTypeComponentXML = "text/xml; charset=utf-8"

// ComponentRoutes mounts POST /wxplatform/component/callback/:appid.
func (h *Handler) ComponentRoutes(r gin.IRouter, keys ComponentKeys, release ReleaseTester) error {
	c, err := wxcrypto.NewCipher(keys.EncodingAESKey, keys.AppID)
	if err != nil {
		return err
	}
	cr := &componentReceiver{h: h, keys: keys, cipher: c, release: release}
	r.POST("/wxplatform/component/callback/:appid", cr.receive)
	return nil
}

type componentReceiver struct {
	h       *Handler
	keys    ComponentKeys
	cipher  *wxcrypto.Cipher
	release ReleaseTester
}

func (cr *componentReceiver) receive(c *gin.Context) {
	h := cr.h
	defer func() {
		if c.Writer.Status() != http.StatusOK {
			h.outcome(OutcomeRefused)
		}
	}()
	deadline := time.Now().Add(h.opts.Budget)
	r := c.Request
	appid := c.Param("appid")
	if !appIDPattern.MatchString(appid) {
		plain(c, http.StatusNotFound, "unknown appid")
		return
	}
	if r.ContentLength > MaxBodyBytes {
		c.Header("Connection", "close")
		plain(c, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if !wxcrypto.VerifySignature(cr.keys.Token, ts, nonce, q.Get("signature")) {
		plain(c, http.StatusForbidden, "signature mismatch")
		return
	}
	if !h.fresh(ts) {
		plain(c, http.StatusForbidden, "timestamp too far from now")
		return
	}
	if q.Get("encrypt_type") != "aes" {
		// The URL signature does not cover the body: a plaintext body could be anyone's.
		plain(c, http.StatusForbidden, "the component message URL accepts safe mode (encrypt_type=aes) only")
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
	outer, err := wxcrypto.ParseMessage(buf.Bytes())
	if err != nil || outer.Encrypt == "" {
		plain(c, http.StatusBadRequest, "malformed XML: no <Encrypt> element")
		return
	}
	if !wxcrypto.VerifyMsgSignature(cr.keys.Token, ts, nonce, outer.Encrypt, q.Get("msg_signature")) {
		plain(c, http.StatusForbidden, "msg_signature mismatch")
		return
	}
	plainXML, err := cr.cipher.Decrypt(outer.Encrypt)
	if err != nil {
		plain(c, http.StatusForbidden, "ciphertext cannot be decrypted with the component's key")
		return
	}
	msg, err := wxcrypto.ParseMessage(plainXML)
	if err != nil {
		plain(c, http.StatusBadRequest, "malformed XML inside the ciphertext")
		return
	}
	in, status, problem := checked(inbound{msg: msg, raw: string(plainXML), encrypted: true, cipher: cr.cipher})
	if status != 0 {
		plain(c, status, problem)
		return
	}

	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()
	acct, err := h.opts.Accounts.ByAppID(ctx, appid)
	switch {
	case errors.Is(err, accounts.ErrNotFound) || slices.Contains(releaseTestAppIDs, appid):
		cr.releaseTest(c, in.msg, ts, nonce)
		return
	case err != nil:
		h.warnEvery(10*time.Second, "component callback: cannot load the account", "appid", appid, "err", err)
		plain(c, http.StatusServiceUnavailable, "try again later")
		return
	case acct.Mode != accounts.ModeComponent:
		// Bound by AppSecret: its messages come to /wxplatform/callback/{appid} with its own key.
		plain(c, http.StatusForbidden, "this account is not bound through the third-party platform")
		return
	}
	h.stats.received.Add(1)
	ans, dup := h.answer(ctx, acct, in, h.now())
	switch {
	case dup:
		h.outcome(OutcomeDuplicate)
	case ans.xml != nil:
		h.outcome(OutcomeReplied)
	default:
		h.outcome(OutcomeNoMatch)
	}
	cr.reply(c, ans.xml, ts, nonce, appid)
}

// reply answers the reply XML sealed with the component's key, or "success".
func (cr *componentReceiver) reply(c *gin.Context, xml []byte, ts, nonce, appid string) {
	if xml == nil {
		c.Data(http.StatusOK, contentTypeText, success)
		return
	}
	sealed, err := cr.cipher.SealReply(cr.keys.Token, xml, ts, nonce)
	if err != nil {
		cr.h.warnEvery(10*time.Second, "component callback: cannot encrypt the reply, answering success", "appid", appid, "err", err)
		c.Data(http.StatusOK, contentTypeText, success)
		return
	}
	c.Data(http.StatusOK, contentTypeComponentXML, sealed)
}

// Full-network release test texts (contract §15).
const (
	releaseText         = "TESTCOMPONENT_MSG_TYPE_TEXT"
	releaseQueryAuthPfx = "QUERY_AUTH_CODE:"
)

// releaseTest answers WeChat's full-network release test: TESTCOMPONENT_MSG_TYPE_TEXT →
// TESTCOMPONENT_MSG_TYPE_TEXT_callback; QUERY_AUTH_CODE:$code → an empty answer, then the
// customer-service text "$code_from_api"; an event → "{Event}from_callback". Anything else → success.
func (cr *componentReceiver) releaseTest(c *gin.Context, m *wxcrypto.Message, ts, nonce string) {
	answerText := func(content string) {
		r := wxcrypto.Reply{ToUserName: m.FromUserName, FromUserName: m.ToUserName, CreateTime: cr.h.now().Unix(),
			MsgType: "text", Content: content}
		cr.reply(c, r.Marshal(), ts, nonce, "release-test")
	}
	switch {
	case m.MsgType == "text" && m.Content == releaseText:
		answerText(releaseText + "_callback")
	case m.MsgType == "text" && strings.HasPrefix(m.Content, releaseQueryAuthPfx):
		code := strings.TrimSpace(strings.TrimPrefix(m.Content, releaseQueryAuthPfx))
		if cr.release != nil && code != "" && len(code) <= 512 {
			cr.release.AnswerQueryAuthCode(context.WithoutCancel(c.Request.Context()), code, m.FromUserName)
		}
		c.Data(http.StatusOK, contentTypeText, nil)
	case m.MsgType == "event" && m.Event != "":
		answerText(m.Event + "from_callback")
	default:
		c.Data(http.StatusOK, contentTypeText, success)
	}
}

package wxemu

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// DeliverRaw POSTs raw, an inbound message or event XML written by the caller exactly as WeChat writes it,
// to appid's callback in the account's mode: signed in plaintext mode; in compatible mode with an
// <Encrypt> element added; in safe mode as the encrypted envelope alone. openid is the query's openid.
// The events whose elements Message does not model (the *JOBFINISH counts) are pushed this way.
func (e *Emulator) DeliverRaw(ctx context.Context, appid, openid string, raw []byte) error {
	e.mu.Lock()
	acc := e.account(appid)
	if acc == nil {
		e.mu.Unlock()
		return ErrUnknownAccount
	}
	a, cbURL, mode := acc.Account, acc.callbackURL, acc.callbackMode
	now := e.now()
	e.mu.Unlock()
	if cbURL == "" {
		return ErrNoCallback
	}
	ts, nonce := strconv.FormatInt(now.Unix(), 10), wxcrypto.RandomNonce()
	q := url.Values{"signature": {wxcrypto.Signature(a.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {openid}}
	body := raw
	if mode == ModeCompat || mode == ModeSafe {
		c, err := wxcrypto.NewCipher(a.EncodingAESKey, a.AppID)
		if err != nil {
			return fmt.Errorf("wxemu: deliver: %w", err)
		}
		enc, err := c.Encrypt(raw)
		if err != nil {
			return fmt.Errorf("wxemu: deliver: %w", err)
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wxcrypto.MsgSignature(a.Token, ts, nonce, enc))
		if mode == ModeCompat {
			i := bytes.LastIndex(raw, []byte("</xml>"))
			if i < 0 {
				return fmt.Errorf("wxemu: deliver: no </xml> in the message")
			}
			body = append(append(bytes.Clone(raw[:i]), "<Encrypt><![CDATA["+enc+"]]></Encrypt>\n"...), raw[i:]...)
		} else {
			body = []byte("<xml>\n<ToUserName><![CDATA[" + a.OriginalID + "]]></ToUserName>\n<Encrypt><![CDATA[" + enc + "]]></Encrypt>\n</xml>")
		}
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, withQuery(cbURL, q), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("wxemu: deliver: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("wxemu: deliver to %s: %w", cbURL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxReplyBody))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wxemu: deliver: the callback answered HTTP %d", resp.StatusCode)
	}
	return nil
}

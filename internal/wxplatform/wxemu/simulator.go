package wxemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// Callback modes, as chosen in WeChat's admin: plaintext, compatible (plain and encrypted fields side by
// side) and safe (encrypted only).
const (
	ModePlain  = "plain"
	ModeCompat = "compat"
	ModeSafe   = "safe"
)

// Errors of the follower simulator.
var (
	ErrUnknownAccount = errors.New("wxemu: unknown appid")
	ErrNoCallback     = errors.New("wxemu: no callback url set for the account")
	ErrUnknownTicket  = errors.New("wxemu: unknown or expired QR ticket")
	ErrNoFollower     = errors.New("wxemu: the account has no follower to send as")
	// ErrBadReply means WeChat would not show the callback's answer: it is neither empty, "success" nor
	// a valid passive reply (for the mode), or its To/From do not mirror the message. The user would see
	// "该公众号暂时无法提供服务，请稍后再试".
	ErrBadReply = errors.New("wxemu: WeChat would reject the reply")
)

// maxReplyBody bounds what the simulator reads of a callback's answer.
const maxReplyBody = 1 << 20

// Delivery is the outcome of one simulated message.
type Delivery struct {
	Status  int               // the callback's HTTP status
	Body    []byte            // the callback's raw answer
	Reply   *wxcrypto.Reply   // the decoded (decrypted) passive reply; nil for "success" or an empty body
	Message *wxcrypto.Message // the message as sent, with ToUserName, CreateTime and MsgId filled in
	Sent    []byte            // the POST body as sent (encrypted in safe mode)
	URL     string            // the callback URL with WeChat's signature parameters
}

// SetCallback sets where and how the follower simulator delivers messages for appid: the server URL of
// WeChat's developer settings, and mode "plain", "compat" or "safe" ("" means plain).
func (e *Emulator) SetCallback(appid, callbackURL, mode string) {
	if mode == "" {
		mode = ModePlain
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		acc.callbackURL, acc.callbackMode = callbackURL, mode
	}
}

// Callback returns the callback URL and mode set for appid.
func (e *Emulator) Callback(appid string) (callbackURL, mode string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		return acc.callbackURL, acc.callbackMode
	}
	return "", ""
}

// SendText delivers a text message from openid ("" means the account's first follower).
func (e *Emulator) SendText(ctx context.Context, appid, openid, content string) (*Delivery, error) {
	openid, err := e.sender(appid, openid)
	if err != nil {
		return nil, err
	}
	return e.Deliver(ctx, appid, &wxcrypto.Message{FromUserName: openid, MsgType: "text", Content: content})
}

// SendEvent delivers an event (subscribe, unsubscribe, CLICK, VIEW, SCAN, LOCATION …) from openid. A
// subscribe makes openid a follower ("" means a new one), an unsubscribe removes it from the follower
// list, as WeChat does whatever the callback answers. For other events "" means the first follower.
func (e *Emulator) SendEvent(ctx context.Context, appid, openid, event, eventKey string) (*Delivery, error) {
	e.mu.Lock()
	acc := e.account(appid)
	if acc == nil {
		e.mu.Unlock()
		return nil, ErrUnknownAccount
	}
	switch event {
	case "subscribe":
		f := acc.ensureUser(openid)
		if !f.Subscribed {
			f.SubscribeTime = e.now().Unix()
			acc.subscribe(f)
		}
		openid = f.OpenID
	case "unsubscribe":
		if f := acc.followers[openid]; f != nil {
			acc.unsubscribe(f)
		}
	}
	e.mu.Unlock()
	openid, err := e.sender(appid, openid)
	if err != nil {
		return nil, err
	}
	return e.Deliver(ctx, appid, &wxcrypto.Message{FromUserName: openid, MsgType: "event", Event: event, EventKey: eventKey})
}

// Scan delivers what WeChat sends when openid scans a parametric QR code: a SCAN event with the scene as
// EventKey for a follower, else a subscribe event with EventKey qrscene_<scene> (the user follows, with
// subscribe_scene ADD_SCENE_QR_CODE). Both carry the Ticket. openid "" is a new user.
func (e *Emulator) Scan(ctx context.Context, appid, openid, ticket string) (*Delivery, error) {
	e.mu.Lock()
	acc := e.account(appid)
	if acc == nil {
		e.mu.Unlock()
		return nil, ErrUnknownAccount
	}
	q := e.qrByTicket(ticket)
	if q == nil || q.appid != appid {
		e.mu.Unlock()
		return nil, ErrUnknownTicket
	}
	msg := &wxcrypto.Message{MsgType: "event", Ticket: ticket}
	f := acc.ensureUser(openid)
	if f.Subscribed {
		msg.Event, msg.EventKey = "SCAN", q.Scene()
	} else {
		msg.Event, msg.EventKey = "subscribe", "qrscene_"+q.Scene()
		f.SubscribeTime = e.now().Unix()
		f.SubscribeScene, f.QRScene, f.QRSceneStr = "ADD_SCENE_QR_CODE", q.SceneID, q.SceneStr
		acc.subscribe(f)
	}
	msg.FromUserName = f.OpenID
	e.mu.Unlock()
	return e.Deliver(ctx, appid, msg)
}

// VerifyCallback does what WeChat's admin does when the server URL is saved: a GET with signature,
// timestamp, nonce and echostr, which the callback must answer with the echostr alone.
func (e *Emulator) VerifyCallback(ctx context.Context, appid string) error {
	e.mu.Lock()
	acc := e.account(appid)
	if acc == nil {
		e.mu.Unlock()
		return ErrUnknownAccount
	}
	token, cbURL := acc.Token, acc.callbackURL
	ts := strconv.FormatInt(e.now().Unix(), 10)
	e.mu.Unlock()
	if cbURL == "" {
		return ErrNoCallback
	}
	nonce := wxcrypto.RandomNonce()
	echostr := strconv.FormatUint(rand.Uint64()>>1, 10)
	q := url.Values{"signature": {wxcrypto.Signature(token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echostr}}
	ctx, cancel := context.WithTimeout(ctx, e.opts.DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, withQuery(cbURL, q), nil)
	if err != nil {
		return fmt.Errorf("wxemu: verify callback: %w", err)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("wxemu: verify callback %s: %w", cbURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if err != nil {
		return fmt.Errorf("wxemu: verify callback: %w", err)
	}
	if resp.StatusCode != http.StatusOK || string(body) != echostr {
		return fmt.Errorf("%w: token verification failed (HTTP %d, %q instead of the echostr)", ErrBadReply, resp.StatusCode, body)
	}
	return nil
}

// withQuery appends q to a URL that may have its own query.
func withQuery(u string, q url.Values) string {
	if strings.Contains(u, "?") {
		return u + "&" + q.Encode()
	}
	return u + "?" + q.Encode()
}

// sender resolves "" to the account's first follower.
func (e *Emulator) sender(appid, openid string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	switch {
	case acc == nil:
		return "", ErrUnknownAccount
	case openid != "":
		return openid, nil
	case len(acc.order) == 0:
		return "", ErrNoFollower
	}
	return acc.order[0].OpenID, nil
}

// Deliver plays WeChat's side of the message callback: it fills in ToUserName (the account's original
// id), CreateTime and, for messages, MsgId when zero; signs the request (signature, timestamp, nonce,
// openid; in compat and safe mode also encrypt_type=aes and msg_signature over the ciphertext); POSTs
// the XML to the account's callback within Options.DeliveryTimeout; and decodes the passive reply,
// decrypting an encrypted envelope. msg is not modified.
//
// A callback that answers, whatever its status, gives a Delivery; when the answer is one WeChat would
// reject the error wraps ErrBadReply and the Delivery is returned as well.
func (e *Emulator) Deliver(ctx context.Context, appid string, msg *wxcrypto.Message) (*Delivery, error) {
	e.mu.Lock()
	acc := e.account(appid)
	if acc == nil {
		e.mu.Unlock()
		return nil, ErrUnknownAccount
	}
	a, cbURL, mode := acc.Account, acc.callbackURL, acc.callbackMode
	// An account that authorized a component gets its messages through the component's URL, signed and
	// encrypted with the component's token, key and appid.
	token, aesKey, cipherAppID := e.deliveryKeys(a)
	now := e.now()
	if cbURL != "" {
		// WeChat opens the customer-service window when the follower acts, whatever the callback answers.
		acc.noteInteraction(msg, now)
	}
	e.mu.Unlock()
	if cbURL == "" {
		return nil, ErrNoCallback
	}

	m := *msg
	if m.ToUserName == "" {
		m.ToUserName = a.OriginalID
	}
	if m.CreateTime == 0 {
		m.CreateTime = now.Unix()
	}
	if m.MsgType != "event" && m.MsgID == 0 {
		m.MsgID = 6_000_000_000_000_000_000 + rand.Int64N(1_000_000_000_000_000_000)
	}
	m.Encrypt = ""
	var cipher *wxcrypto.Cipher
	if mode == ModeCompat || mode == ModeSafe {
		var err error
		if cipher, err = wxcrypto.NewCipher(aesKey, cipherAppID); err != nil {
			return nil, fmt.Errorf("wxemu: deliver: %w", err)
		}
	}
	q, body, err := wxcrypto.SealMessage(token, cipher, mode == ModeCompat, &m,
		strconv.FormatInt(now.Unix(), 10), wxcrypto.RandomNonce())
	if err != nil {
		return nil, fmt.Errorf("wxemu: deliver: %w", err)
	}
	target := withQuery(cbURL, q)

	ctx, cancel := context.WithTimeout(ctx, e.opts.DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("wxemu: deliver: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wxemu: deliver to %s: %w", cbURL, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBody))
	if err != nil {
		return nil, fmt.Errorf("wxemu: deliver: read reply: %w", err)
	}
	d := &Delivery{Status: resp.StatusCode, Body: answer, Message: &m, Sent: body, URL: target}
	if m.MsgType != "event" {
		e.mu.Lock()
		if acc := e.account(appid); acc != nil {
			acc.countDelivered(now)
		}
		e.mu.Unlock()
	}
	if resp.StatusCode != http.StatusOK {
		return d, nil
	}
	if err := e.decodeReply(d, a, token, mode, cipher); err != nil {
		e.log.Warn("wxemu: callback reply rejected", "appid", a.AppID, "err", err)
		return d, err
	}
	return d, nil
}

// decodeReply reads the callback's answer into d.Reply as WeChat would.
func (e *Emulator) decodeReply(d *Delivery, a Account, token, mode string, cipher *wxcrypto.Cipher) error {
	trimmed := bytes.TrimSpace(d.Body)
	if len(trimmed) == 0 || string(trimmed) == "success" {
		return nil
	}
	plain := trimmed
	encrypted := bytes.Contains(trimmed, []byte("<Encrypt>"))
	switch {
	case encrypted && cipher != nil:
		p, err := cipher.OpenReply(token, trimmed)
		if err != nil {
			return fmt.Errorf("%w: encrypted reply: %w", ErrBadReply, err)
		}
		plain = p
	case encrypted:
		return fmt.Errorf("%w: an encrypted reply in plaintext mode", ErrBadReply)
	case mode == ModeSafe:
		return fmt.Errorf("%w: a plaintext reply in safe mode", ErrBadReply)
	}
	reply, err := wxcrypto.ParseReply(plain)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	d.Reply = reply
	switch reply.MsgType {
	case "text", "image", "voice", "video", "music", "news", "transfer_customer_service":
	default:
		return fmt.Errorf("%w: MsgType %q", ErrBadReply, reply.MsgType)
	}
	if reply.ToUserName != d.Message.FromUserName || reply.FromUserName != a.OriginalID {
		return fmt.Errorf("%w: ToUserName %q / FromUserName %q do not answer %q / %q", ErrBadReply,
			reply.ToUserName, reply.FromUserName, d.Message.FromUserName, a.OriginalID)
	}
	return nil
}

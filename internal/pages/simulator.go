package pages

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// simulatorToUser is the ToUserName of simulated messages: WeChat puts the account's original id (gh_…)
// there, which the console does not know and the callback only mirrors back.
const simulatorToUser = "gh_simulator"

// simulatorTimeout bounds one simulated exchange (the callback answers within 2 s).
const simulatorTimeout = 5 * time.Second

// simOpenID is the operator's own follower in the simulator, the same on every visit so the inbox groups
// their tries.
func simOpenID(c *gin.Context) string {
	return "o_simulator_" + strconv.FormatInt(httpapi.UserID(c), 10)
}

// simExchange is one simulated message and what the callback answered.
type simExchange struct {
	Sent   string          // what the follower did: the text, or the event
	Reply  *wxcrypto.Reply // the passive reply, nil for "success"
	Raw    string          // the answer as it came (encrypted in safe mode)
	Plain  string          // the answer's XML, decrypted
	Status int
	Error  string
}

// simInput is what the simulator form sends.
type simInput struct {
	Content  string
	Event    string // "", "subscribe", "CLICK" or "SCAN"
	EventKey string // CLICK: the key; SCAN, and subscribe through a QR code: the code's scene
	Ticket   string // SCAN and subscribe through a QR code: the code's ticket
}

func (in simInput) message(openid string) (*wxcrypto.Message, error) {
	m := &wxcrypto.Message{ToUserName: simulatorToUser, FromUserName: openid, CreateTime: time.Now().Unix()}
	switch in.Event {
	case "":
		if in.Content == "" {
			return nil, apperr.Missing("content")
		}
		m.MsgType, m.Content = "text", in.Content
		var b [8]byte
		_, _ = rand.Read(b[:])
		m.MsgID = int64(binary.BigEndian.Uint64(b[:]) >> 1)
	case "subscribe":
		m.MsgType, m.Event = "event", "subscribe"
		if in.EventKey != "" { // a follow through a QR code
			m.EventKey, m.Ticket = "qrscene_"+in.EventKey, in.Ticket
		}
	case "SCAN":
		if in.EventKey == "" {
			return nil, apperr.Missing("eventKey")
		}
		m.MsgType, m.Event, m.EventKey, m.Ticket = "event", "SCAN", in.EventKey, in.Ticket
	case "CLICK":
		if in.EventKey == "" {
			return nil, apperr.Missing("eventKey")
		}
		m.MsgType, m.Event, m.EventKey = "event", "CLICK", in.EventKey
	default:
		return nil, apperr.Invalidf("event", "must be subscribe, CLICK or SCAN").WithKey("error.sim_event", "event")
	}
	return m, nil
}

// simulate sends a follower's message through the real callback path, signed (and, for an account with an
// EncodingAESKey, encrypted in safe mode) exactly as WeChat does, and shows the answer: JSON for the
// page's script, else the page with the exchange.
func (p *Pages) simulate(c *gin.Context) {
	a := accounts.Current(c)
	in := simInput{Content: strings.TrimSpace(c.PostForm("content")), Event: c.PostForm("event"),
		EventKey: strings.TrimSpace(c.PostForm("eventKey")), Ticket: strings.TrimSpace(c.PostForm("ticket"))}
	ex, err := p.exchange(c.Request.Context(), a, simOpenID(c), in)
	if wantsJSON(c) {
		if err != nil {
			c.JSON(statusOf(err), gin.H{"error": errText(c, err)})
			return
		}
		out := gin.H{"reply": ex.Reply, "raw": ex.Raw, "plain": ex.Plain, "status": ex.Status}
		if ex.Error != "" {
			out["error"] = ex.Error
		}
		if ex.Reply == nil {
			out["none"] = t(c, "sim.none")
		} else {
			out["kind"] = replyKindLabel(c, ex.Reply.MsgType)
		}
		c.JSON(http.StatusOK, out)
		return
	}
	v, ok := p.repliesView(c)
	if !ok {
		return
	}
	d := v.Data.(*repliesData)
	d.SimEvent, d.SimKey = in.Event, in.EventKey
	status := http.StatusOK
	if err != nil {
		formError(v, err)
		if msg, ok := v.Errors["content"]; ok {
			delete(v.Errors, "content")
			v.Errors["sim-content"] = msg
		}
		status = statusOf(err)
	} else {
		d.Sim = ex
	}
	p.html(c, status, "replies", v)
}

// exchange builds the follower's message, delivers it to /wxplatform/callback/{appid} in-process and
// decodes the answer as WeChat would.
func (p *Pages) exchange(ctx context.Context, a *accounts.Account, openid string, in simInput) (*simExchange, error) {
	msg, err := in.message(openid)
	if err != nil {
		return nil, err
	}
	ex := &simExchange{Sent: in.Content}
	if in.Event != "" {
		ex.Sent = strings.TrimSpace(in.Event + " " + in.EventKey)
	}
	var cipher *wxcrypto.Cipher
	if a.EncodingAESKey != "" {
		// Safe mode, as an account with a key most likely uses: only ToUserName and the ciphertext.
		if cipher, err = wxcrypto.NewCipher(a.EncodingAESKey, a.AppID); err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
	}
	q, body, err := wxcrypto.SealMessage(a.Token, cipher, false, msg, strconv.FormatInt(time.Now().Unix(), 10), wxcrypto.RandomNonce())
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, simulatorTimeout)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/wxplatform/callback/"+url.PathEscape(a.AppID)+"?"+q.Encode(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/xml")
	req.RemoteAddr = "127.0.0.1:0"
	rec := httptest.NewRecorder()
	p.deps.Router.ServeHTTP(rec, req)

	answer := rec.Body.Bytes()
	ex.Status, ex.Raw = rec.Code, string(answer)
	if rec.Code != http.StatusOK {
		ex.Error = fmt.Sprintf("HTTP %d: %s", rec.Code, strings.TrimSpace(string(answer)))
		return ex, nil
	}
	trimmed := bytes.TrimSpace(answer)
	if len(trimmed) == 0 || string(trimmed) == "success" {
		return ex, nil
	}
	if cipher != nil && bytes.Contains(trimmed, []byte("<Encrypt>")) {
		opened, err := cipher.OpenReply(a.Token, trimmed)
		if err != nil {
			ex.Error = "the encrypted answer does not open: " + err.Error()
			return ex, nil
		}
		trimmed = opened
	}
	ex.Plain = string(trimmed)
	r, err := wxcrypto.ParseReply(trimmed)
	if err != nil {
		ex.Error = "the answer is not a passive reply: " + err.Error()
		return ex, nil
	}
	ex.Reply = r
	return ex, nil
}

// replyKindLabel names a passive reply's type in the page's language (WeChat's "news" is a multitext rule).
func replyKindLabel(c *gin.Context, msgType string) string {
	if msgType == "news" {
		msgType = "multitext"
	}
	return t(c, "replies.type."+msgType)
}

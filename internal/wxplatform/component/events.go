package component

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// maxEventBody bounds a push: WeChat's are a few hundred bytes.
const maxEventBody = 16 << 10

// maxSkew is how far a push's timestamp may be from the console's clock.
const maxSkew = 5 * time.Minute

// envelope is the outer XML of a push: the component's appid and the ciphertext.
type envelope struct {
	AppID   string `xml:"AppId"`
	Encrypt string `xml:"Encrypt"`
}

// Event is a decrypted push of the authorization-event URL.
type Event struct {
	AppID                        string `xml:"AppId"`
	CreateTime                   int64  `xml:"CreateTime"`
	InfoType                     string `xml:"InfoType"`
	ComponentVerifyTicket        string `xml:"ComponentVerifyTicket"`
	AuthorizerAppid              string `xml:"AuthorizerAppid"`
	AuthorizationCode            string `xml:"AuthorizationCode"`
	AuthorizationCodeExpiredTime int64  `xml:"AuthorizationCodeExpiredTime"`
	PreAuthCode                  string `xml:"PreAuthCode"`
}

// Open authenticates and decrypts a push: safe mode only (encrypt_type=aes), the URL signature and the
// msg_signature over the ciphertext with the component's token, a timestamp within 5 minutes, and a
// ciphertext sealed for this component's appid. Any failure is a reason to answer 403.
func (s *Service) Open(q map[string][]string, body []byte) (*Event, string) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	tok := s.opts.Credentials.Token
	ts, nonce := get("timestamp"), get("nonce")
	if !wxcrypto.VerifySignature(tok, ts, nonce, get("signature")) {
		return nil, "signature mismatch"
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || s.now().Sub(time.Unix(sec, 0)).Abs() > maxSkew {
		return nil, "timestamp too far from now"
	}
	if get("encrypt_type") != "aes" {
		return nil, "the authorization-event URL accepts safe mode (encrypt_type=aes) only"
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
		return nil, "malformed XML"
	}
	if env.AppID != "" && env.AppID != s.AppID() {
		return nil, "a push for another component"
	}
	if !wxcrypto.VerifyMsgSignature(tok, ts, nonce, env.Encrypt, get("msg_signature")) {
		return nil, "msg_signature mismatch"
	}
	// Decrypt checks the appid sealed at the end of the plaintext: another component's push fails here.
	plain, err := s.cipher.Decrypt(env.Encrypt)
	if err != nil {
		return nil, "ciphertext cannot be decrypted for this component"
	}
	var ev Event
	if err := xml.Unmarshal(plain, &ev); err != nil || ev.InfoType == "" {
		return nil, "malformed XML inside the ciphertext"
	}
	if ev.AppID != "" && ev.AppID != s.AppID() {
		return nil, "a push for another component"
	}
	return &ev, ""
}

// HandleEvent acts on a push. The ticket and a revocation are stored before answering; an
// authorization is completed after the push was answered (api_query_auth and
// api_get_authorizer_info may take longer than WeChat waits).
func (s *Service) HandleEvent(ctx context.Context, ev *Event) error {
	switch ev.InfoType {
	case "component_verify_ticket":
		if ev.ComponentVerifyTicket == "" {
			return nil
		}
		return s.saveTicket(ctx, ev.ComponentVerifyTicket, s.now())
	case "unauthorized":
		return s.opts.Accounts.Revoke(ctx, ev.AuthorizerAppid)
	case "authorized", "updateauthorized":
		if ev.AuthorizationCode == "" {
			return nil
		}
		sealed, err := s.opts.Box.Seal(ev.AuthorizationCode)
		if err != nil {
			return err
		}
		args := AuthorizedArgs{AppID: ev.AuthorizerAppid, CodeSealed: sealed}
		if ev.PreAuthCode != "" {
			args.PreAuthHash = hashCode(ev.PreAuthCode)
		}
		if s.opts.Jobs != nil {
			_, err := s.opts.Jobs.Enqueue(ctx, args, nil)
			return err
		}
		s.goWork("authorized", func(ctx context.Context) {
			if err := s.completePush(ctx, args.AppID, ev.AuthorizationCode, args.PreAuthHash); err != nil {
				s.log.WarnContext(ctx, "authorized push could not be completed", "appid", args.AppID, "err", err)
			}
		})
		return nil
	default:
		s.log.InfoContext(ctx, "component push ignored", "info_type", ev.InfoType)
		return nil
	}
}

// Routes mounts POST /wxplatform/component/events, public (WeChat signs its pushes).
func (s *Service) Routes(r gin.IRouter) {
	r.POST("/wxplatform/component/events", s.events)
}

func (s *Service) events(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxEventBody))
	if err != nil {
		text(c, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	ev, problem := s.Open(c.Request.URL.Query(), bytes.TrimSpace(body))
	if problem != "" {
		text(c, http.StatusForbidden, problem)
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	if err := s.HandleEvent(ctx, ev); err != nil {
		// WeChat retries a push that is not answered success: let it, the store failed.
		s.log.WarnContext(ctx, "component push not stored", "info_type", ev.InfoType, "err", err)
		text(c, http.StatusServiceUnavailable, "try again later")
		return
	}
	text(c, http.StatusOK, "success")
}

func text(c *gin.Context, status int, msg string) {
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(status, "text/plain; charset=utf-8", []byte(strings.TrimSpace(msg)))
	c.Abort()
}

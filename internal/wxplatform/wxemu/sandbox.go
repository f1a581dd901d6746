package wxemu

import (
	"errors"
	"net/http"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// The sandbox's own endpoints (not WeChat's): the demo account's credentials and the follower simulator,
// used by the console's chat-simulator page. They answer in the emulator's style: JSON, HTTP 200, and
// {"errcode":N,"errmsg":"..."} on failure.

// handleDemo serves GET /demo → {"appid","secret","token","encodingAESKey","originalId","name",
// "component": {"appid","secret","token","encodingAESKey"}}: the demo account, and the demo
// third-party platform (contract §15).
func (e *Emulator) handleDemo(w http.ResponseWriter, r *http.Request) {
	c := e.DemoComponent()
	writeJSON(w, struct {
		Account
		Component Component `json:"component"`
	}{e.Demo(), Component{AppID: c.AppID, Secret: c.Secret, Token: c.Token, EncodingAESKey: c.EncodingAESKey}})
}

// handleSimulatorCallback serves POST /simulator/callback {"appid","url","mode","verify"?}: where the
// simulator delivers (mode plain | compat | safe, default plain). With "verify": true it first checks the
// URL answers WeChat's echostr GET, as WeChat's admin does on saving (failure: -1, nothing set).
func (e *Emulator) handleSimulatorCallback(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID  string `json:"appid"`
		URL    string `json:"url"`
		Mode   string `json:"mode"`
		Verify bool   `json:"verify"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	switch req.Mode {
	case "", ModePlain, ModeCompat, ModeSafe:
	default:
		writeJSON(w, wxErr(codeInvalidArgs, "mode must be plain, compat or safe"))
		return
	}
	if !e.known(req.AppID) {
		writeJSON(w, wxErr(codeInvalidAppID))
		return
	}
	if req.Verify {
		prevURL, prevMode := e.Callback(req.AppID)
		e.SetCallback(req.AppID, req.URL, req.Mode)
		if err := e.VerifyCallback(r.Context(), req.AppID); err != nil {
			e.SetCallback(req.AppID, prevURL, prevMode)
			writeJSON(w, &apiError{Errcode: codeSystemBusy, Errmsg: err.Error() + " rid: " + newRID()})
			return
		}
	}
	e.SetCallback(req.AppID, req.URL, req.Mode)
	writeJSON(w, okResp)
}

func (e *Emulator) known(appid string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.account(appid) != nil
}

// replyJSON shows a passive reply with WeChat's XML element names.
type replyJSON struct {
	ToUserName   string        `json:"ToUserName"`
	FromUserName string        `json:"FromUserName"`
	CreateTime   int64         `json:"CreateTime"`
	MsgType      string        `json:"MsgType"`
	Content      string        `json:"Content,omitempty"`
	MediaID      string        `json:"MediaId,omitempty"`
	Title        string        `json:"Title,omitempty"`
	Description  string        `json:"Description,omitempty"`
	MusicURL     string        `json:"MusicUrl,omitempty"`
	HQMusicURL   string        `json:"HQMusicUrl,omitempty"`
	ThumbMediaID string        `json:"ThumbMediaId,omitempty"`
	Articles     []articleJSON `json:"Articles,omitempty"`
}

type articleJSON struct {
	Title       string `json:"Title"`
	Description string `json:"Description"`
	PicURL      string `json:"PicUrl"`
	URL         string `json:"Url"`
}

func toReplyJSON(r *wxcrypto.Reply) *replyJSON {
	if r == nil {
		return nil
	}
	out := &replyJSON{ToUserName: r.ToUserName, FromUserName: r.FromUserName, CreateTime: r.CreateTime,
		MsgType: r.MsgType, Content: r.Content, MediaID: r.MediaID, Title: r.Title, Description: r.Description,
		MusicURL: r.MusicURL, HQMusicURL: r.HQMusicURL, ThumbMediaID: r.ThumbMediaID}
	for _, a := range r.Articles {
		out.Articles = append(out.Articles, articleJSON{a.Title, a.Description, a.PicURL, a.URL})
	}
	return out
}

// handleSimulatorSend serves POST /simulator/send
// {"appid", "openid"?, "content"? | "event"?, "eventKey"? | "ticket"?}: a text message, an event, or a
// scan of a QR ticket, from openid (default: the first follower; the demo account when appid is empty).
// It answers {"status", "reply": {...} | null, "raw", "openid", "sent", "error"?}: the callback's status,
// decoded reply and raw body, the sender, the plaintext message XML, and why WeChat would reject the
// reply, if it would.
func (e *Emulator) handleSimulatorSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppID    string `json:"appid"`
		OpenID   string `json:"openid"`
		Content  string `json:"content"`
		Event    string `json:"event"`
		EventKey string `json:"eventKey"`
		Ticket   string `json:"ticket"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	if req.AppID == "" {
		req.AppID = e.Demo().AppID
	}
	var (
		d   *Delivery
		err error
	)
	ctx := r.Context()
	switch {
	case req.Ticket != "":
		d, err = e.Scan(ctx, req.AppID, req.OpenID, req.Ticket)
	case req.Event != "":
		d, err = e.SendEvent(ctx, req.AppID, req.OpenID, req.Event, req.EventKey)
	case req.Content != "":
		d, err = e.SendText(ctx, req.AppID, req.OpenID, req.Content)
	default:
		writeJSON(w, wxErr(codeEmptyContent))
		return
	}
	if d == nil {
		if errors.Is(err, ErrUnknownAccount) {
			writeJSON(w, wxErr(codeInvalidAppID))
		} else {
			writeJSON(w, &apiError{Errcode: codeSystemBusy, Errmsg: err.Error() + " rid: " + newRID()})
		}
		return
	}
	resp := struct {
		Status int        `json:"status"`
		Reply  *replyJSON `json:"reply"`
		Raw    string     `json:"raw"`
		OpenID string     `json:"openid"`
		Sent   string     `json:"sent"`
		Error  string     `json:"error,omitempty"`
	}{Status: d.Status, Reply: toReplyJSON(d.Reply), Raw: string(d.Body), OpenID: d.Message.FromUserName,
		Sent: string(d.Message.Marshal())}
	if err != nil {
		resp.Error = err.Error()
	}
	writeJSON(w, resp)
}

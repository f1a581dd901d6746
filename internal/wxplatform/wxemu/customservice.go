package wxemu

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// WeChat's codes of the customer-service API.
const (
	codeInvalidMsgType       = 40008
	codeBlacklisted          = 43019
	codeContentSizeLimit     = 45002
	codeArticleSizeLimit     = 45008
	codeResponseTimeLimit    = 45015
	codeResponseCountLimit   = 45047
	codeInvalidTypingCommand = 40035 // WeChat's "invalid args" for a command other than Typing/CancelTyping
)

// The customer-service window as WeChat counts it: a message from the follower allows 5 messages within
// 48 hours; a menu click (click and scancode events), a follow or a QR scan allows 3 within 1 minute.
const (
	MessageWindow      = 48 * time.Hour
	MessageWindowQuota = 5
	EventWindow        = time.Minute
	EventWindowQuota   = 3
	// MaxCustomText is WeChat's limit on a customer-service text, in bytes.
	MaxCustomText = 2048
)

// csWindow is one follower's customer-service window. Guarded by Emulator.mu.
type csWindow struct {
	msgUntil time.Time
	msgLeft  int
	evtUntil time.Time
	evtLeft  int
	typing   time.Time // until when "typing" shows
}

// CustomDelivery is a customer-service message the simulated follower received.
type CustomDelivery struct {
	OpenID  string          `json:"openid"`
	MsgType string          `json:"msgtype"`
	Body    json.RawMessage `json:"body"` // the object named by msgtype, as sent
	Content string          `json:"content"`
	Time    time.Time       `json:"time"`
}

// opensWindow reports how a callback message opens the window: (quota, duration), or (0, 0).
func opensWindow(m *wxcrypto.Message) (int, time.Duration) {
	if m.MsgType != "event" {
		return MessageWindowQuota, MessageWindow
	}
	switch m.Event {
	case "subscribe", "SCAN", "CLICK", "scancode_push", "scancode_waitmsg":
		return EventWindowQuota, EventWindow
	}
	return 0, 0
}

// noteInteraction opens the follower's window for a message WeChat delivers. The caller holds e.mu.
func (acc *account) noteInteraction(m *wxcrypto.Message, now time.Time) {
	quota, d := opensWindow(m)
	if quota == 0 || m.FromUserName == "" {
		return
	}
	if acc.windows == nil {
		acc.windows = map[string]*csWindow{}
	}
	w := acc.windows[m.FromUserName]
	if w == nil {
		w = &csWindow{}
		acc.windows[m.FromUserName] = w
	}
	if m.MsgType == "event" {
		w.evtUntil, w.evtLeft = now.Add(d), quota
	} else {
		w.msgUntil, w.msgLeft = now.Add(d), quota
	}
}

// check answers the code WeChat gives a send now: 0, 45015 or 45047.
func (w *csWindow) check(now time.Time) int {
	if w == nil || (!now.Before(w.msgUntil) && !now.Before(w.evtUntil)) {
		return codeResponseTimeLimit
	}
	if (now.Before(w.msgUntil) && w.msgLeft > 0) || (now.Before(w.evtUntil) && w.evtLeft > 0) {
		return 0
	}
	return codeResponseCountLimit
}

// spend counts one message against every open window.
func (w *csWindow) spend(now time.Time) {
	if now.Before(w.msgUntil) && w.msgLeft > 0 {
		w.msgLeft--
	}
	if now.Before(w.evtUntil) && w.evtLeft > 0 {
		w.evtLeft--
	}
}

type customSendBody struct {
	ToUser  string `json:"touser"`
	MsgType string `json:"msgtype"`
}

// handleCustomSend is POST /cgi-bin/message/custom/send.
func (e *Emulator) handleCustomSend(w http.ResponseWriter, r *http.Request, appid string) {
	body := readBody(r)
	var req customSendBody
	if ae := decodeJSON(body, &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	var all map[string]json.RawMessage
	_ = json.Unmarshal(body, &all)
	if req.ToUser == "" {
		writeJSON(w, wxErr(codeMissingOpenID))
		return
	}
	obj := all[req.MsgType]
	content, ae := e.checkCustom(appid, req.MsgType, obj)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	f := acc.subscribed(req.ToUser)
	if f == nil {
		writeJSON(w, wxErr(codeInvalidOpenID))
		return
	}
	if f.Blacklisted {
		writeJSON(w, wxErr(codeBlacklisted))
		return
	}
	now := e.now()
	win := acc.windows[req.ToUser]
	if code := win.check(now); code != 0 {
		writeJSON(w, wxErr(code))
		return
	}
	win.spend(now)
	win.typing = time.Time{}
	acc.received = append(acc.received, CustomDelivery{OpenID: req.ToUser, MsgType: req.MsgType,
		Body: json.RawMessage(slices.Clone([]byte(obj))), Content: content, Time: now})
	if len(acc.received) > maxReceived {
		acc.received = slices.Delete(acc.received, 0, len(acc.received)-maxReceived)
	}
	writeJSON(w, okResp)
}

// maxReceived bounds the customer-service messages kept per account.
const maxReceived = 10000

// checkCustom validates the object of a msgtype as WeChat does and answers the text a follower would
// see first (the content, a title, a menu's head).
func (e *Emulator) checkCustom(appid, msgType string, obj json.RawMessage) (string, *apiError) {
	if len(obj) == 0 || string(obj) == "null" {
		if msgType == "" {
			return "", wxErr(codeInvalidMsgType)
		}
		switch msgType {
		case "text", "image", "voice", "video", "music", "news", "mpnews", "mpnewsarticle", "msgmenu", "wxcard", "miniprogrampage":
			return "", wxErr(codeEmptyPost)
		}
		return "", wxErr(codeInvalidMsgType)
	}
	var v struct {
		Content      string `json:"content"`
		MediaID      string `json:"media_id"`
		ThumbMediaID string `json:"thumb_media_id"`
		Title        string `json:"title"`
		MusicURL     string `json:"musicurl"`
		ArticleID    string `json:"article_id"`
		CardID       string `json:"card_id"`
		AppID        string `json:"appid"`
		HeadContent  string `json:"head_content"`
		TailContent  string `json:"tail_content"`
		Articles     []struct {
			Title string `json:"title"`
			URL   string `json:"url"`
		} `json:"articles"`
		List []struct {
			ID      string `json:"id"`
			Content string `json:"content"`
		} `json:"list"`
	}
	if err := json.Unmarshal(obj, &v); err != nil {
		return "", wxErr(codeDataFormat)
	}
	media := func(id string, types ...string) *apiError {
		if id == "" {
			return wxErr(codeMissingMediaID)
		}
		if !e.hasMaterial(appid, id, types...) {
			return wxErr(codeInvalidMediaID)
		}
		return nil
	}
	switch msgType {
	case "text":
		switch {
		case strings.TrimSpace(v.Content) == "":
			return "", wxErr(codeEmptyContent)
		case !utf8.ValidString(v.Content):
			return "", wxErr(codeInvalidCharset)
		case len(v.Content) > MaxCustomText:
			return "", wxErr(codeContentSizeLimit)
		}
		return v.Content, nil
	case "image", "voice":
		return "[" + msgType + "]", media(v.MediaID, msgType)
	case "mpnews":
		return "[mpnews]", media(v.MediaID, "news")
	case "video":
		if ae := media(v.MediaID, "video"); ae != nil {
			return "", ae
		}
		return v.Title, nil
	case "music":
		if v.MusicURL == "" {
			return "", wxErr(codeInvalidArgs, "musicurl")
		}
		if ae := media(v.ThumbMediaID, "thumb", "image"); ae != nil {
			return "", ae
		}
		return v.Title, nil
	case "news":
		if len(v.Articles) != 1 {
			return "", wxErr(codeArticleSizeLimit)
		}
		if v.Articles[0].Title == "" && v.Articles[0].URL == "" {
			return "", wxErr(codeInvalidArgs, "articles")
		}
		return v.Articles[0].Title, nil
	case "mpnewsarticle":
		if v.ArticleID == "" {
			return "", wxErr(codeInvalidArticleID)
		}
		return "[mpnewsarticle]", nil
	case "msgmenu":
		if len(v.List) == 0 {
			return "", wxErr(codeInvalidArgs, "list")
		}
		for _, it := range v.List {
			if it.ID == "" || it.Content == "" {
				return "", wxErr(codeInvalidArgs, "list")
			}
		}
		return v.HeadContent, nil
	case "wxcard":
		if v.CardID == "" {
			return "", wxErr(codeInvalidArgs, "card_id")
		}
		return "[wxcard]", nil
	case "miniprogrampage":
		if v.AppID == "" || v.ThumbMediaID == "" {
			return "", wxErr(codeInvalidArgs, "miniprogrampage")
		}
		return v.Title, nil
	}
	return "", wxErr(codeInvalidMsgType)
}

// hasMaterial reports whether appid keeps a permanent material id of one of types. news materials are
// not modelled by the emulator: any id is accepted for them.
func (e *Emulator) hasMaterial(appid, id string, types ...string) bool {
	if slices.Contains(types, "news") {
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	for _, m := range acc.materials {
		if m.MediaID == id && slices.Contains(types, m.Type) {
			return true
		}
	}
	return false
}

// handleCustomTyping is POST /cgi-bin/message/custom/typing: Typing shows "typing…" to the follower for
// 15 seconds (or until a message arrives), CancelTyping hides it. It needs an open window, and spends none.
func (e *Emulator) handleCustomTyping(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		ToUser  string `json:"touser"`
		Command string `json:"command"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	if req.ToUser == "" {
		writeJSON(w, wxErr(codeMissingOpenID))
		return
	}
	if req.Command != "Typing" && req.Command != "CancelTyping" {
		writeJSON(w, wxErr(codeInvalidTypingCommand))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	f := acc.subscribed(req.ToUser)
	if f == nil {
		writeJSON(w, wxErr(codeInvalidOpenID))
		return
	}
	if f.Blacklisted {
		writeJSON(w, wxErr(codeBlacklisted))
		return
	}
	now := e.now()
	win := acc.windows[req.ToUser]
	if win.check(now) == codeResponseTimeLimit {
		writeJSON(w, wxErr(codeResponseTimeLimit))
		return
	}
	if win != nil {
		if req.Command == "Typing" {
			win.typing = now.Add(15 * time.Second)
		} else {
			win.typing = time.Time{}
		}
	}
	writeJSON(w, okResp)
}

// Received answers the customer-service messages openid received from appid ("" means every follower),
// oldest first.
func (e *Emulator) Received(appid, openid string) []CustomDelivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc == nil {
		return nil
	}
	var out []CustomDelivery
	for _, d := range acc.received {
		if openid == "" || d.OpenID == openid {
			out = append(out, d)
		}
	}
	return out
}

// Typing reports whether openid currently sees "typing…" from appid.
func (e *Emulator) Typing(appid, openid string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc == nil || acc.windows[openid] == nil {
		return false
	}
	return e.now().Before(acc.windows[openid].typing)
}

// Window answers openid's customer-service window at appid: until when it is open and how many messages
// are left (the usable window with the most left); open is false when a send would be refused.
func (e *Emulator) Window(appid, openid string) (open bool, until time.Time, left int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc == nil {
		return false, time.Time{}, 0
	}
	win := acc.windows[openid]
	now := e.now()
	if win == nil {
		return false, time.Time{}, 0
	}
	if now.Before(win.msgUntil) && win.msgLeft > 0 {
		until, left = win.msgUntil, win.msgLeft
	}
	if now.Before(win.evtUntil) && win.evtLeft > left {
		until, left = win.evtUntil, win.evtLeft
	}
	return left > 0, until, left
}

// handleSimulatorReceived is GET /simulator/received?appid&openid (ours, not WeChat's): what the follower
// received through the customer-service API, for the sandbox's chat simulator.
func (e *Emulator) handleSimulatorReceived(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appid := q.Get("appid")
	if appid == "" {
		appid = e.Demo().AppID
	}
	list := e.Received(appid, q.Get("openid"))
	if list == nil {
		list = []CustomDelivery{}
	}
	writeJSON(w, map[string]any{"messages": list})
}

package wxemu

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"
)

// QRCode is a parametric QR code made by qrcode/create, with the request that made it.
type QRCode struct {
	Ticket        string
	URL           string // the QR's content, http://weixin.qq.com/q/...
	ActionName    string // QR_SCENE | QR_STR_SCENE | QR_LIMIT_SCENE | QR_LIMIT_STR_SCENE
	SceneID       int64  // integer scenes
	SceneStr      string // string scenes
	ExpireSeconds int    // as answered; 0 for permanent codes
	CreatedAt     time.Time
	ExpiresAt     time.Time // zero for permanent codes
}

// Permanent reports whether the code never expires.
func (q QRCode) Permanent() bool {
	return q.ActionName == "QR_LIMIT_SCENE" || q.ActionName == "QR_LIMIT_STR_SCENE"
}

// Scene is the scene value as callback events carry it in EventKey (without the qrscene_ prefix).
func (q QRCode) Scene() string {
	if q.ActionName == "QR_SCENE" || q.ActionName == "QR_LIMIT_SCENE" {
		return strconv.FormatInt(q.SceneID, 10)
	}
	return q.SceneStr
}

type qrCode struct {
	QRCode
	appid string
}

// WeChat's QR limits.
const (
	defaultQRExpire = 30
	maxQRExpire     = 2592000
	maxTempSceneID  = 1<<32 - 1
	maxLimitSceneID = 100000
	maxSceneStr     = 64
)

// QRCodes returns the QR codes made for appid, oldest first.
func (e *Emulator) QRCodes(appid string) []QRCode {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc == nil {
		return nil
	}
	out := make([]QRCode, 0, len(acc.qrcodes))
	for _, q := range acc.qrcodes {
		out = append(out, q.QRCode)
	}
	return out
}

// handleQRCreate serves POST /cgi-bin/qrcode/create:
//
//	{"expire_seconds":604800,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":123}}}
//
// → {"ticket","expire_seconds","url"} (permanent codes: no expire_seconds). An unknown action_name is
// 40052; a missing scene, a scene_id out of range (temporary 1..2^32-1, permanent 1..100000) or a
// scene_str not of 1..64 characters is 40053. expire_seconds defaults to 30 and is capped at 2592000 (30
// days). A permanent code asked again for the same scene answers the same ticket, as WeChat does.
func (e *Emulator) handleQRCreate(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		ExpireSeconds json.Number `json:"expire_seconds"`
		ActionName    string      `json:"action_name"`
		ActionInfo    *struct {
			Scene *struct {
				SceneID  json.Number `json:"scene_id"`
				SceneStr *string     `json:"scene_str"`
			} `json:"scene"`
		} `json:"action_info"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	q := QRCode{ActionName: req.ActionName}
	switch req.ActionName {
	case "QR_SCENE", "QR_LIMIT_SCENE", "QR_STR_SCENE", "QR_LIMIT_STR_SCENE":
	default:
		writeJSON(w, wxErr(codeInvalidActionName))
		return
	}
	if req.ActionInfo == nil || req.ActionInfo.Scene == nil {
		writeJSON(w, wxErr(codeInvalidActionInfo))
		return
	}
	scene := req.ActionInfo.Scene
	switch req.ActionName {
	case "QR_SCENE", "QR_LIMIT_SCENE":
		limit := int64(maxTempSceneID)
		if req.ActionName == "QR_LIMIT_SCENE" {
			limit = maxLimitSceneID
		}
		id, err := scene.SceneID.Int64()
		if err != nil || id < 1 || id > limit {
			writeJSON(w, wxErr(codeInvalidActionInfo))
			return
		}
		q.SceneID = id
	default:
		if scene.SceneStr == nil || utf8.RuneCountInString(*scene.SceneStr) < 1 || utf8.RuneCountInString(*scene.SceneStr) > maxSceneStr {
			writeJSON(w, wxErr(codeInvalidActionInfo))
			return
		}
		q.SceneStr = *scene.SceneStr
	}
	if !q.Permanent() {
		exp, err := req.ExpireSeconds.Int64()
		switch {
		case req.ExpireSeconds == "" || (err == nil && exp <= 0):
			exp = defaultQRExpire
		case err != nil:
			writeJSON(w, wxErr(codeInvalidActionInfo))
			return
		case exp > maxQRExpire:
			exp = maxQRExpire
		}
		q.ExpireSeconds = int(exp)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	now := e.now()
	var made *qrCode
	if q.Permanent() {
		for _, old := range acc.qrcodes {
			if old.ActionName == q.ActionName && old.SceneID == q.SceneID && old.SceneStr == q.SceneStr {
				made = old
				break
			}
		}
	}
	if made == nil {
		q.URL = "http://weixin.qq.com/q/" + randString(alnum, 22)
		q.Ticket = newQRTicket(q.URL)
		q.CreatedAt = now
		if !q.Permanent() {
			q.ExpiresAt = now.Add(time.Duration(q.ExpireSeconds) * time.Second)
		}
		made = &qrCode{QRCode: q, appid: appid}
		acc.qrcodes = append(acc.qrcodes, made)
		e.qrTickets[q.Ticket] = made
	}
	if made.Permanent() {
		writeJSON(w, struct {
			Ticket string `json:"ticket"`
			URL    string `json:"url"`
		}{made.Ticket, made.URL})
		return
	}
	writeJSON(w, struct {
		Ticket        string `json:"ticket"`
		ExpireSeconds int    `json:"expire_seconds"`
		URL           string `json:"url"`
	}{made.Ticket, made.ExpireSeconds, made.URL})
}

// newQRTicket makes a ticket like WeChat's: standard Base64 of binary around the QR url. It always holds
// a "+" and ends in "==", so a client that forgets to URL-encode it in showqrcode (where "+" reads as a
// space) fails here as it would on WeChat.
func newQRTicket(u string) string {
	raw := []byte{0x81, 0x07, 0x3c, 0x00, 0x0f, 0xbe} // encodes as "gQc8AA++"
	raw = append(raw, randString(alnum, 8)...)
	raw = append(raw, u...)
	raw = append(raw, 0x00, 0x02, 0x04)
	for len(raw)%3 != 1 { // one byte over a whole group: "==" padding
		raw = append(raw, 0x00)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// qrByTicket returns the live code with ticket, or nil. The caller holds e.mu.
func (e *Emulator) qrByTicket(ticket string) *qrCode {
	q := e.qrTickets[ticket]
	if q == nil || (!q.Permanent() && !e.now().Before(q.ExpiresAt)) {
		return nil
	}
	return q
}

// handleShowQR serves GET /cgi-bin/showqrcode?ticket=... (mp.weixin.qq.com, no access_token): a PNG of
// the code's url; an unknown or expired ticket is 404.
func (e *Emulator) handleShowQR(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	q := e.qrByTicket(r.URL.Query().Get("ticket"))
	var content string
	if q != nil {
		content = q.URL
	}
	e.mu.Unlock()
	if q == nil {
		http.NotFound(w, r)
		return
	}
	png, err := qrcode.Encode(content, qrcode.Medium, 430)
	if err != nil {
		http.Error(w, "qrcode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(png)))
	_, _ = w.Write(png)
}

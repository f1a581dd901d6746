package wxclient

import (
	"context"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// QR code actions of qrcode/create (wechat-protocol.md §8).
const (
	ActionQRScene         = "QR_SCENE"           // temporary, integer scene
	ActionQRStrScene      = "QR_STR_SCENE"       // temporary, string scene
	ActionQRLimitScene    = "QR_LIMIT_SCENE"     // permanent, integer scene
	ActionQRLimitStrScene = "QR_LIMIT_STR_SCENE" // permanent, string scene
)

// Limits of qrcode/create.
const (
	MaxQRExpireSeconds     = 2592000 // 30 days
	MaxPermanentSceneID    = 100000
	MaxTemporarySceneID    = 1<<32 - 1
	MaxSceneStrLength      = 64
	DefaultQRExpireSeconds = 30 // what WeChat applies when expire_seconds is left out
)

// QRScene is the scene a QR code carries back in the scan event: an integer or a string.
type QRScene struct {
	SceneID  int64  `json:"scene_id,omitempty"`
	SceneStr string `json:"scene_str,omitempty"`
}

// QRActionInfo wraps the scene.
type QRActionInfo struct {
	Scene QRScene `json:"scene"`
}

// QRCodeRequest is the body of qrcode/create.
type QRCodeRequest struct {
	ExpireSeconds int64        `json:"expire_seconds,omitempty"` // temporary codes only; 0: WeChat's 30 s
	ActionName    string       `json:"action_name"`
	ActionInfo    QRActionInfo `json:"action_info"`
}

// QRCodeResponse is its answer; URL is the content of the code, for rendering it locally.
type QRCodeResponse struct {
	Ticket        string `json:"ticket"`
	ExpireSeconds int64  `json:"expire_seconds,omitempty"`
	URL           string `json:"url"`
}

// Validate checks the request as WeChat would: scene ranges per action, expiry only on temporary codes.
func (r *QRCodeRequest) Validate() error {
	s := r.ActionInfo.Scene
	temporary := r.ActionName == ActionQRScene || r.ActionName == ActionQRStrScene
	switch r.ActionName {
	case ActionQRScene, ActionQRLimitScene:
		limit := int64(MaxTemporarySceneID)
		if !temporary {
			limit = MaxPermanentSceneID
		}
		if s.SceneID < 1 || s.SceneID > limit {
			return apperr.Invalidf("scene_id", "must be between 1 and %d", limit).WithKey("err.field.between", "scene_id", 1, limit)
		}
		if s.SceneStr != "" {
			return apperr.Invalidf("scene_str", "not allowed with %s", r.ActionName).WithKey("wxclient.err.not_with", "scene_str", r.ActionName)
		}
	case ActionQRStrScene, ActionQRLimitStrScene:
		if n := utf8.RuneCountInString(s.SceneStr); n < 1 || n > MaxSceneStrLength {
			return apperr.Invalidf("scene_str", "must be 1 to %d characters", MaxSceneStrLength).WithKey("err.field.chars_range", "scene_str", 1, MaxSceneStrLength)
		}
		if s.SceneID != 0 {
			return apperr.Invalidf("scene_id", "not allowed with %s", r.ActionName).WithKey("wxclient.err.not_with", "scene_id", r.ActionName)
		}
	default:
		return apperr.Invalidf("action_name", "must be QR_SCENE, QR_STR_SCENE, QR_LIMIT_SCENE or QR_LIMIT_STR_SCENE").WithKey("wxclient.err.qr_action", "action_name")
	}
	switch {
	case temporary && (r.ExpireSeconds < 0 || r.ExpireSeconds > MaxQRExpireSeconds):
		return apperr.Invalidf("expire_seconds", "must be at most %d", MaxQRExpireSeconds).WithKey("err.field.at_most", "expire_seconds", MaxQRExpireSeconds)
	case !temporary && r.ExpireSeconds != 0:
		return apperr.Invalidf("expire_seconds", "permanent codes do not expire").WithKey("wxclient.err.qr_permanent", "expire_seconds")
	}
	return nil
}

// CreateQRCode calls POST cgi-bin/qrcode/create. The image is at QRCodeImageURL(ticket).
func (c *Client) CreateQRCode(ctx context.Context, appid string, req QRCodeRequest) (QRCodeResponse, error) {
	if err := req.Validate(); err != nil {
		return QRCodeResponse{}, err
	}
	var out QRCodeResponse
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/qrcode/create", body: req, auth: true}, &out)
	return out, err
}

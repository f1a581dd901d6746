package qrcode

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// Limits of contract §8, which are WeChat's (wechat-protocol.md §8).
const (
	MaxExpire         = wxclient.MaxQRExpireSeconds  // 30 days
	MaxTemporaryScene = wxclient.MaxTemporarySceneID // 2^32-1
	MaxPermanentScene = wxclient.MaxPermanentSceneID // 100000
	MaxSceneChars     = 64
)

// Request is a QR code to make: a scene (integer or string) and, for a temporary code, its lifetime.
type Request struct {
	SceneID  int64  // an integer scene, or 0
	SceneStr string // a string scene, or ""
	Expire   int64  // seconds; 0 makes a permanent code
	Actions  Actions
}

// Permanent reports whether the code never expires.
func (r Request) Permanent() bool { return r.Expire == 0 }

// Scene is the scene as callback events carry it in EventKey (without qrscene_).
func (r Request) Scene() string {
	if r.SceneStr != "" {
		return r.SceneStr
	}
	return strconv.FormatInt(r.SceneID, 10)
}

// actionName is WeChat's action for the request.
func (r Request) actionName() string {
	switch {
	case r.Permanent() && r.SceneStr != "":
		return wxclient.ActionQRLimitStrScene
	case r.Permanent():
		return wxclient.ActionQRLimitScene
	case r.SceneStr != "":
		return wxclient.ActionQRStrScene
	}
	return wxclient.ActionQRScene
}

// ParseRequest reads the sceneId and expire fields as the API receives them, and validates every bound:
//
//   - expire, when present, makes a temporary code: an integer of seconds, 1 to 2592000 (30 days);
//     absent (or empty) makes a permanent code.
//   - sceneId is an integer scene when it is a JSON number or a string of ASCII digits (with an optional
//     sign), so "42" and 42 are the same scene: temporary codes take 1 to 2^32-1, permanent ones 1 to
//     100000. Anything else is a string scene of 1 to 64 characters (contract §8), without control
//     characters. A string
//     scene made only of digits is therefore impossible; put a letter in it.
//
// Every error is 40000 naming sceneId or expire.
func ParseRequest(scene any, expire any) (Request, error) {
	var r Request
	exp, present, err := integer("expire", expire)
	if err != nil {
		return r, err
	}
	if present {
		if exp < 1 || exp > MaxExpire {
			return r, apperr.Invalidf("expire", "must be between 1 and %d seconds (30 days); leave it out for a permanent code", MaxExpire).WithKey("err.qrcode.expire", "expire", MaxExpire)
		}
		r.Expire = exp
	}
	limit := int64(MaxPermanentScene)
	kind := "a permanent"
	if !r.Permanent() {
		limit, kind = MaxTemporaryScene, "a temporary"
	}
	switch v := scene.(type) {
	case nil:
		return r, apperr.Missing("sceneId")
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			return r, apperr.Invalidf("sceneId", "must be an integer or a string").WithKey("err.qrcode.scene_type", "sceneId")
		}
		r.SceneID = n
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return r, apperr.Missing("sceneId")
		}
		if looksInteger(s) {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return r, apperr.Invalidf("sceneId", "an integer scene of %s code must be between 1 and %d", kind[2:], limit).WithKey("err.qrcode.scene_range", "sceneId", apperr.Term("err.qrcode.kind."+kind[2:]), limit)
			}
			r.SceneID = n
			break
		}
		switch {
		case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
			return r, apperr.Invalidf("sceneId", "must be printable text").WithKey("err.field.printable", "sceneId")
		case utf8.RuneCountInString(s) > MaxSceneChars:
			return r, apperr.Invalidf("sceneId", "a string scene must be 1 to %d characters, got %d", MaxSceneChars, utf8.RuneCountInString(s)).WithKey("err.qrcode.scene_chars", "sceneId", MaxSceneChars, utf8.RuneCountInString(s))
		}
		r.SceneStr = s
		return r, nil
	default:
		return r, apperr.Invalidf("sceneId", "must be an integer or a string").WithKey("err.qrcode.scene_type", "sceneId")
	}
	if r.SceneID < 1 || r.SceneID > limit {
		return r, apperr.Invalidf("sceneId", "an integer scene of %s code must be between 1 and %d", kind[2:], limit).WithKey("err.qrcode.scene_range", "sceneId", apperr.Term("err.qrcode.kind."+kind[2:]), limit)
	}
	return r, nil
}

func looksInteger(s string) bool {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	return t != "" && strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// integer reads an optional integer field: a JSON number or a string of digits; "" and null are absent.
func integer(field string, v any) (int64, bool, error) {
	switch t := v.(type) {
	case nil:
		return 0, false, nil
	case json.Number:
		n, err := t.Int64()
		if err != nil {
			return 0, true, apperr.Invalidf(field, "must be an integer").WithKey("err.field.integer", field)
		}
		return n, true, nil
	case string:
		s := strings.TrimSpace(t)
		if s == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, true, apperr.Invalidf(field, "must be an integer").WithKey("err.field.integer", field)
		}
		return n, true, nil
	}
	return 0, true, apperr.Invalidf(field, "must be an integer").WithKey("err.field.integer", field)
}

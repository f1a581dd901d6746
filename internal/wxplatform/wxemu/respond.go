package wxemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// WeChat's error codes, with the errmsg text WeChat sends for each (before its " rid: ..." suffix).
// Where WeChat's documentation names no code for a case, the choice is written beside the call site and
// in the package's report; the codes below are all WeChat's own.
const (
	codeSystemBusy          = -1
	codeInvalidCredential   = 40001
	codeInvalidGrantType    = 40002
	codeInvalidOpenID       = 40003
	codeInvalidMediaType    = 40004
	codeInvalidFileType     = 40005
	codeInvalidMediaID      = 40007
	codeInvalidImageSize    = 40009
	codeInvalidVoiceSize    = 40010
	codeInvalidVideoSize    = 40011
	codeInvalidThumbSize    = 40012
	codeInvalidAppID        = 40013
	codeInvalidButtonSize   = 40016
	codeInvalidButtonType   = 40017
	codeInvalidButtonName   = 40018
	codeInvalidButtonKey    = 40019
	codeInvalidButtonURL    = 40020
	codeInvalidSubLevel     = 40022
	codeInvalidSubSize      = 40023
	codeInvalidSubType      = 40024
	codeInvalidSubName      = 40025
	codeInvalidSubKey       = 40026
	codeInvalidSubURL       = 40027
	codeInvalidCode         = 40029
	codeInvalidRefreshToken = 40030
	codeInvalidOpenIDList   = 40032
	codeInvalidCharset      = 40033
	codeInvalidArgs         = 40035
	codeInvalidActionName   = 40052
	codeInvalidActionInfo   = 40053
	codeInvalidSubDomain    = 40054
	codeInvalidButtonDomain = 40055
	codeInvalidRemark       = 40092
	codeInvalidSecret       = 40125
	codeCodeUsed            = 40163
	codeMissingToken        = 41001
	codeMissingAppID        = 41002
	codeMissingRefresh      = 41003
	codeMissingSecret       = 41004
	codeMissingMedia        = 41005
	codeMissingMediaID      = 41006
	codeMissingCode         = 41008
	codeMissingOpenID       = 41009
	codeTokenExpired        = 42001
	codeRefreshExpired      = 42002
	codeCodeExpired         = 42003
	codeRequireGET          = 43001
	codeRequirePOST         = 43002
	codeEmptyMedia          = 44001
	codeEmptyPost           = 44002
	codeEmptyContent        = 44004
	codeMediaTooLarge       = 45001
	codeTooManyTags         = 45056
	codeTagTooManyFans      = 45057
	codeSysTag              = 45058
	codeUserTooManyTags     = 45059
	codeInvalidTagName      = 45157
	codeTagNameTooLong      = 45158
	codeInvalidTagID        = 45159
	codeMenuNotExist        = 46003
	codeDataFormat          = 47001
	codeAPIUnauthorized     = 48001
	codeMaterialInUse       = 48005
	codeInvalidArticleID    = 53600
	// Mass and template messages (broadcast.go).
	codeInvalidTemplateID  = 40037
	codeOpenIDListTooShort = 40130
	codeRequireSubscribe   = 43004
	codeUserRefused        = 43101
	codeTooManyTemplates   = 45026
	codeClientMsgIDExists  = 45065
)

var errmsgs = map[int]string{
	codeSystemBusy:          "system error",
	codeInvalidCredential:   "invalid credential, access_token is invalid or not latest",
	codeInvalidGrantType:    "invalid grant_type",
	codeInvalidOpenID:       "invalid openid",
	codeInvalidMediaType:    "invalid media type",
	codeInvalidFileType:     "invalid file type",
	codeInvalidMediaID:      "invalid media_id",
	codeInvalidImageSize:    "invalid image size",
	codeInvalidVoiceSize:    "invalid voice size",
	codeInvalidVideoSize:    "invalid video size",
	codeInvalidThumbSize:    "invalid thumb size",
	codeInvalidAppID:        "invalid appid",
	codeInvalidButtonSize:   "invalid button size",
	codeInvalidButtonType:   "invalid button type",
	codeInvalidButtonName:   "invalid button name size",
	codeInvalidButtonKey:    "invalid button key size",
	codeInvalidButtonURL:    "invalid button url size",
	codeInvalidSubLevel:     "invalid sub button level",
	codeInvalidSubSize:      "invalid sub button size",
	codeInvalidSubType:      "invalid sub button type",
	codeInvalidSubName:      "invalid sub button name size",
	codeInvalidSubKey:       "invalid sub button key size",
	codeInvalidSubURL:       "invalid sub button url size",
	codeInvalidCode:         "invalid code",
	codeInvalidRefreshToken: "invalid refresh_token",
	codeInvalidOpenIDList:   "invalid openid list size",
	codeInvalidCharset:      `invalid charset. please check your request, if include \uxxxx will create fail!`,
	codeInvalidArgs:         "invalid args",
	codeInvalidActionName:   "invalid action name",
	codeInvalidActionInfo:   "invalid action info",
	codeInvalidSubDomain:    "invalid sub button url domain",
	codeInvalidButtonDomain: "invalid button url domain",
	codeInvalidRemark:       "invalid remark name",
	codeInvalidSecret:       "invalid appsecret",
	codeCodeUsed:            "code been used",
	codeMissingToken:        "access_token missing",
	codeMissingAppID:        "appid missing",
	codeMissingRefresh:      "refresh_token missing",
	codeMissingSecret:       "appsecret missing",
	codeMissingMedia:        "media data missing",
	codeMissingMediaID:      "media_id missing",
	codeMissingCode:         "missing code",
	codeMissingOpenID:       "missing openid",
	codeTokenExpired:        "access_token expired",
	codeRefreshExpired:      "refresh_token expired",
	codeCodeExpired:         "code expired",
	codeRequireGET:          "require GET method",
	codeRequirePOST:         "require POST method",
	codeEmptyMedia:          "empty media data",
	codeEmptyPost:           "empty post data",
	codeEmptyContent:        "empty content",
	codeMediaTooLarge:       "media size out of limit",
	codeTooManyTags:         "too many tag now, no need to add new",
	codeTagTooManyFans:      "can't delete the tag that has too much fans",
	codeSysTag:              "can't modify sys tag",
	codeUserTooManyTags:     "too many tag on user",
	codeInvalidTagName:      "invalid tag name",
	codeTagNameTooLong:      "tag name too long",
	codeInvalidTagID:        "invalid tag id",
	codeMenuNotExist:        "menu no exist",
	codeDataFormat:          "data format error",
	codeAPIUnauthorized:     "api unauthorized",
	codeMaterialInUse:       "forbid to delete material used by auto-reply or menu",
	codeInvalidArticleID:    "invalid article id",
	// customservice.go
	codeInvalidMsgType:     "invalid message type",
	codeBlacklisted:        "require remove blacklist",
	codeContentSizeLimit:   "content size out of limit",
	codeArticleSizeLimit:   "article size out of limit",
	codeResponseTimeLimit:  "response out of time limit or subscription is canceled",
	codeResponseCountLimit: "response count limit exceeded",
	// broadcast.go
	codeInvalidTemplateID:  "invalid template_id",
	codeOpenIDListTooShort: "invalid openid list size, at least two openid",
	codeRequireSubscribe:   "require subscribe",
	codeUserRefused:        "user refuse to accept the msg",
	codeTooManyTemplates:   "template num exceeds limit",
	codeClientMsgIDExists:  "clientmsgid exist",
}

// apiError is a WeChat error answer: HTTP 200 with errcode and errmsg.
type apiError struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

func (a *apiError) Error() string { return fmt.Sprintf("errcode %d: %s", a.Errcode, a.Errmsg) }

// wxErr builds the error WeChat answers with code: its usual errmsg, optionally with a hint as WeChat
// adds one ("... hint: [...]"), and a request id.
func wxErr(code int, hint ...string) *apiError {
	msg, ok := errmsgs[code]
	if !ok {
		msg = "system error"
	}
	if len(hint) > 0 && hint[0] != "" {
		msg += " hint: [" + hint[0] + "]"
	}
	return &apiError{Errcode: code, Errmsg: msg + " rid: " + newRID()}
}

// okResp is WeChat's answer to a successful call that returns no data.
var okResp = apiError{Errcode: 0, Errmsg: "ok"}

// writeJSON answers v as WeChat does: HTTP 200, its odd content type, no HTML escaping, no trailing newline.
func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		buf.Reset()
		buf.WriteString(`{"errcode":-1,"errmsg":"system error"}`)
	}
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_, _ = w.Write(bytes.TrimRight(buf.Bytes(), "\n"))
}

// readBody returns the request body, already buffered by the recording middleware.
func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

// decodeJSON decodes a POST body into v: an empty body is 44002, malformed JSON is 47001.
func decodeJSON(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		return wxErr(codeEmptyPost)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return wxErr(codeDataFormat)
	}
	return nil
}

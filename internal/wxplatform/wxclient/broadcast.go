package wxclient

import (
	"context"
	"encoding/json"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Mass messages and template messages (contract §18).

// WeChat's codes of mass and template messages that callers branch on.
const (
	CodeInvalidTemplateID = 40037
	CodeRequireSubscribe  = 43004 // the follower unsubscribed
	CodeUserRefused       = 43101 // the follower refuses the account's messages
	CodeTooManyTemplates  = 45026
	CodeClientMsgIDExists = 45065 // a mass message with this clientmsgid was sent: the answer names its msg_id
)

// MaxMassOpenIDs is the most openids one mass/send takes.
const MaxMassOpenIDs = 10000

// MassFilter is the target of mass/sendall: every follower, or a tag's.
type MassFilter struct {
	IsToAll bool `json:"is_to_all"`
	TagID   *int `json:"tag_id,omitempty"`
}

// MediaRef is {"media_id"}.
type MediaRef struct {
	MediaID string `json:"media_id"`
}

// TextContent is {"content"}.
type TextContent struct {
	Content string `json:"content"`
}

// ImagesContent is the "images" of an image mass message.
type ImagesContent struct {
	MediaIDs []string `json:"media_ids"`
}

// MassContent is the message of a mass call: MsgType and the one field it names.
type MassContent struct {
	MsgType string         `json:"msgtype"`
	MPNews  *MediaRef      `json:"mpnews,omitempty"`
	Text    *TextContent   `json:"text,omitempty"`
	Voice   *MediaRef      `json:"voice,omitempty"`
	MPVideo *MediaRef      `json:"mpvideo,omitempty"`
	Images  *ImagesContent `json:"images,omitempty"`
	Image   *MediaRef      `json:"image,omitempty"` // mass/preview of an image
}

// MassRequest is the body of mass/sendall (Filter) or mass/send (ToUser).
type MassRequest struct {
	Filter *MassFilter `json:"filter,omitempty"`
	ToUser []string    `json:"touser,omitempty"`
	MassContent
	SendIgnoreReprint int    `json:"send_ignore_reprint"`
	ClientMsgID       string `json:"clientmsgid,omitempty"`
}

// MassResult is the answer of mass/sendall and mass/send. With 45065 (ErrClientMsgIDExists) it still
// carries the msg_id of the earlier message.
type MassResult struct {
	MsgID     int64 `json:"msg_id"`
	MsgDataID int64 `json:"msg_data_id"`
}

func (*MassResult) keepOnError() {}

// MassSendAll calls POST cgi-bin/message/mass/sendall.
func (c *Client) MassSendAll(ctx context.Context, appid string, req MassRequest) (MassResult, error) {
	if req.Filter == nil {
		return MassResult{}, apperr.Missing("filter")
	}
	req.ToUser = nil
	var out MassResult
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/message/mass/sendall", body: req, auth: true}, &out)
	return out, err
}

// MassSend calls POST cgi-bin/message/mass/send for 2 to 10,000 openids.
func (c *Client) MassSend(ctx context.Context, appid string, req MassRequest) (MassResult, error) {
	if len(req.ToUser) > MaxMassOpenIDs {
		return MassResult{}, apperr.Invalidf("touser", "at most %d openids", MaxMassOpenIDs).WithKey("wxclient.err.touser", "touser", MaxMassOpenIDs)
	}
	req.Filter = nil
	var out MassResult
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/message/mass/send", body: req, auth: true}, &out)
	return out, err
}

// PreviewRequest is the body of mass/preview: to a follower (ToUser) or a WeChat ID (ToWxName).
type PreviewRequest struct {
	ToUser   string `json:"touser,omitempty"`
	ToWxName string `json:"towxname,omitempty"`
	MassContent
}

// MassPreview calls POST cgi-bin/message/mass/preview.
func (c *Client) MassPreview(ctx context.Context, appid string, req PreviewRequest) (int64, error) {
	var out MassResult
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/message/mass/preview", body: req, auth: true}, &out)
	return out.MsgID, err
}

// MassDelete calls POST cgi-bin/message/mass/delete: articleIdx 0 deletes every article of the message.
func (c *Client) MassDelete(ctx context.Context, appid string, msgID int64, articleIdx int) error {
	body := struct {
		MsgID      int64 `json:"msg_id"`
		ArticleIdx int   `json:"article_idx,omitempty"`
	}{msgID, articleIdx}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/message/mass/delete", body: body, auth: true}, nil)
}

// MassGet calls POST cgi-bin/message/mass/get: SENDING, SEND_SUCCESS, SEND_FAIL or DELETE.
func (c *Client) MassGet(ctx context.Context, appid string, msgID int64) (string, error) {
	var out struct {
		MsgStatus string `json:"msg_status"`
	}
	body := struct {
		MsgID int64 `json:"msg_id"`
	}{msgID}
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/message/mass/get", body: body, auth: true}, &out)
	return out.MsgStatus, err
}

// Template is a private template of the account (get_all_private_template).
type Template struct {
	TemplateID      string `json:"template_id"`
	Title           string `json:"title"`
	PrimaryIndustry string `json:"primary_industry"`
	DeputyIndustry  string `json:"deputy_industry"`
	Content         string `json:"content"`
	Example         string `json:"example"`
}

// Templates calls GET cgi-bin/template/get_all_private_template.
func (c *Client) Templates(ctx context.Context, appid string) ([]Template, error) {
	var out struct {
		TemplateList []Template `json:"template_list"`
	}
	err := c.do(ctx, appid, request{method: "GET", path: "/cgi-bin/template/get_all_private_template", auth: true}, &out)
	return out.TemplateList, err
}

// AddTemplate calls POST cgi-bin/template/api_add_template and answers the new template_id.
func (c *Client) AddTemplate(ctx context.Context, appid, shortID string, keywordNames []string) (string, error) {
	body := struct {
		ShortID      string   `json:"template_id_short"`
		KeywordNames []string `json:"keyword_name_list,omitempty"`
	}{shortID, keywordNames}
	var out struct {
		TemplateID string `json:"template_id"`
	}
	err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/template/api_add_template", body: body, auth: true}, &out)
	return out.TemplateID, err
}

// DeleteTemplate calls POST cgi-bin/template/del_private_template.
func (c *Client) DeleteTemplate(ctx context.Context, appid, templateID string) error {
	body := struct {
		TemplateID string `json:"template_id"`
	}{templateID}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/template/del_private_template", body: body, auth: true}, nil)
}

// TemplateValue is one field of a template message's data.
type TemplateValue struct {
	Value string `json:"value"`
	Color string `json:"color,omitempty"`
}

// MiniProgram is the mini program a template message opens.
type MiniProgram struct {
	AppID    string `json:"appid"`
	PagePath string `json:"pagepath,omitempty"`
}

// TemplateMessage is the body of message/template/send. ClientMsgID makes WeChat send once per openid
// and id (for 10 minutes).
type TemplateMessage struct {
	ToUser      string                   `json:"touser"`
	TemplateID  string                   `json:"template_id"`
	URL         string                   `json:"url,omitempty"`
	MiniProgram *MiniProgram             `json:"miniprogram,omitempty"`
	ClientMsgID string                   `json:"client_msg_id,omitempty"`
	Data        map[string]TemplateValue `json:"data"`
}

// SendTemplate calls POST cgi-bin/message/template/send and answers the msgid.
func (c *Client) SendTemplate(ctx context.Context, appid string, m TemplateMessage) (int64, error) {
	var out struct {
		MsgID json.Number `json:"msgid"`
	}
	if err := c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/message/template/send", body: m, auth: true}, &out); err != nil {
		return 0, err
	}
	n, _ := out.MsgID.Int64()
	return n, nil
}

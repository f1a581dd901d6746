package wxclient

import (
	"context"
)

// Errcodes of the customer-service API (message/custom/send and message/custom/typing).
const (
	// CodeResponseTimeLimit: the follower's window is closed (no interaction within the time allowed).
	CodeResponseTimeLimit = 45015
	// CodeResponseCountLimit: the window's quota of messages is used up.
	CodeResponseCountLimit = 45047
	// CodeBlacklisted: the follower is on the account's blacklist.
	CodeBlacklisted = 43019
	// CodeArticleSizeLimit: a news message with more than one article.
	CodeArticleSizeLimit = 45008
	// CodeContentSizeLimit: a text longer than WeChat accepts.
	CodeContentSizeLimit = 45002
)

// Paths of the customer-service API.
const (
	pathCustomSend   = "/cgi-bin/message/custom/send"
	pathCustomTyping = "/cgi-bin/message/custom/typing"
)

// CustomMessage is the body of message/custom/send in WeChat's own JSON: touser, msgtype and the one
// object named by msgtype.
type CustomMessage struct {
	ToUser  string `json:"touser"`
	MsgType string `json:"msgtype"` // text image voice video music news mpnews mpnewsarticle msgmenu wxcard miniprogrampage

	Text            *CustomText     `json:"text,omitempty"`
	Image           *CustomMedia    `json:"image,omitempty"`
	Voice           *CustomMedia    `json:"voice,omitempty"`
	Video           *CustomVideo    `json:"video,omitempty"`
	Music           *CustomMusic    `json:"music,omitempty"`
	News            *CustomNews     `json:"news,omitempty"`
	MPNews          *CustomMedia    `json:"mpnews,omitempty"`
	MPNewsArticle   *CustomArticle  `json:"mpnewsarticle,omitempty"`
	MsgMenu         *CustomMsgMenu  `json:"msgmenu,omitempty"`
	WxCard          *CustomCard     `json:"wxcard,omitempty"`
	MiniProgramPage *CustomMiniPage `json:"miniprogrampage,omitempty"`
	// CustomService sends as a named customer-service account (kf_account) instead of the account.
	CustomService *CustomKf `json:"customservice,omitempty"`
}

// CustomText is a text message's body.
type CustomText struct {
	Content string `json:"content"`
}

// CustomMedia is the body of image, voice and mpnews messages.
type CustomMedia struct {
	MediaID string `json:"media_id"`
}

// CustomVideo is a video message's body.
type CustomVideo struct {
	MediaID      string `json:"media_id"`
	ThumbMediaID string `json:"thumb_media_id,omitempty"`
	Title        string `json:"title,omitempty"`
	Description  string `json:"description,omitempty"`
}

// CustomMusic is a music message's body.
type CustomMusic struct {
	Title        string `json:"title,omitempty"`
	Description  string `json:"description,omitempty"`
	MusicURL     string `json:"musicurl"`
	HQMusicURL   string `json:"hqmusicurl"`
	ThumbMediaID string `json:"thumb_media_id"`
}

// CustomNews is a news message's body: WeChat takes exactly one article (more: 45008).
type CustomNews struct {
	Articles []CustomNewsArticle `json:"articles"`
}

// CustomNewsArticle is the one article of a news message.
type CustomNewsArticle struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	PicURL      string `json:"picurl"`
}

// CustomArticle is an mpnewsarticle message's body: a published article.
type CustomArticle struct {
	ArticleID string `json:"article_id"`
}

// CustomMsgMenu is a menu message: the follower taps one item, which comes back as a text message.
type CustomMsgMenu struct {
	HeadContent string              `json:"head_content"`
	List        []CustomMsgMenuItem `json:"list"`
	TailContent string              `json:"tail_content"`
}

// CustomMsgMenuItem is one choice of a menu message.
type CustomMsgMenuItem struct {
	ID      string `json:"id"`
	Content string `json:"content"`
}

// CustomCard is a wxcard message's body.
type CustomCard struct {
	CardID string `json:"card_id"`
}

// CustomMiniPage is a mini-program card.
type CustomMiniPage struct {
	Title        string `json:"title"`
	AppID        string `json:"appid"`
	PagePath     string `json:"pagepath"`
	ThumbMediaID string `json:"thumb_media_id"`
}

// CustomKf names the customer-service account a message is sent as.
type CustomKf struct {
	KfAccount string `json:"kf_account"`
}

// SendCustomMessage sends m through message/custom/send. WeChat refuses it outside the follower's window
// (45015), past its quota (45047), to a blacklisted follower (43019), with more than one news article
// (45008) or to an unknown openid (40003); each comes back as *Error.
func (c *Client) SendCustomMessage(ctx context.Context, appid string, m CustomMessage) error {
	return c.do(ctx, appid, request{method: "POST", path: pathCustomSend, body: m, auth: true}, nil)
}

// Typing commands of message/custom/typing.
const (
	TypingStart  = "Typing"
	TypingCancel = "CancelTyping"
)

type typingRequest struct {
	ToUser  string `json:"touser"`
	Command string `json:"command"`
}

// Typing shows (TypingStart) or hides (TypingCancel) "the other side is typing" to the follower for up to
// 15 seconds, through message/custom/typing.
func (c *Client) Typing(ctx context.Context, appid, openid, command string) error {
	return c.do(ctx, appid, request{method: "POST", path: pathCustomTyping, body: typingRequest{ToUser: openid, Command: command}, auth: true}, nil)
}

package reply

import (
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// render turns a rule's reply into the passive reply model (MsgType and body fields; the callback fills the
// addressing and CreateTime). maxArticles is how many articles WeChat shows in the situation: 1 in answer
// to a message, 8 in answer to an event. A music reply without an HQ URL gets the plain one, since WeChat
// plays HQMusicUrl on Wi-Fi.
func render(t ReplyType, c Content, maxArticles int) wxcrypto.Reply {
	switch t {
	case TypeText:
		return wxcrypto.Reply{MsgType: "text", Content: c.Content}
	case TypeImage:
		return wxcrypto.Reply{MsgType: "image", MediaID: c.MediaID}
	case TypeVoice:
		return wxcrypto.Reply{MsgType: "voice", MediaID: c.MediaID}
	case TypeVideo:
		return wxcrypto.Reply{MsgType: "video", MediaID: c.MediaID, Title: c.Title, Description: c.Description}
	case TypeMusic:
		hq := c.HQMusicURL
		if hq == "" {
			hq = c.MusicURL
		}
		return wxcrypto.Reply{MsgType: "music", Title: c.Title, Description: c.Description,
			MusicURL: c.MusicURL, HQMusicURL: hq, ThumbMediaID: c.ThumbMediaID}
	case TypeMultitext:
		n := min(len(c.Articles), maxArticles)
		arts := make([]wxcrypto.Article, n)
		for i, a := range c.Articles[:n] {
			arts[i] = wxcrypto.Article{Title: a.Title, Description: a.Description, PicURL: a.PicURL, URL: a.URL}
		}
		return wxcrypto.Reply{MsgType: "news", Articles: arts}
	}
	return wxcrypto.Reply{}
}

// The reply in the API's shape for its type (contract §6), with the right field names.
type (
	textJSON struct {
		Content string `json:"content"`
	}
	mediaJSON struct {
		MediaID string `json:"mediaId"`
	}
	videoJSON struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		MediaID     string `json:"mediaId"`
	}
	musicJSON struct {
		Title        string `json:"title"`
		Description  string `json:"description"`
		MusicURL     string `json:"musicUrl"`
		HQMusicURL   string `json:"hqMusicUrl"`
		ThumbMediaID string `json:"thumbMediaId"`
	}
	articleJSON struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		PicURL      string `json:"picurl"`
		URL         string `json:"url"`
	}
)

// apiReply answers the reply as the API shows it. A multitext reply of one article is that article's
// object, as the spec writes it; several (only the subscribe reply has several) are an array.
func apiReply(t ReplyType, c Content) any {
	switch t {
	case TypeText:
		return textJSON{Content: c.Content}
	case TypeImage, TypeVoice:
		return mediaJSON{MediaID: c.MediaID}
	case TypeVideo:
		return videoJSON{Title: c.Title, Description: c.Description, MediaID: c.MediaID}
	case TypeMusic:
		return musicJSON{Title: c.Title, Description: c.Description, MusicURL: c.MusicURL,
			HQMusicURL: c.HQMusicURL, ThumbMediaID: c.ThumbMediaID}
	case TypeMultitext:
		arts := make([]articleJSON, len(c.Articles))
		for i, a := range c.Articles {
			arts[i] = articleJSON(a)
		}
		if len(arts) == 1 {
			return arts[0]
		}
		return arts
	}
	return struct{}{}
}

// RuleView is a keyword rule as listReply and the other endpoints answer it. A rule of one keyword and one
// reply without a schedule has the shape of contract §6 plus hits and lastHitAt; the fields of §20 appear
// when used: request is the array of keywords when the rule has several (as addReply took it), replies
// (all of them; type and reply stay the first) and replyMode when it has several replies, activeFrom,
// activeTo and hours when set.
type RuleView struct {
	ID         int64       `json:"id"`
	Type       ReplyType   `json:"type"`
	Reply      any         `json:"reply"`
	Request    any         `json:"request"`
	Match      MatchMode   `json:"match"`
	Replies    []ReplyView `json:"replies,omitempty"`
	ReplyMode  ReplyMode   `json:"replyMode,omitempty"`
	ActiveFrom *string     `json:"activeFrom,omitempty"`
	ActiveTo   *string     `json:"activeTo,omitempty"`
	Hours      *string     `json:"hours,omitempty"`
	Enabled    bool        `json:"enabled"`
}

// ListedRule is a keyword rule as listReply answers it: RuleView plus its hit counters (contract §20).
type ListedRule struct {
	RuleView
	Hits      int64      `json:"hits"`
	LastHitAt *time.Time `json:"lastHitAt"`
}

// ListView answers the rule as listReply shows it.
func (r *Rule) ListView() ListedRule {
	v := ListedRule{RuleView: r.View(), Hits: r.Hits}
	if r.LastHitAt != nil {
		t := r.LastHitAt.UTC()
		v.LastHitAt = &t
	}
	return v
}

// ReplyView is one reply of a rule: {type, reply}.
type ReplyView struct {
	Type  ReplyType `json:"type"`
	Reply any       `json:"reply"`
}

// APIReply answers a reply's body in the API's shape ({content}, {mediaId}, an article, …), as addReply
// takes it: what the conversations' sendMessage takes too.
func APIReply(t ReplyType, c Content) any { return apiReply(t, c) }

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// View answers the rule in the API's shape.
func (r *Rule) View() RuleView {
	v := RuleView{ID: r.ID, Type: r.Type, Reply: apiReply(r.Type, r.Reply), Request: r.Keyword,
		Match: r.Match, Enabled: r.Enabled,
		ActiveFrom: optString(r.Schedule.From.String()), ActiveTo: optString(r.Schedule.To.String()),
		Hours: optString(r.Schedule.Hours.String())}
	if len(r.Keywords) > 1 {
		v.Request = r.Keywords
	}
	if len(r.Replies) > 1 {
		v.ReplyMode = r.Mode
		if v.ReplyMode == "" {
			v.ReplyMode = ModeRandom
		}
		for _, rp := range r.Replies {
			v.Replies = append(v.Replies, ReplyView{Type: rp.Type, Reply: apiReply(rp.Type, rp.Content)})
		}
	}
	return v
}

// SpecialView is the subscribe or default reply as getSpecialReplies answers it.
type SpecialView struct {
	ID    int64     `json:"id"`
	Type  ReplyType `json:"type"`
	Reply any       `json:"reply"`
}

// SpecialView answers a subscribe or default reply in the API's shape; nil for none.
func (r *Rule) SpecialView() *SpecialView {
	if r == nil {
		return nil
	}
	return &SpecialView{ID: r.ID, Type: r.Type, Reply: apiReply(r.Type, r.Reply)}
}

package conversations

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/reply/replywire"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// Limits of a menu message (msgmenu). WeChat documents none; these keep a menu readable on a phone.
const (
	maxMenuItems     = 10
	maxMenuItemID    = 64
	maxMenuItemChars = 60
)

// outgoing is a message an operator sends (or a quick reply): its type, the reply object in the API's
// words, a preview, the materials it uses, and WeChat's JSON.
type outgoing struct {
	Type    string
	Body    map[string]any
	Content string
	media   []mediaRef
	wx      wxclient.CustomMessage
}

// mediaRef is a media id the message uses, and the material kinds it may be.
type mediaRef struct {
	field string
	id    string
	kinds []string
}

// parseOutgoing validates {type, reply} as sendMessage and saveQuickReply receive them: the types and
// reply objects of §6 (news: 1 article) and msgmenu {head, items: [{id, content}], tail}.
func parseOutgoing(typ string, raw json.RawMessage) (*outgoing, error) {
	typ = strings.ToLower(strings.TrimSpace(typ))
	if typ == "msgmenu" {
		return parseMenu(raw)
	}
	if typ == "mpnews" {
		return nil, apperr.Invalidf("type", "mpnews is not offered: send the article as multitext (news)").WithKey("err.conversation.no_mpnews", "type")
	}
	t, c, err := replywire.DecodeReply(typ, raw)
	if err != nil {
		return nil, err
	}
	o := &outgoing{Type: string(t)}
	switch t {
	case reply.TypeText:
		o.Body = map[string]any{"content": c.Content}
		o.Content = c.Content
		o.wx = wxclient.CustomMessage{MsgType: "text", Text: &wxclient.CustomText{Content: c.Content}}
	case reply.TypeImage, reply.TypeVoice:
		o.Body = map[string]any{"mediaId": c.MediaID}
		o.Content = "[" + string(t) + "]"
		o.media = []mediaRef{{"reply.mediaId", c.MediaID, []string{string(t)}}}
		m := &wxclient.CustomMedia{MediaID: c.MediaID}
		o.wx = wxclient.CustomMessage{MsgType: string(t)}
		if t == reply.TypeImage {
			o.wx.Image = m
		} else {
			o.wx.Voice = m
		}
	case reply.TypeVideo:
		o.Body = map[string]any{"title": c.Title, "description": c.Description, "mediaId": c.MediaID}
		o.Content = c.Title
		o.media = []mediaRef{{"reply.mediaId", c.MediaID, []string{"video"}}}
		o.wx = wxclient.CustomMessage{MsgType: "video", Video: &wxclient.CustomVideo{MediaID: c.MediaID,
			Title: c.Title, Description: c.Description}}
	case reply.TypeMusic:
		o.Body = map[string]any{"title": c.Title, "description": c.Description, "musicUrl": c.MusicURL,
			"hqMusicUrl": c.HQMusicURL, "thumbMediaId": c.ThumbMediaID}
		o.Content = c.Title
		o.media = []mediaRef{{"reply.thumbMediaId", c.ThumbMediaID, []string{"thumb", "image"}}}
		hq := c.HQMusicURL
		if hq == "" {
			hq = c.MusicURL
		}
		o.wx = wxclient.CustomMessage{MsgType: "music", Music: &wxclient.CustomMusic{Title: c.Title,
			Description: c.Description, MusicURL: c.MusicURL, HQMusicURL: hq, ThumbMediaID: c.ThumbMediaID}}
	case reply.TypeMultitext:
		a := c.Articles[0]
		o.Body = map[string]any{"title": a.Title, "description": a.Description, "picurl": a.PicURL, "url": a.URL}
		o.Content = a.Title
		o.wx = wxclient.CustomMessage{MsgType: "news", News: &wxclient.CustomNews{Articles: []wxclient.CustomNewsArticle{{
			Title: a.Title, Description: a.Description, URL: a.URL, PicURL: a.PicURL}}}}
	default:
		return nil, apperr.Invalidf("type", "must be one of text, image, voice, video, music, multitext, msgmenu").WithKey("err.conversation.type", "type")
	}
	return o, nil
}

// parseMenu reads msgmenu {head, items: [{id, content}], tail}; WeChat's own names (head_content, list,
// tail_content) are accepted too.
func parseMenu(raw json.RawMessage) (*outgoing, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, apperr.Missing("reply")
	}
	var m struct {
		Head        string `json:"head"`
		HeadContent string `json:"head_content"`
		Tail        string `json:"tail"`
		TailContent string `json:"tail_content"`
		Items       []struct {
			ID      json.RawMessage `json:"id"`
			Content string          `json:"content"`
		} `json:"items"`
		List []struct {
			ID      json.RawMessage `json:"id"`
			Content string          `json:"content"`
		} `json:"list"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, apperr.Invalidf("reply", "must be {head, items: [{id, content}], tail}").WithKey("err.conversation.menu_shape", "reply")
	}
	head, tail := strings.TrimSpace(firstOf(m.Head, m.HeadContent)), strings.TrimSpace(firstOf(m.Tail, m.TailContent))
	items := m.Items
	if len(items) == 0 {
		items = m.List
	}
	switch {
	case len(items) == 0:
		return nil, apperr.Missing("reply.items")
	case len(items) > maxMenuItems:
		return nil, apperr.Invalidf("reply.items", "may have at most %d items", maxMenuItems).WithKey("err.conversation.menu_items", "reply.items", maxMenuItems)
	}
	total := len(head) + len(tail)
	list := make([]wxclient.CustomMsgMenuItem, 0, len(items))
	view := make([]map[string]string, 0, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		field := "reply.items[" + itoa(int64(i)) + "]"
		id := strings.Trim(strings.TrimSpace(string(it.ID)), `"`)
		content := strings.TrimSpace(it.Content)
		switch {
		case id == "" || id == "null":
			return nil, apperr.Missing(field + ".id")
		case len(id) > maxMenuItemID || strings.ContainsAny(id, "\"\\"):
			return nil, apperr.Invalidf(field+".id", "must be at most %d plain characters", maxMenuItemID).WithKey("err.conversation.menu_id", field+".id", maxMenuItemID)
		case seen[id]:
			return nil, apperr.Invalidf(field+".id", "is used twice").WithKey("err.field.used_twice", field+".id")
		case content == "":
			return nil, apperr.Missing(field + ".content")
		case utf8.RuneCountInString(content) > maxMenuItemChars:
			return nil, apperr.Invalidf(field+".content", "may be at most %d characters", maxMenuItemChars).WithKey("err.field.may_max_chars", field+".content", maxMenuItemChars)
		}
		seen[id] = true
		total += len(content)
		list = append(list, wxclient.CustomMsgMenuItem{ID: id, Content: content})
		view = append(view, map[string]string{"id": id, "content": content})
	}
	if total > MaxTextBytes {
		return nil, apperr.Invalidf("reply", "may be at most %d bytes of text (WeChat's limit), it has %d", MaxTextBytes, total).WithKey("err.conversation.text_bytes", "reply", MaxTextBytes, total)
	}
	preview := head
	if preview == "" {
		preview = list[0].Content
	}
	return &outgoing{Type: "msgmenu", Body: map[string]any{"head": head, "items": view, "tail": tail}, Content: preview,
		wx: wxclient.CustomMessage{MsgType: "msgmenu", MsgMenu: &wxclient.CustomMsgMenu{HeadContent: head, List: list, TailContent: tail}}}, nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Package replywire reads a reply as the JSON API receives it (contract §6): the spec's aliases, its
// {type, content} wrapper, "vedio" and "news", text as a bare string, articles as an object or an array,
// into the typed values the reply service takes. The reply API (replyapi) and the conversations' sending
// API (§16) both read replies this way. It depends on no HTTP package.
package replywire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/reply"
)

const (
	replyField       = reply.ReplyField
	typeField        = "type"
	wrapperTypeField = "reply.type"
)

// ParseType reads a reply type; "news" (WeChat's name) and "vedio" (the spec's typo) are accepted for
// multitext and video.
func ParseType(s string) (reply.ReplyType, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "text":
		return reply.TypeText, true
	case "image":
		return reply.TypeImage, true
	case "voice":
		return reply.TypeVoice, true
	case "video", "vedio":
		return reply.TypeVideo, true
	case "music":
		return reply.TypeMusic, true
	case "multitext", "news":
		return reply.TypeMultitext, true
	}
	return "", false
}

// ParseMatch reads a match mode; empty is exact, "regexp" is regex.
func ParseMatch(s string) (reply.MatchMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "exact":
		return reply.MatchExact, nil
	case "contains":
		return reply.MatchContains, nil
	case "regex", "regexp":
		return reply.MatchRegex, nil
	}
	return "", reply.ErrBadMatch
}

// Decode reads a reply as the API receives it into the typed value the service takes. typ is the
// request's type field (may be empty when the reply carries its own, in the spec's wrapper, or when
// fallback is set); raw is the reply as sent:
//
//   - the plain form of each type: text {content}; image and voice {mediaId}; video {title, description,
//     mediaId}; music {title, description?, musicUrl, hqMusicUrl?, thumbMediaId}; multitext
//     {title, description, picurl, url} or an array of them;
//   - the spec's wrapper {type, content: {...}} (text: {type: "text", content: "..."});
//   - for text, a bare JSON string (a form's textarea).
//
// The spec's typos (mediald, thumbMediald, vedio) are renamed before this by httpapi; the Go spellings of
// WeChat's XML (MediaId, PicUrl, …) are accepted too. It checks the shape only (fields of the right JSON
// types, trimmed); the service validates the values (reply.Content.Validate).
//
// maxArticles bounds an array of articles, checked here so that its fields are named by index
// (reply[0].title): an array of one is still an array.
func Decode(typ string, fallback reply.ReplyType, raw json.RawMessage, maxArticles int) (reply.ReplyType, reply.Content, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", reply.Content{}, apperr.Missing(replyField)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", reply.Content{}, apperr.Invalidf(replyField, "is not valid JSON").WithKey("err.field.json", replyField)
	}
	inner, wrapperType, err := unwrap(v)
	if err != nil {
		return "", reply.Content{}, err
	}
	t, err := resolveType(typ, wrapperType, fallback)
	if err != nil {
		return "", reply.Content{}, err
	}
	c, err := readContent(t, inner)
	if err != nil {
		return "", reply.Content{}, err
	}
	if _, isArray := inner.([]any); isArray && t == reply.TypeMultitext {
		if err := reply.ValidateArticles(c.Articles, maxArticles, true); err != nil {
			return "", reply.Content{}, err
		}
	}
	return t, c, nil
}

// unwrap takes the spec's wrapper {type, content} apart. An object is a wrapper when it has a content field
// and either a type field or a content that is itself an object or array; {content: "text"} is the plain
// text form.
func unwrap(v any) (inner any, wrapperType string, err error) {
	m, ok := v.(map[string]any)
	if !ok {
		return v, "", nil
	}
	content, hasContent := m["content"]
	if !hasContent {
		return v, "", nil
	}
	rawType, hasType := m["type"]
	_, contentIsObject := content.(map[string]any)
	_, contentIsArray := content.([]any)
	if !hasType && !contentIsObject && !contentIsArray {
		return v, "", nil
	}
	if hasType && rawType != nil {
		s, ok := rawType.(string)
		if !ok {
			return nil, "", apperr.Invalidf(wrapperTypeField, "must be a string").WithKey("err.field.string", wrapperTypeField)
		}
		wrapperType = s
	}
	return content, wrapperType, nil
}

// resolveType picks the reply's type: the request's type field, or the wrapper's, which must agree when both
// are given, or else fallback (the rule's current type, on update).
func resolveType(typ, wrapperType string, fallback reply.ReplyType) (reply.ReplyType, error) {
	typ, wrapperType = strings.TrimSpace(typ), strings.TrimSpace(wrapperType)
	var t reply.ReplyType
	if typ != "" {
		var ok bool
		if t, ok = ParseType(typ); !ok {
			return "", reply.ErrBadType
		}
	}
	if wrapperType != "" {
		wt, ok := ParseType(wrapperType)
		if !ok {
			return "", apperr.Invalidf(wrapperTypeField, "must be one of text, image, voice, video, music, multitext").WithKey("err.reply.type", wrapperTypeField)
		}
		if t != "" && wt != t {
			return "", apperr.Invalidf(wrapperTypeField, "is %q but type is %q", wt, t).WithKey("err.reply.wrapper_type", wrapperTypeField, wt, t)
		}
		t = wt
	}
	if t == "" {
		t = fallback
	}
	if t == "" {
		return "", apperr.Missing(typeField)
	}
	return t, nil
}

// readContent reads the fields of t from v (the unwrapped reply).
func readContent(t reply.ReplyType, v any) (reply.Content, error) {
	if t == reply.TypeText {
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case map[string]any:
			s, err := field(x, replyField, "content")
			if err != nil {
				return reply.Content{}, err
			}
			text = s
		default:
			return reply.Content{}, apperr.Invalidf(replyField, "must be {content} or a text").WithKey("err.reply.text_shape", replyField)
		}
		return reply.Content{Content: strings.TrimSpace(text)}, nil
	}
	if t == reply.TypeMultitext {
		return readArticles(v)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return reply.Content{}, apperr.Invalidf(replyField, "must be an object with the fields of a %s reply", t).WithKey("err.reply.fields_shape", replyField, t)
	}
	r := fieldReader{m: m, base: replyField}
	var c reply.Content
	switch t {
	case reply.TypeImage, reply.TypeVoice:
		c.MediaID = r.get("mediaId", "mediald", "media_id", "MediaId")
	case reply.TypeVideo:
		c.Title = r.get("title", "Title")
		c.Description = r.get("description", "Description")
		c.MediaID = r.get("mediaId", "mediald", "media_id", "MediaId")
	case reply.TypeMusic:
		c.Title = r.get("title", "Title")
		c.Description = r.get("description", "Description")
		c.MusicURL = r.get("musicUrl", "MusicUrl", "musicurl", "music_url")
		c.HQMusicURL = r.get("hqMusicUrl", "HQMusicUrl", "hqmusicurl", "hq_music_url")
		c.ThumbMediaID = r.get("thumbMediaId", "thumbMediald", "ThumbMediaId", "thumb_media_id")
	}
	return c, r.err
}

func readArticles(v any) (reply.Content, error) {
	var items []any
	single := false
	switch x := v.(type) {
	case map[string]any:
		items, single = []any{x}, true
	case []any:
		items = x
	default:
		return reply.Content{}, apperr.Invalidf(replyField, "must be an article {title, description, picurl, url} or an array of them").WithKey("err.reply.articles_shape", replyField)
	}
	c := reply.Content{Articles: make([]reply.Article, 0, len(items))}
	for i, it := range items {
		base := fmt.Sprintf("%s[%d]", replyField, i)
		if single {
			base = replyField
		}
		m, ok := it.(map[string]any)
		if !ok {
			return reply.Content{}, apperr.Invalidf(base, "must be an article {title, description, picurl, url}").WithKey("err.reply.article_shape", base)
		}
		r := fieldReader{m: m, base: base}
		a := reply.Article{
			Title:       r.get("title", "Title"),
			Description: r.get("description", "Description"),
			PicURL:      r.get("picurl", "picUrl", "PicUrl", "pic_url"),
			URL:         r.get("url", "Url", "URL"),
		}
		if r.err != nil {
			return reply.Content{}, r.err
		}
		c.Articles = append(c.Articles, a)
	}
	return c, nil
}

// field answers the string field key of m ("" when absent or null); a number is taken as its text.
func field(m map[string]any, base, key string, aliases ...string) (string, error) {
	v, ok := m[key]
	for _, a := range aliases {
		if ok && v != nil {
			break
		}
		v, ok = m[a]
	}
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	default:
		return "", apperr.Invalidf(base+"."+key, "must be a string").WithKey("err.field.string", base+"."+key)
	}
}

// fieldReader reads string fields, trimmed, keeping the first error; it answers "" once one happened.
type fieldReader struct {
	m    map[string]any
	base string
	err  error
}

func (r *fieldReader) get(key string, aliases ...string) string {
	if r.err != nil {
		return ""
	}
	s, err := field(r.m, r.base, key, aliases...)
	if err != nil {
		r.err = err
		return ""
	}
	return strings.TrimSpace(s)
}

// DecodeReply reads and validates a reply object of type typ (or the spec's wrapper carrying its own
// type) as addReply does, with one article at most: WeChat's rule for what is sent in answer to a
// message, which the customer-service API shares (contract §16). Errors name the field (40000).
func DecodeReply(typ string, raw json.RawMessage) (reply.ReplyType, reply.Content, error) {
	t, c, err := Decode(typ, "", raw, reply.MaxArticlesMessage)
	if err != nil {
		return "", reply.Content{}, err
	}
	return t, c, c.Validate(t, reply.MaxArticlesMessage)
}

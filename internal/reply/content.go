package reply

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Limits of the fields of a reply, beyond MaxTextBytes.
const (
	maxMediaIDBytes  = 256
	maxTitleChars    = 128
	maxDescChars     = 1024
	maxURLBytes      = 1024
	replyField       = "reply"
	typeField        = "type"
	wrapperTypeField = "reply.type"
)

// decodeReply reads a reply as the API receives it and validates it for its type. typ is the request's
// type field (may be empty when the reply carries its own, in the spec's wrapper, or when fallback is set);
// raw is the reply as sent:
//
//   - the plain form of each type: text {content}; image and voice {mediaId}; video {title, description,
//     mediaId}; music {title, description?, musicUrl, hqMusicUrl?, thumbMediaId}; multitext
//     {title, description, picurl, url} or an array of them;
//   - the spec's wrapper {type, content: {...}} (text: {type: "text", content: "..."});
//   - for text, a bare JSON string (a form's textarea).
//
// The spec's typos (mediald, thumbMediald, vedio) are renamed before this by httpapi; the Go spellings of
// WeChat's XML (MediaId, PicUrl, …) are accepted too. maxArticles is 1 for keyword and default replies
// (WeChat shows one article in answer to a message) and 8 for the subscribe reply.
func decodeReply(typ string, fallback ReplyType, raw json.RawMessage, maxArticles int) (ReplyType, Content, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", Content{}, apperr.Missing(replyField)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", Content{}, apperr.Invalidf(replyField, "is not valid JSON")
	}
	inner, wrapperType, err := unwrap(v)
	if err != nil {
		return "", Content{}, err
	}
	t, err := resolveType(typ, wrapperType, fallback)
	if err != nil {
		return "", Content{}, err
	}
	c, err := readContent(t, inner, maxArticles)
	if err != nil {
		return "", Content{}, err
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
			return nil, "", apperr.Invalidf(wrapperTypeField, "must be a string")
		}
		wrapperType = s
	}
	return content, wrapperType, nil
}

// resolveType picks the reply's type: the request's type field, or the wrapper's, which must agree when both
// are given, or else fallback (the rule's current type, on update).
func resolveType(typ, wrapperType string, fallback ReplyType) (ReplyType, error) {
	typ, wrapperType = strings.TrimSpace(typ), strings.TrimSpace(wrapperType)
	var t ReplyType
	if typ != "" {
		var ok bool
		if t, ok = parseType(typ); !ok {
			return "", apperr.Invalidf(typeField, "must be one of text, image, voice, video, music, multitext")
		}
	}
	if wrapperType != "" {
		wt, ok := parseType(wrapperType)
		if !ok {
			return "", apperr.Invalidf(wrapperTypeField, "must be one of text, image, voice, video, music, multitext")
		}
		if t != "" && wt != t {
			return "", apperr.Invalidf(wrapperTypeField, "is %q but type is %q", wt, t)
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

// readContent validates the fields of t in v (the unwrapped reply).
func readContent(t ReplyType, v any, maxArticles int) (Content, error) {
	if t == TypeText {
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case map[string]any:
			s, err := field(x, replyField, "content")
			if err != nil {
				return Content{}, err
			}
			text = s
		default:
			return Content{}, apperr.Invalidf(replyField, "must be {content} or a text")
		}
		text = strings.TrimSpace(text)
		switch {
		case text == "":
			return Content{}, apperr.Missing(replyField + ".content")
		case !utf8.ValidString(text):
			return Content{}, apperr.Invalidf(replyField+".content", "must be valid UTF-8 text")
		case len(text) > MaxTextBytes:
			return Content{}, apperr.Invalidf(replyField+".content", "may be at most %d bytes (WeChat's limit), it has %d", MaxTextBytes, len(text))
		}
		return Content{Content: text}, nil
	}
	if t == TypeMultitext {
		return readArticles(v, maxArticles)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Content{}, apperr.Invalidf(replyField, "must be an object with the fields of a %s reply", t)
	}
	r := fieldReader{m: m, base: replyField}
	var c Content
	switch t {
	case TypeImage, TypeVoice:
		c.MediaID = r.mediaID("mediaId", true, "mediald", "media_id", "MediaId")
	case TypeVideo:
		c.Title = r.text("title", maxTitleChars, true, "Title")
		c.Description = r.text("description", maxDescChars, true, "Description")
		c.MediaID = r.mediaID("mediaId", true, "mediald", "media_id", "MediaId")
	case TypeMusic:
		c.Title = r.text("title", maxTitleChars, true, "Title")
		c.Description = r.text("description", maxDescChars, false, "Description")
		c.MusicURL = r.url("musicUrl", true, "MusicUrl", "musicurl", "music_url")
		c.HQMusicURL = r.url("hqMusicUrl", false, "HQMusicUrl", "hqmusicurl", "hq_music_url")
		c.ThumbMediaID = r.mediaID("thumbMediaId", true, "thumbMediald", "ThumbMediaId", "thumb_media_id")
	}
	return c, r.err
}

func readArticles(v any, maxArticles int) (Content, error) {
	var items []any
	single := false
	switch x := v.(type) {
	case map[string]any:
		items, single = []any{x}, true
	case []any:
		items = x
	default:
		return Content{}, apperr.Invalidf(replyField, "must be an article {title, description, picurl, url} or an array of them")
	}
	if len(items) == 0 {
		return Content{}, apperr.Invalidf(replyField, "must hold at least one article")
	}
	if len(items) > maxArticles {
		if maxArticles == 1 {
			return Content{}, apperr.Invalidf(replyField, "holds %d articles; a rule answering messages holds 1, as WeChat shows only one in answer to a message", len(items))
		}
		return Content{}, apperr.Invalidf(replyField, "holds %d articles; at most %d (WeChat's limit)", len(items), maxArticles)
	}
	c := Content{Articles: make([]Article, 0, len(items))}
	for i, it := range items {
		base := fmt.Sprintf("%s[%d]", replyField, i)
		if single {
			base = replyField
		}
		m, ok := it.(map[string]any)
		if !ok {
			return Content{}, apperr.Invalidf(base, "must be an article {title, description, picurl, url}")
		}
		r := fieldReader{m: m, base: base}
		a := Article{
			Title:       r.text("title", maxTitleChars, true, "Title"),
			Description: r.text("description", maxDescChars, true, "Description"),
			PicURL:      r.url("picurl", true, "picUrl", "PicUrl", "pic_url"),
			URL:         r.url("url", true, "Url", "URL"),
		}
		if r.err != nil {
			return Content{}, r.err
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
		return "", apperr.Invalidf(base+"."+key, "must be a string")
	}
}

// fieldReader reads and checks fields, keeping the first error; its methods answer "" once one happened.
type fieldReader struct {
	m    map[string]any
	base string
	err  error
}

func (r *fieldReader) get(key string, aliases []string) (string, string, bool) {
	name := r.base + "." + key
	if r.err != nil {
		return "", name, false
	}
	s, err := field(r.m, r.base, key, aliases...)
	if err != nil {
		r.err = err
		return "", name, false
	}
	return strings.TrimSpace(s), name, true
}

func (r *fieldReader) text(key string, maxChars int, required bool, aliases ...string) string {
	s, name, ok := r.get(key, aliases)
	switch {
	case !ok:
		return ""
	case s == "" && required:
		r.err = apperr.Missing(name)
	case !utf8.ValidString(s):
		r.err = apperr.Invalidf(name, "must be valid UTF-8 text")
	case utf8.RuneCountInString(s) > maxChars:
		r.err = apperr.Invalidf(name, "may be at most %d characters", maxChars)
	}
	return s
}

func (r *fieldReader) mediaID(key string, required bool, aliases ...string) string {
	s, name, ok := r.get(key, aliases)
	switch {
	case !ok:
		return ""
	case s == "" && required:
		r.err = apperr.Missing(name)
	case len(s) > maxMediaIDBytes || strings.ContainsFunc(s, isSpaceOrControl):
		r.err = apperr.Invalidf(name, "is not a media id (upload the file with /apis/materials/uploadMaterial)")
	}
	return s
}

func (r *fieldReader) url(key string, required bool, aliases ...string) string {
	s, name, ok := r.get(key, aliases)
	switch {
	case !ok:
		return ""
	case s == "":
		if required {
			r.err = apperr.Missing(name)
		}
	case !isHTTPURL(s):
		r.err = apperr.Invalidf(name, "must be an http or https URL")
	}
	return s
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// isHTTPURL accepts absolute http(s) URLs with a host, up to maxURLBytes, without spaces or control
// characters.
func isHTTPURL(s string) bool {
	if len(s) > maxURLBytes || strings.ContainsFunc(s, isSpaceOrControl) {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return (scheme == "http" || scheme == "https") && u.Host != "" && u.Hostname() != ""
}

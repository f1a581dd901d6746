package reply

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Limits of the fields of a reply, beyond MaxTextBytes.
const (
	maxMediaIDBytes = 256
	maxTitleChars   = 128
	maxDescChars    = 1024
	maxURLBytes     = 1024
	// ReplyField names the reply in error messages: "reply.title: is required".
	ReplyField = "reply"
)

// Valid reports whether t is one of the reply types.
func (t ReplyType) Valid() bool {
	switch t {
	case TypeText, TypeImage, TypeVoice, TypeVideo, TypeMusic, TypeMultitext:
		return true
	}
	return false
}

// Valid reports whether m is one of the match modes.
func (m MatchMode) Valid() bool {
	return m == MatchExact || m == MatchContains || m == MatchRegex
}

// ErrBadType and ErrBadMatch name the field of a type or match mode outside the lists.
var (
	ErrBadType  = apperr.Invalidf("type", "must be one of text, image, voice, video, music, multitext").WithKey("err.reply.type", "type")
	ErrBadMatch = apperr.Invalidf("match", "must be exact, contains or regex").WithKey("err.reply.match", "match")
)

// Validate checks c as a reply of type t, within WeChat's limits: the fields t needs are present, text is
// valid UTF-8 of bounded length, URLs are http(s), media ids look like ones; maxArticles is 1 for keyword
// and default replies (WeChat shows one article in answer to a message) and 8 for the subscribe reply.
// Errors name the field as the API does: reply.content, reply.title, reply[1].url.
func (c Content) Validate(t ReplyType, maxArticles int) error {
	v := validator{base: ReplyField}
	switch t {
	case TypeText:
		switch {
		case c.Content == "":
			return apperr.Missing(ReplyField + ".content")
		case !utf8.ValidString(c.Content):
			return apperr.Invalidf(ReplyField+".content", "must be valid UTF-8 text").WithKey("err.field.utf8_text", ReplyField+".content")
		case len(c.Content) > MaxTextBytes:
			return apperr.Invalidf(ReplyField+".content", "may be at most %d bytes (WeChat's limit), it has %d", MaxTextBytes, len(c.Content)).WithKey("err.reply.text_bytes", ReplyField+".content", MaxTextBytes, len(c.Content))
		}
	case TypeImage, TypeVoice:
		v.mediaID("mediaId", c.MediaID, true)
	case TypeVideo:
		v.text("title", c.Title, maxTitleChars, true)
		v.text("description", c.Description, maxDescChars, true)
		v.mediaID("mediaId", c.MediaID, true)
	case TypeMusic:
		v.text("title", c.Title, maxTitleChars, true)
		v.text("description", c.Description, maxDescChars, false)
		v.url("musicUrl", c.MusicURL, true)
		v.url("hqMusicUrl", c.HQMusicURL, false)
		v.mediaID("thumbMediaId", c.ThumbMediaID, true)
	case TypeMultitext:
		return ValidateArticles(c.Articles, maxArticles, len(c.Articles) > 1)
	default:
		return ErrBadType
	}
	return v.err
}

// ValidateArticles checks the articles of a multitext reply: how many, and each one's fields. indexed
// names the fields of the i-th reply[i].title (an array was sent), else reply.title (one article).
func ValidateArticles(items []Article, maxArticles int, indexed bool) error {
	switch {
	case len(items) == 0:
		return apperr.Invalidf(ReplyField, "must hold at least one article").WithKey("err.reply.articles_empty", ReplyField)
	case len(items) > maxArticles && maxArticles == 1:
		return apperr.Invalidf(ReplyField, "holds %d articles; a rule answering messages holds 1, as WeChat shows only one in answer to a message", len(items)).WithKey("err.reply.articles_one", ReplyField, len(items))
	case len(items) > maxArticles:
		return apperr.Invalidf(ReplyField, "holds %d articles; at most %d (WeChat's limit)", len(items), maxArticles).WithKey("err.reply.articles_max", ReplyField, len(items), maxArticles)
	}
	for i, a := range items {
		v := validator{base: ReplyField}
		if indexed {
			v.base = fmt.Sprintf("%s[%d]", ReplyField, i)
		}
		v.text("title", a.Title, maxTitleChars, true)
		v.text("description", a.Description, maxDescChars, true)
		v.url("picurl", a.PicURL, true)
		v.url("url", a.URL, true)
		if v.err != nil {
			return v.err
		}
	}
	return nil
}

// validator checks fields in order, keeping the first error.
type validator struct {
	base string
	err  error
}

func (v *validator) fail(err error) {
	if v.err == nil {
		v.err = err
	}
}

func (v *validator) text(key, s string, maxChars int, required bool) {
	name := v.base + "." + key
	switch {
	case s == "" && required:
		v.fail(apperr.Missing(name))
	case !utf8.ValidString(s):
		v.fail(apperr.Invalidf(name, "must be valid UTF-8 text").WithKey("err.field.utf8_text", name))
	case utf8.RuneCountInString(s) > maxChars:
		v.fail(apperr.Invalidf(name, "may be at most %d characters", maxChars).WithKey("err.field.may_max_chars", name, maxChars))
	}
}

func (v *validator) mediaID(key, s string, required bool) {
	name := v.base + "." + key
	switch {
	case s == "" && required:
		v.fail(apperr.Missing(name))
	case len(s) > maxMediaIDBytes || strings.ContainsFunc(s, isSpaceOrControl):
		v.fail(apperr.Invalidf(name, "is not a media id (upload the file with /apis/materials/uploadMaterial)").WithKey("err.reply.media_id", name))
	}
}

func (v *validator) url(key, s string, required bool) {
	name := v.base + "." + key
	switch {
	case s == "":
		if required {
			v.fail(apperr.Missing(name))
		}
	case !isHTTPURL(s):
		v.fail(apperr.Invalidf(name, "must be an http or https URL").WithKey("err.url.scheme", name))
	}
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

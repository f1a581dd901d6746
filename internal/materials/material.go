// Package materials is the console's side of WeChat's permanent materials (contract §10): uploads checked
// before WeChat sees them (size limits enforced while reading, the type decided by the bytes), forwarded to
// cgi-bin/material/add_material, and kept in Postgres so the console shows them without asking WeChat;
// removal, counts and lists at WeChat joined with the local copies; and each account's logo, which stays
// here and is served at a stable URL.
package materials

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Kind is a material's type as WeChat names it (image, voice, video, thumb), or the console's own logo.
type Kind string

// The kinds of file the console accepts.
const (
	Image Kind = "image"
	Voice Kind = "voice"
	Video Kind = "video"
	Thumb Kind = "thumb"
	Logo  Kind = "logo"
)

// MaxFileBytes is the largest file any kind accepts (images and videos): the bound an upload is held to
// while its kind is not known yet.
const MaxFileBytes = 10 << 20

// Limits of the video description. WeChat documents none; these keep a title readable in WeChat's admin
// and in a video reply.
const (
	MaxTitleRunes       = 64
	MaxDescriptionRunes = 512
)

// rule is what one kind accepts: a size limit and the formats detected from the bytes.
type rule struct {
	limit   int64
	formats []*format
}

// rules are WeChat's current limits (contract §10, wechat-protocol.md §10), and the logo's.
var rules = map[Kind]rule{
	Image: {10 << 20, []*format{fmtPNG, fmtJPEG, fmtGIF, fmtBMP}},
	Voice: {2 << 20, []*format{fmtMP3, fmtWMA, fmtWAV, fmtAMR}},
	Video: {10 << 20, []*format{fmtMP4}},
	Thumb: {64 << 10, []*format{fmtJPEG}},
	Logo:  {2 << 20, []*format{fmtPNG, fmtJPEG}},
	// Pictures inside an article's content (media/uploadimg): WeChat takes jpg and png under 1 MB.
	ArticleImage: {1 << 20, []*format{fmtPNG, fmtJPEG}},
}

// ParseKind reads a kind as an API caller sends it (any case; the spec's "vedio" is a video). Logos have
// their own endpoint, so "logo" is not a material type here.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if k == "vedio" {
		k = Video
	}
	switch k {
	case "":
		return "", apperr.Missing("type")
	case Image, Voice, Video, Thumb:
		return k, nil
	}
	return "", apperr.Invalidf("type", "must be image, voice, video or thumb, not %q", s).WithKey("materials.err.type", "type", s)
}

// Limit answers the largest file of kind k, in bytes.
func (k Kind) Limit() int64 { return rules[k].limit }

// Allowed names the formats kind k accepts, for messages ("png, jpg, gif or bmp").
func (k Kind) Allowed() string {
	names := make([]string, 0, len(rules[k].formats))
	for _, f := range rules[k].formats {
		names = append(names, f.name)
	}
	return orList(names)
}

func orList(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// article answers "an image", "a voice"… for messages.
func (k Kind) article() string {
	switch k {
	case Image:
		return "an image"
	case ArticleImage:
		return "an image in an article"
	}
	return "a " + string(k)
}

// Upload is one file as an operator sent it, with what its kind needs.
type Upload struct {
	Kind        Kind
	Filename    string // as sent; sanitised before it is kept or forwarded
	Data        []byte
	Title       string // videos: required
	Description string // videos: optional
}

// Check validates u before anything leaves the console: the size against the kind's limit, the format
// detected from the bytes against the kind's formats, and a video's title and description. It answers
// the detected format.
func (u *Upload) Check() (*format, error) {
	r, ok := rules[u.Kind]
	if !ok {
		return nil, apperr.Invalidf("type", "must be image, voice, video or thumb, not %q", u.Kind).WithKey("materials.err.type", "type", u.Kind)
	}
	if int64(len(u.Data)) > r.limit {
		return nil, tooLarge(u.Kind, int64(len(u.Data)))
	}
	if len(u.Data) == 0 {
		return nil, apperr.Invalidf("file", "is empty").WithKey("err.field.empty", "file")
	}
	f, detected := detect(u.Data)
	if f == nil || !containsFormat(r.formats, f) {
		return nil, apperr.New(apperr.UnsupportedType, fmt.Sprintf(
			"file type not allowed: the file's content is %s; %s must be %s", detected, u.Kind.article(), u.Kind.Allowed())).
			WithKey("materials.err.file_type", detected, apperr.Term("materials.kind.a."+string(u.Kind)), apperr.Term("materials.formats."+string(u.Kind)))
	}
	if u.Kind == Video {
		u.Title = strings.TrimSpace(u.Title)
		u.Description = strings.TrimSpace(u.Description)
		switch {
		case u.Title == "":
			return nil, apperr.Missing("title")
		case !utf8.ValidString(u.Title) || utf8.RuneCountInString(u.Title) > MaxTitleRunes:
			return nil, apperr.Invalidf("title", "must be at most %d characters", MaxTitleRunes).WithKey("err.field.max_chars", "title", MaxTitleRunes)
		case !utf8.ValidString(u.Description) || utf8.RuneCountInString(u.Description) > MaxDescriptionRunes:
			return nil, apperr.Invalidf("desc", "must be at most %d characters", MaxDescriptionRunes).WithKey("err.field.max_chars", "desc", MaxDescriptionRunes)
		}
	} else {
		u.Title, u.Description = "", ""
	}
	return f, nil
}

func containsFormat(list []*format, f *format) bool {
	for _, g := range list {
		if g == f {
			return true
		}
	}
	return false
}

// tooLarge is 41300 naming the kind's limit.
func tooLarge(k Kind, size int64) error {
	msg := fmt.Sprintf("file too large: %s may be at most %s", k.article(), humanBytes(k.Limit()))
	if size > 0 {
		msg = fmt.Sprintf("file too large: %s may be at most %s, this file has %s", k.article(), humanBytes(k.Limit()), humanBytes(size))
	}
	if size > 0 {
		return apperr.New(apperr.TooLarge, msg).WithKey("materials.err.too_large_size", apperr.Term("materials.kind.a."+string(k)), humanBytes(k.Limit()), humanBytes(size))
	}
	return apperr.New(apperr.TooLarge, msg).WithKey("materials.err.too_large", apperr.Term("materials.kind.a."+string(k)), humanBytes(k.Limit()))
}

// humanBytes writes n as operators read sizes: 64 KB, 2 MB, 10.5 MB (1 KB = 1024 bytes, as WeChat counts).
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		if n%(1<<20) == 0 {
			return fmt.Sprintf("%d MB", n>>20)
		}
		return fmt.Sprintf("%.2f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		if n%(1<<10) == 0 {
			return fmt.Sprintf("%d KB", n>>10)
		}
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Material is a kept file, without its bytes.
type Material struct {
	ID          int64     `json:"id"`
	Kind        Kind      `json:"type"`
	MediaID     string    `json:"mediaId,omitempty"`
	WeChatURL   string    `json:"wechatUrl,omitempty"`
	Name        string    `json:"name"`
	Title       string    `json:"title,omitempty"`
	Description string    `json:"desc,omitempty"`
	ContentType string    `json:"contentType"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"` // lower hex
	UploadedBy  int64     `json:"uploadedBy,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	// URL is where the console serves the bytes to the account's owner.
	URL string `json:"url"`
}

// File is a kept material with its bytes, for serving.
type File struct {
	Material
	Data []byte
}

// FilePath is the console URL of a kept file, served to the owner of its account.
func FilePath(id int64) string { return fmt.Sprintf("/apis/materials/file/%d", id) }

// LogoPath is the stable URL of an account's logo: it does not change when the logo is replaced.
func LogoPath(appid string) string { return "/materials/logo/" + appid }

// Errors of the package.
var (
	ErrNotFound      = apperr.New(apperr.NotFound, "material not found").WithKey("materials.err.not_found")
	ErrNoLogo        = apperr.New(apperr.NotFound, "this official account has no logo").WithKey("materials.err.no_logo")
	ErrMissingMedia  = apperr.Missing("mediaId")
	ErrNotMultipart  = apperr.Invalidf("body", "must be multipart/form-data with the file").WithKey("materials.err.not_multipart", "body")
	ErrTooManyFiles  = apperr.Invalidf("file", "send one file per upload").WithKey("materials.err.one_file", "file")
	ErrTooManyFields = apperr.Invalidf("body", "has too many fields").WithKey("err.body.too_many_fields", "body")
)

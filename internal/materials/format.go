package materials

import (
	"bytes"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
)

// format is a file format the console accepts, recognised by its bytes.
type format struct {
	name        string   // for messages: "png"
	contentType string   // stored and served; never the client's Content-Type
	mimes       []string // what mimetype detects for it
	exts        []string // file name extensions WeChat accepts for it, the first one preferred
}

var (
	// An animated PNG is a PNG: browsers and WeChat show its first frame.
	fmtPNG  = &format{"png", "image/png", []string{"image/png", "image/vnd.mozilla.apng"}, []string{"png"}}
	fmtJPEG = &format{"jpg", "image/jpeg", []string{"image/jpeg"}, []string{"jpg", "jpeg"}}
	fmtGIF  = &format{"gif", "image/gif", []string{"image/gif"}, []string{"gif"}}
	fmtBMP  = &format{"bmp", "image/bmp", []string{"image/bmp"}, []string{"bmp"}}
	fmtMP3  = &format{"mp3", "audio/mpeg", []string{"audio/mpeg"}, []string{"mp3"}}
	// WMA is audio in an ASF container; detectFormat tells it from WMV (video in the same container).
	fmtWMA = &format{"wma", "audio/x-ms-wma", []string{"video/x-ms-asf"}, []string{"wma"}}
	fmtWAV = &format{"wav", "audio/wav", []string{"audio/wav"}, []string{"wav"}}
	fmtAMR = &format{"amr", "audio/amr", []string{"audio/amr"}, []string{"amr"}}
	// Only the plain MP4 brands: mimetype reports 3GP, QuickTime, M4A, HEIF… as their own types.
	fmtMP4 = &format{"mp4", "video/mp4", []string{"video/mp4"}, []string{"mp4"}}

	allFormats = []*format{fmtPNG, fmtJPEG, fmtGIF, fmtBMP, fmtMP3, fmtWMA, fmtWAV, fmtAMR, fmtMP4}
)

// detect decides a file's format from its first bytes (mimetype reads at most its 3 KB window of data).
// It answers the format, or nil and what the bytes look like, for the message of a refusal.
func detect(data []byte) (*format, string) {
	m := mimetype.Detect(data)
	for _, f := range allFormats {
		for _, mt := range f.mimes {
			if m.Is(mt) {
				if f == fmtWMA && !asfAudioOnly(data) {
					return nil, "video/x-ms-wmv (a video)"
				}
				return f, f.contentType
			}
		}
	}
	ct := m.String()
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	switch ct {
	case "text/plain":
		return nil, "text/plain (text, not a media file)"
	case "application/octet-stream":
		return nil, "not a known media format (application/octet-stream)"
	}
	return nil, ct
}

// ASF stream type GUIDs, as stored (little-endian fields).
var (
	asfVideoMedia = []byte{0xC0, 0xEF, 0x19, 0xBC, 0x4D, 0x5B, 0xCF, 0x11, 0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B}
	asfAudioMedia = []byte{0x40, 0x9E, 0x69, 0xF8, 0x4D, 0x5B, 0xCF, 0x11, 0xA8, 0xFD, 0x00, 0x80, 0x5F, 0x5C, 0x44, 0x2B}
)

// asfAudioOnly reports whether an ASF file's header declares an audio stream and no video stream: a WMA,
// not a WMV. The header object comes first and holds every stream's properties; its size is bytes 16–23.
func asfAudioOnly(data []byte) bool {
	if len(data) < 30 {
		return false
	}
	size := uint64(0)
	for i := 7; i >= 0; i-- {
		size = size<<8 | uint64(data[16+i])
	}
	if size > uint64(len(data)) || size < 30 {
		size = uint64(len(data))
	}
	hdr := data[:size]
	return bytes.Contains(hdr, asfAudioMedia) && !bytes.Contains(hdr, asfVideoMedia)
}

// maxNameRunes bounds a kept file name; longer names keep their extension.
const maxNameRunes = 100

// sanitizeFilename makes an uploaded name safe to keep, show and send: no directories (either slash), no
// control or format characters (which include bidi overrides), none of "<>:\"|?*", no leading dots, at most
// 100 characters. An empty result is "file".
func sanitizeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			// Tabs and new lines too: runs of white space become one space.
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			continue
		case strings.ContainsRune(`<>:"|?*`, r):
			r = '_'
		}
		space = false
		b.WriteRune(r)
	}
	out := strings.TrimLeft(strings.TrimSpace(b.String()), ". ")
	if rs := []rune(out); len(rs) > maxNameRunes {
		ext := []rune(path.Ext(out))
		if len(ext) > 10 {
			ext = nil
		}
		out = string(rs[:maxNameRunes-len(ext)]) + string(ext)
	}
	if out == "" {
		return "file"
	}
	return out
}

// nameFor answers the name a file is sent to WeChat and served under: the sanitised name, with an
// extension of its detected format (WeChat checks the extension; a PNG named .mp3 becomes .png).
func nameFor(filename string, f *format) string {
	name := sanitizeFilename(filename)
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	for _, e := range f.exts {
		if ext == e {
			return name
		}
	}
	base := strings.TrimSuffix(name, path.Ext(name))
	if base == "" {
		base = "file"
	}
	return base + "." + f.exts[0]
}

// formatOf answers the accepted format with content type ct, for files read back from the database.
func formatOf(ct string) *format {
	for _, f := range allFormats {
		if f.contentType == ct {
			return f
		}
	}
	return nil
}

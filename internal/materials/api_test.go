package materials

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// requireServed fetches a kept file as op and checks it is data, served as the contract says.
func requireServed(t *testing.T, e *env, op *operator, path string, data []byte, contentType, name string) {
	t.Helper()
	a := e.get(op, path)
	require.Equal(t, http.StatusOK, a.status, string(a.raw))
	require.True(t, bytes.Equal(data, a.raw), "served bytes differ from the uploaded ones")
	require.Equal(t, contentType, a.header.Get("Content-Type"))
	require.Equal(t, "nosniff", a.header.Get("X-Content-Type-Options"))
	require.Equal(t, fileCSP, a.header.Get("Content-Security-Policy"))
	require.Equal(t, contentDisposition("inline", name), a.header.Get("Content-Disposition"))
	sum := sha256.Sum256(data)
	require.Equal(t, `"`+hex.EncodeToString(sum[:])+`"`, a.header.Get("ETag"))
}

// addMaterialCalls counts the uploads the emulator received.
func addMaterialCalls(e *env) int {
	n := 0
	for _, r := range e.Emu.Requests() {
		if r.Path == "/cgi-bin/material/add_material" {
			n++
		}
	}
	return n
}

func TestUploadRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.newOperator("alice")
	cases := []struct {
		name     string
		endpoint string
		parts    []part
		data     []byte
		kind     Kind
		ct       string
		wxName   string // the name WeChat received and the console serves
		title    string
		sent     string // the file name sent, when not wxName
	}{
		{"image png", "uploadMaterial", []part{field("type", "image")}, pngBytes(t), Image, "image/png", "a.png", "", ""},
		{"image jpeg", "uploadMaterial", []part{field("type", "image")}, jpegBytes(t), Image, "image/jpeg", "a.jpg", "", ""},
		{"image gif", "uploadMaterial", []part{field("type", "image")}, gifBytes(t), Image, "image/gif", "a.gif", "", ""},
		{"image bmp", "uploadMaterial", []part{field("type", "image")}, bmpBytes(t), Image, "image/bmp", "a.bmp", "", ""},
		{"image at 10 MB", "uploadMaterial", []part{field("type", "image")}, padTo(pngBytes(t), 10<<20), Image, "image/png", "a.png", "", ""},
		{"voice mp3", "uploadMaterial", []part{field("type", "voice")}, mp3Bytes(t), Voice, "audio/mpeg", "a.mp3", "", ""},
		{"voice wav", "uploadMaterial", []part{field("type", "voice")}, wavBytes(t), Voice, "audio/wav", "a.wav", "", ""},
		{"voice amr", "uploadMaterial", []part{field("type", "voice")}, amrBytes(t), Voice, "audio/amr", "a.amr", "", ""},
		{"voice wma", "uploadMaterial", []part{field("type", "voice")}, wmaBytes(t), Voice, "audio/x-ms-wma", "a.wma", "", ""},
		{"voice at 2 MB", "uploadMaterial", []part{field("type", "voice")}, padTo(mp3Bytes(t), 2<<20), Voice, "audio/mpeg", "a.mp3", "", ""},
		{"thumb", "uploadMaterial", []part{field("type", "thumb")}, jpegBytes(t), Thumb, "image/jpeg", "a.jpg", "", ""},
		{"thumb at 64 KB", "uploadMaterial", []part{field("type", "thumb")}, padTo(jpegBytes(t), 64<<10), Thumb, "image/jpeg", "a.jpg", "", ""},
		{"video", "uploadVideoMaterial", []part{field("title", "片头"), field("desc", "the intro")}, mp4Bytes(t), Video, "video/mp4", "a.mp4", "片头", ""},
		{"video at 10 MB", "uploadVideoMaterial", []part{field("title", "big")}, padTo(mp4Bytes(t), 10<<20), Video, "video/mp4", "a.mp4", "big", ""},
		{"video through uploadMaterial", "uploadMaterial", []part{field("type", "video"), field("title", "v")}, mp4Bytes(t), Video, "video/mp4", "a.mp4", "v", ""},
		{"type vedio", "uploadMaterial", []part{field("type", "vedio"), field("title", "v")}, mp4Bytes(t), Video, "video/mp4", "a.mp4", "v", ""},
		{"title as tile", "uploadVideoMaterial", []part{field("tile", "typo")}, mp4Bytes(t), Video, "video/mp4", "a.mp4", "typo", ""},
		// A PNG named .mp3 is still a PNG: WeChat gets it as a.png.
		{"spoofed extension, allowed type", "uploadMaterial", []part{field("type", "image")}, pngBytes(t), Image, "image/png", "a.png", "", "a.mp3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			filename := tc.wxName
			if tc.sent != "" {
				filename = tc.sent
			}
			parts := append(append([]part{}, tc.parts...), file("file", filename, tc.data))
			a := e.upload(op, tc.endpoint, "", parts...)
			require.Equal(t, http.StatusOK, a.status, string(a.raw))
			require.Equal(t, 0, a.errcode())
			mediaID := a.str("mediaId")
			require.NotEmpty(t, mediaID)
			if tc.kind == Image {
				require.True(t, strings.HasPrefix(a.str("url"), "http://mmbiz.qpic.cn/"), a.str("url"))
			} else {
				require.Empty(t, a.str("url"))
			}
			require.Equal(t, tc.ct, a.str("contentType"))
			require.EqualValues(t, len(tc.data), a.num("size"))

			m, ok := e.wxMaterial(op.appid, mediaID)
			require.True(t, ok, "the emulator has no material %s", mediaID)
			require.True(t, bytes.Equal(tc.data, m.Bytes), "WeChat received other bytes")
			require.Equal(t, string(tc.kind), m.Type)
			require.Equal(t, tc.wxName, m.Name)
			require.Equal(t, tc.title, m.Title)
			if tc.name == "video" {
				require.Equal(t, "the intro", m.Introduction)
			}
			requireServed(t, e, op, a.str("localUrl"), tc.data, tc.ct, tc.wxName)
		})
	}
}

func TestUploadRefusedBeforeWeChat(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.newOperator("bob")
	png, jpg := pngBytes(t), jpegBytes(t)
	cases := []struct {
		name     string
		endpoint string
		query    string
		parts    []part
		status   int
		errcode  int
		msg      string
	}{
		{"png as voice", "uploadMaterial", "", []part{field("type", "voice"), file("file", "song.mp3", png)},
			415, 41500, "the file's content is image/png; a voice must be mp3, wma, wav or amr"},
		{"png as thumb", "uploadMaterial", "", []part{field("type", "thumb"), file("file", "t.jpg", png)}, 415, 41500, "a thumb must be jpg"},
		{"html as image", "uploadMaterial", "", []part{field("type", "image"), file("file", "x.png", []byte(htmlSample))}, 415, 41500, "text/html"},
		{"svg as image", "uploadMaterial", "", []part{field("type", "image"), file("file", "x.jpg", []byte(svgSample))}, 415, 41500, "image/svg+xml"},
		{"script as image", "uploadMaterial", "", []part{field("type", "image"), file("file", "x.gif", []byte("<script>alert(1)</script>"))}, 415, 41500, "text/"},
		{"html as logo", "uploadLogo", "", []part{file("logoFile", "logo.png", []byte(htmlSample))}, 415, 41500, "a logo must be png or jpg"},
		{"svg as logo", "uploadLogo", "", []part{file("logoFile", "logo.svg", []byte(svgSample))}, 415, 41500, "image/svg+xml"},
		{"mp3 as video", "uploadVideoMaterial", "", []part{field("title", "t"), file("file", "v.mp4", mp3Bytes(t))}, 415, 41500, "a video must be mp4"},
		{"thumb 70 KB", "uploadMaterial", "", []part{field("type", "thumb"), file("file", "t.jpg", padTo(jpg, 70<<10))}, 413, 41300, "a thumb may be at most 64 KB"},
		{"thumb 70 KB, type after the file", "uploadMaterial", "", []part{file("file", "t.jpg", padTo(jpg, 70<<10)), field("type", "thumb")}, 413, 41300, "a thumb may be at most 64 KB"},
		{"thumb 70 KB, type in the query", "uploadMaterial", "type=thumb", []part{file("file", "t.jpg", padTo(jpg, 70<<10))}, 413, 41300, "a thumb may be at most 64 KB"},
		{"thumb one byte over", "uploadMaterial", "", []part{field("type", "thumb"), file("file", "t.jpg", padTo(jpg, 64<<10+1))}, 413, 41300, "64 KB"},
		{"voice one byte over", "uploadMaterial", "", []part{field("type", "voice"), file("file", "v.mp3", padTo(mp3Bytes(t), 2<<20+1))}, 413, 41300, "a voice may be at most 2 MB"},
		{"voice one byte over, type after", "uploadMaterial", "", []part{file("file", "v.mp3", padTo(mp3Bytes(t), 2<<20+1)), field("type", "voice")}, 413, 41300, "a voice may be at most 2 MB"},
		{"image one byte over", "uploadMaterial", "", []part{field("type", "image"), file("file", "i.png", padTo(png, 10<<20+1))}, 413, 41300, "an image may be at most 10 MB"},
		{"image one byte over, type after", "uploadMaterial", "", []part{file("file", "i.png", padTo(png, 10<<20+1)), field("type", "image")}, 413, 41300, "10 MB"},
		{"video one byte over", "uploadVideoMaterial", "", []part{field("title", "t"), file("file", "v.mp4", padTo(mp4Bytes(t), 10<<20+1))}, 413, 41300, "a video may be at most 10 MB"},
		{"logo one byte over", "uploadLogo", "", []part{file("logoFile", "l.png", padTo(png, 2<<20+1))}, 413, 41300, "a logo may be at most 2 MB"},
		{"missing type", "uploadMaterial", "", []part{file("file", "a.png", png)}, 400, 40000, "type: is required"},
		{"unknown type", "uploadMaterial", "", []part{field("type", "news"), file("file", "a.png", png)}, 400, 40000, "type: must be image, voice, video or thumb"},
		{"logo is not a material type", "uploadMaterial", "", []part{field("type", "logo"), file("file", "a.png", png)}, 400, 40000, "type"},
		{"missing file", "uploadMaterial", "", []part{field("type", "image")}, 400, 40000, "file: is required"},
		{"empty file", "uploadMaterial", "", []part{field("type", "image"), file("file", "a.png", []byte{})}, 400, 40000, "file: is empty"},
		{"two files", "uploadMaterial", "", []part{field("type", "image"), file("file", "a.png", png), file("file", "b.png", png)}, 400, 40000, "one file"},
		{"file in another field", "uploadMaterial", "", []part{field("type", "image"), file("picture", "a.png", png)}, 400, 40000, `send the file as "file"`},
		{"video without title", "uploadVideoMaterial", "", []part{file("file", "v.mp4", mp4Bytes(t))}, 400, 40000, "title: is required"},
		{"video title too long", "uploadVideoMaterial", "", []part{field("title", strings.Repeat("长", 65)), file("file", "v.mp4", mp4Bytes(t))}, 400, 40000, "title: must be at most 64 characters"},
		{"logo missing", "uploadLogo", "", []part{field("x", "y")}, 400, 40000, "logoFile: is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := addMaterialCalls(e)
			a := e.upload(op, tc.endpoint, tc.query, tc.parts...)
			requireFail(t, a, tc.status, tc.errcode, tc.msg)
			require.Equal(t, before, addMaterialCalls(e), "WeChat saw the refused file")
		})
	}
	var n int64
	require.NoError(t, e.DB.Raw("SELECT count(*) FROM materials").Scan(&n).Error)
	require.Zero(t, n, "a refused file was kept")

	t.Run("not multipart", func(t *testing.T) {
		a := e.post(op, "uploadMaterial", map[string]any{"type": "image", "file": "iVBORw0KGgo="})
		requireFail(t, a, 400, 40000, "multipart/form-data")
	})
}

func TestAliases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.newOperator("carol")

	// logolFile as the file field, appid as a multipart field.
	a := e.upload(op, "uploadLogo", "", field("appid", op.appid), file("logolFile", "brand.png", pngBytes(t)))
	require.Equal(t, 0, a.errcode(), string(a.raw))
	require.Equal(t, LogoPath(op.appid), a.str("url"))

	// mediald as a multipart field of removeMaterial, and as a JSON field.
	for _, asJSON := range []bool{false, true} {
		up := e.upload(op, "uploadMaterial", "appid="+op.appid, field("type", "image"), file("file", "x.png", pngBytes(t)))
		require.Equal(t, 0, up.errcode(), string(up.raw))
		mediaID := up.str("mediaId")
		var r *answer
		if asJSON {
			r = e.post(op, "removeMaterial", map[string]any{"mediald": mediaID})
		} else {
			r = e.upload(op, "removeMaterial", "", field("mediald", mediaID))
		}
		require.Equal(t, 0, r.errcode(), string(r.raw))
		require.Equal(t, mediaID, r.str("mediaId"))
		require.Equal(t, true, r.body["removedAtWeChat"])
		require.Equal(t, true, r.body["removedLocal"])
		_, ok := e.wxMaterial(op.appid, mediaID)
		require.False(t, ok, "WeChat still has the material")
		requireFail(t, e.get(op, up.str("localUrl")), 404, 40400, "")
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.newOperator("dave")
	up := e.upload(op, "uploadMaterial", "", field("type", "voice"), file("file", "v.mp3", mp3Bytes(t)))
	require.Equal(t, 0, up.errcode(), string(up.raw))
	mediaID := up.str("mediaId")

	t.Run("missing", func(t *testing.T) {
		requireFail(t, e.post(op, "removeMaterial", map[string]any{}), 400, 40000, "mediaId: is required")
	})
	t.Run("unknown at WeChat and here", func(t *testing.T) {
		a := e.post(op, "removeMaterial", map[string]any{"mediaId": "nope"})
		requireFail(t, a, 502, 50200, "")
		require.EqualValues(t, 40007, a.num("wxErrcode"))
	})
	t.Run("referenced by a reply or the menu", func(t *testing.T) {
		e.Emu.SetFault("/cgi-bin/material/del_material", wxemu.Fault{Errcode: 48005, Times: 1})
		a := e.post(op, "removeMaterial", map[string]any{"mediaId": mediaID})
		requireFail(t, a, 502, 50200, "used by an automatic reply or the custom menu")
		require.EqualValues(t, 48005, a.num("wxErrcode"))
		require.NotEmpty(t, a.str("wxErrmsg"))
		// The copy is kept: the material still exists.
		require.Equal(t, http.StatusOK, e.get(op, up.str("localUrl")).status)
	})
	t.Run("already deleted at WeChat", func(t *testing.T) {
		require.NoError(t, e.WX.DeleteMaterial(context.Background(), op.appid, mediaID))
		a := e.post(op, "removeMaterial", map[string]any{"mediaId": mediaID})
		require.Equal(t, 0, a.errcode(), string(a.raw))
		require.Equal(t, false, a.body["removedAtWeChat"])
		require.Equal(t, true, a.body["removedLocal"])
		require.Contains(t, a.str("msg"), "no longer had")
		requireFail(t, e.get(op, up.str("localUrl")), 404, 40400, "")
	})
}

func TestWeChatErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.newOperator("erin")

	e.Emu.SetFault("/cgi-bin/material/add_material", wxemu.Fault{Errcode: 45009, Times: 1})
	a := e.upload(op, "uploadMaterial", "", field("type", "image"), file("file", "a.png", pngBytes(t)))
	requireFail(t, a, 502, 50200, "daily quota")
	require.EqualValues(t, 45009, a.num("wxErrcode"))
	var n int64
	require.NoError(t, e.DB.Raw("SELECT count(*) FROM materials").Scan(&n).Error)
	require.Zero(t, n, "a file WeChat refused was kept")

	e.Emu.SetFault("/cgi-bin/material/get_materialcount", wxemu.Fault{Errcode: 48001, Times: 1})
	a = e.post(op, "getMaterialCount", nil)
	requireFail(t, a, 502, 50200, "")
	require.EqualValues(t, 48001, a.num("wxErrcode"))

	e.Emu.SetFault("/cgi-bin/material/batchget_material", wxemu.Fault{Errcode: -1})
	a = e.post(op, "getMaterialByType", map[string]any{"type": "image"})
	requireFail(t, a, 502, 50200, "busy")
	require.EqualValues(t, -1, a.num("wxErrcode"))
	e.Emu.ClearFaults()
}

func TestCountAndList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.newOperator("frank")
	var imageIDs []string
	for i := 0; i < 3; i++ {
		a := e.upload(op, "uploadMaterial", "", field("type", "image"), file("file", fmt.Sprintf("pic%d.png", i), pngBytes(t)))
		require.Equal(t, 0, a.errcode(), string(a.raw))
		imageIDs = append(imageIDs, a.str("mediaId"))
	}
	a := e.upload(op, "uploadMaterial", "", field("type", "voice"), file("file", "v.amr", amrBytes(t)))
	require.Equal(t, 0, a.errcode(), string(a.raw))
	a = e.upload(op, "uploadVideoMaterial", "", field("title", "t"), file("file", "v.mp4", mp4Bytes(t)))
	require.Equal(t, 0, a.errcode(), string(a.raw))
	// One image that reached WeChat some other way: listed without a local copy.
	other, err := e.WX.AddMaterial(context.Background(), op.appid, "image",
		wxclient.File{Filename: "elsewhere.jpg", ContentType: "image/jpeg", Body: bytes.NewReader(jpegBytes(t))}, nil)
	require.NoError(t, err)

	c := e.post(op, "getMaterialCount", nil)
	require.Equal(t, 0, c.errcode(), string(c.raw))
	require.EqualValues(t, 4, c.num("image_count"))
	require.EqualValues(t, 1, c.num("voice_count"))
	require.EqualValues(t, 1, c.num("video_count"))
	require.EqualValues(t, 0, c.num("news_count"))
	require.Equal(t, http.StatusOK, e.get(op, "/apis/materials/getMaterialCount").status, "read-only endpoints answer GET")

	l := e.post(op, "getMaterialByType", map[string]any{"type": "image", "offset": 0, "count": 3})
	require.Equal(t, 0, l.errcode(), string(l.raw))
	require.EqualValues(t, 4, l.num("total_count"))
	require.EqualValues(t, 3, l.num("item_count"))
	items := l.body["item"].([]any)
	require.Len(t, items, 3)
	first := items[0].(map[string]any)
	require.Equal(t, other.MediaID, first["media_id"], "newest first")
	require.Nil(t, first["localId"], "no local copy of a material uploaded elsewhere")
	second := items[1].(map[string]any)
	require.Equal(t, imageIDs[2], second["media_id"])
	require.Equal(t, "pic2.png", second["name"])
	require.NotNil(t, second["update_time"])
	require.NotEmpty(t, second["url"])
	require.NotZero(t, second["localId"])
	require.Equal(t, "pic2.png", second["localName"])
	require.Equal(t, "image/png", second["contentType"])
	requireServed(t, e, op, second["localUrl"].(string), pngBytes(t), "image/png", "pic2.png")

	// Form fields, the spec's way.
	l = e.upload(op, "getMaterialByType", "", field("type", "image"), field("offset", "3"), field("count", "20"))
	require.Equal(t, 0, l.errcode(), string(l.raw))
	require.EqualValues(t, 1, l.num("item_count"))

	requireFail(t, e.post(op, "getMaterialByType", map[string]any{"type": "image", "count": 21}), 400, 40000, "count: must be between 1 and 20")
	requireFail(t, e.post(op, "getMaterialByType", map[string]any{"type": "image", "offset": -1}), 400, 40000, "offset")
	requireFail(t, e.post(op, "getMaterialByType", map[string]any{}), 400, 40000, "type: is required")
	requireFail(t, e.post(op, "getMaterialByType", map[string]any{"type": "thumb"}), 400, 40000, "type: must be image, voice, video or news")

	// The local list needs no WeChat.
	loc := e.post(op, "listLocalMaterials", map[string]any{"limit": 2})
	require.Equal(t, 0, loc.errcode(), string(loc.raw))
	require.EqualValues(t, 5, loc.num("total"))
	ms := loc.body["materials"].([]any)
	require.Len(t, ms, 2)
	require.Equal(t, "video", ms[0].(map[string]any)["type"])
	require.Equal(t, "t", ms[0].(map[string]any)["title"])
	loc = e.post(op, "listLocalMaterials", map[string]any{"type": "image", "offset": 1})
	require.EqualValues(t, 3, loc.num("total"))
	require.Len(t, loc.body["materials"].([]any), 2)
	requireFail(t, e.post(op, "listLocalMaterials", map[string]any{"type": "news"}), 400, 40000, "type")
}

func TestLogo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.newOperator("grace")
	requireFail(t, e.get(nil, LogoPath(op.appid)), 404, 40400, "no logo")

	png := pngBytes(t)
	a := e.upload(op, "uploadLogo", "", file("logoFile", "品牌.png", png))
	require.Equal(t, 0, a.errcode(), string(a.raw))
	require.Equal(t, LogoPath(op.appid), a.str("url"))
	require.Empty(t, a.str("mediaId"))
	require.Zero(t, addMaterialCalls(e), "a logo is not sent to WeChat")
	requireServed(t, e, nil, LogoPath(op.appid), png, "image/png", "品牌.png")
	requireServed(t, e, op, "/apis/materials/logo", png, "image/png", "品牌.png")
	requireServed(t, e, op, a.str("localUrl"), png, "image/png", "品牌.png")

	// A new logo replaces the old one at the same URL.
	jpg := jpegBytes(t)
	b := e.upload(op, "uploadLogo", "", file("file", "new.jpeg", jpg))
	require.Equal(t, 0, b.errcode(), string(b.raw))
	requireServed(t, e, nil, LogoPath(op.appid), jpg, "image/jpeg", "new.jpeg")
	require.Equal(t, a.str("localUrl"), b.str("localUrl"), "the logo is replaced, not added")
	requireServed(t, e, op, b.str("localUrl"), jpg, "image/jpeg", "new.jpeg")
	loc := e.post(op, "listLocalMaterials", map[string]any{"type": "logo"})
	require.EqualValues(t, 1, loc.num("total"))

	requireFail(t, e.upload(op, "uploadLogo", "", file("logoFile", "l.gif", gifBytes(t))), 415, 41500, "png or jpg")
	atLimit := padTo(pngBytes(t), 2<<20)
	require.Equal(t, 0, e.upload(op, "uploadLogo", "", file("logoFile", "big.png", atLimit)).errcode())
	requireServed(t, e, nil, LogoPath(op.appid), atLimit, "image/png", "big.png")
	requireFail(t, e.get(nil, LogoPath("wx0000000000000000")), 404, 40400, "")
}

func TestFileServing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	op := e.newOperator("heidi")
	data := padTo(mp4Bytes(t), 100000)
	a := e.upload(op, "uploadVideoMaterial", "", field("title", "t"), file("file", `../evil"name.mp4`, data))
	require.Equal(t, 0, a.errcode(), string(a.raw))
	path := a.str("localUrl")
	requireServed(t, e, op, path, data, "video/mp4", `evil_name.mp4`)

	// Players seek with ranges; caches revalidate with the ETag.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+op.token)
	req.Header.Set("Range", "bytes=100-199")
	r := e.do(req)
	require.Equal(t, http.StatusPartialContent, r.status)
	require.Equal(t, data[100:200], r.raw)

	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+op.token)
	req.Header.Set("If-None-Match", r.header.Get("ETag"))
	require.Equal(t, http.StatusNotModified, e.do(req).status)

	requireFail(t, e.get(op, "/apis/materials/file/999999"), 404, 40400, "")
	requireFail(t, e.get(op, "/apis/materials/file/abc"), 404, 40400, "")
	requireFail(t, e.get(nil, path), 401, 40100, "")
}

func TestOtherOperator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.newOperator("ivan")
	other := e.newOperator("judy")
	a := e.upload(owner, "uploadMaterial", "", field("type", "image"), file("file", "a.png", pngBytes(t)))
	require.Equal(t, 0, a.errcode(), string(a.raw))
	mediaID := a.str("mediaId")
	require.Equal(t, 0, e.upload(owner, "uploadLogo", "", file("logoFile", "l.png", pngBytes(t))).errcode())

	requireFail(t, e.get(other, a.str("localUrl")), 404, 40400, "")
	requireFail(t, e.get(other, "/apis/materials/logo?appid="+owner.appid), 403, 40300, "")
	before := addMaterialCalls(e)
	requireFail(t, e.upload(other, "uploadMaterial", "appid="+owner.appid, field("type", "image"), file("file", "a.png", pngBytes(t))), 403, 40300, "")
	requireFail(t, e.upload(other, "uploadMaterial", "", field("appid", owner.appid), field("type", "image"), file("file", "a.png", pngBytes(t))), 403, 40300, "")
	require.Equal(t, before, addMaterialCalls(e))
	requireFail(t, e.post(other, "removeMaterial", map[string]any{"appid": owner.appid, "mediaId": mediaID}), 403, 40300, "")
	requireFail(t, e.post(other, "listLocalMaterials", map[string]any{"appid": owner.appid}), 403, 40300, "")
	requireFail(t, e.post(other, "getMaterialByType", map[string]any{"appid": owner.appid, "type": "image"}), 403, 40300, "")
	requireFail(t, e.post(other, "getMaterialCount", map[string]any{"appid": owner.appid}), 403, 40300, "")

	// Their own account does not hold the owner's media_id, and the owner's copy stays.
	r := e.post(other, "removeMaterial", map[string]any{"mediaId": mediaID})
	requireFail(t, r, 502, 50200, "")
	require.EqualValues(t, 40007, r.num("wxErrcode"))
	require.Equal(t, http.StatusOK, e.get(owner, a.str("localUrl")).status)
	loc := e.post(other, "listLocalMaterials", nil)
	require.EqualValues(t, 0, loc.num("total"))
}

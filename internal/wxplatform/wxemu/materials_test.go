package wxemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
	jpgBytes = append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte{2}, 100)...)
	mp3Bytes = append([]byte("ID3\x04"), bytes.Repeat([]byte{3}, 100)...)
	mp4Bytes = append([]byte("\x00\x00\x00\x18ftypmp42"), bytes.Repeat([]byte{4}, 100)...)
)

// upload posts a file to add_material (or uploadimg when typ is "").
func (v *env) upload(typ, filename string, data []byte, fields map[string]string) map[string]any {
	v.t.Helper()
	ct, body := multipartBody(v.t, filename, data, fields)
	path, q := "/cgi-bin/material/add_material", v.q("type", typ)
	if typ == "" {
		path, q = "/cgi-bin/media/uploadimg", v.q()
	}
	status, b := v.do(http.MethodPost, path, q, ct, body)
	require.Equal(v.t, http.StatusOK, status)
	return decode(v.t, b)
}

func TestAddMaterial(t *testing.T) {
	v := newEnv(t, Options{})
	app := v.demo.AppID

	img := v.upload("image", "logo.png", pngBytes, nil)
	require.Len(t, img, 2)
	require.Len(t, img["media_id"], 43)
	require.Regexp(t, `^http://mmbiz\.qpic\.cn/.+wx_fmt=png$`, img["url"])

	voice := v.upload("voice", "hello.mp3", mp3Bytes, nil)
	require.Len(t, voice, 1)
	thumb := v.upload("thumb", "t.jpg", jpgBytes, nil)
	require.Contains(t, thumb, "media_id")
	video := v.upload("video", "clip.mp4", mp4Bytes, map[string]string{"description": `{"title":"标题","introduction":"简介"}`})
	require.Contains(t, video, "media_id")

	ms := v.emu.Materials(app)
	require.Len(t, ms, 4)
	require.Equal(t, Material{MediaID: img["media_id"].(string), Type: "image", Name: "logo.png", Bytes: pngBytes,
		URL: img["url"].(string), UpdateTime: v.clock.Now().Unix()}, ms[0])
	require.Equal(t, "标题", ms[3].Title)
	require.Equal(t, "简介", ms[3].Introduction)

	count := v.get("/cgi-bin/material/get_materialcount", v.q())
	require.Equal(t, map[string]any{"voice_count": json.Number("1"), "video_count": json.Number("1"),
		"image_count": json.Number("2"), "news_count": json.Number("0")}, count)

	list := v.post("/cgi-bin/material/batchget_material", v.q(), map[string]any{"type": "image", "offset": 0, "count": 20})
	require.Equal(t, json.Number("2"), list["total_count"])
	require.Equal(t, json.Number("2"), list["item_count"])
	items := list["item"].([]any)
	require.Equal(t, thumb["media_id"], items[0].(map[string]any)["media_id"], "newest first")
	require.Equal(t, map[string]any{"media_id": img["media_id"], "name": "logo.png",
		"update_time": json.Number(itoa(int(v.clock.Now().Unix()))), "url": img["url"]}, items[1])
	page := v.post("/cgi-bin/material/batchget_material", v.q(), map[string]any{"type": "image", "offset": 1, "count": 1})
	require.Equal(t, json.Number("1"), page["item_count"])
	news := v.post("/cgi-bin/material/batchget_material", v.q(), map[string]any{"type": "news", "offset": 0, "count": 5})
	require.Equal(t, map[string]any{"total_count": json.Number("0"), "item_count": json.Number("0"), "item": []any{}}, news)

	// get_material: bytes, or the video's JSON.
	status, b := v.do(http.MethodPost, "/cgi-bin/material/get_material", v.q(), "application/json", []byte(`{"media_id":"`+voice["media_id"].(string)+`"}`))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, mp3Bytes, b)
	vj := v.post("/cgi-bin/material/get_material", v.q(), map[string]string{"media_id": video["media_id"].(string)})
	require.Equal(t, "标题", vj["title"])
	require.Equal(t, "简介", vj["description"])
	require.Contains(t, vj, "down_url")

	requireOK(t, v.post("/cgi-bin/material/del_material", v.q(), map[string]string{"media_id": voice["media_id"].(string)}))
	require.Len(t, v.emu.Materials(app), 3)
	requireErrcode(t, v.post("/cgi-bin/material/del_material", v.q(), map[string]string{"media_id": voice["media_id"].(string)}), 40007)
	requireErrcode(t, v.post("/cgi-bin/material/del_material", v.q(), map[string]string{}), 41006)
	requireErrcode(t, v.post("/cgi-bin/material/get_material", v.q(), map[string]string{"media_id": "nope"}), 40007)
}

func TestAddMaterialErrors(t *testing.T) {
	v := newEnv(t, Options{})
	big := func(head []byte, n int) []byte { return append(bytes.Clone(head), make([]byte, n-len(head))...) }
	cases := []struct {
		name, typ, file string
		data            []byte
		fields          map[string]string
		code            int
	}{
		{"unknown type", "news", "a.png", pngBytes, nil, 40004},
		{"no type", "", "a.png", pngBytes, nil, 40004},
		{"no file", "image", "", nil, nil, 41005},
		{"empty file", "image", "a.png", []byte{}, nil, 44001},
		{"image over 10 MB", "image", "a.png", big(pngBytes, 10<<20+1), nil, 40009},
		{"voice over 2 MB", "voice", "a.mp3", big(mp3Bytes, 2<<20+1), nil, 40010},
		{"video over 10 MB", "video", "a.mp4", big(mp4Bytes, 10<<20+1), map[string]string{"description": `{"title":"t"}`}, 40011},
		{"thumb over 64 KB", "thumb", "a.jpg", big(jpgBytes, 64<<10+1), nil, 40012},
		{"extension not of the type", "image", "a.txt", pngBytes, nil, 40005},
		{"content not of the extension", "image", "a.png", jpgBytes, nil, 40005},
		{"thumb must be jpg", "thumb", "a.png", pngBytes, nil, 40005},
		{"video without description", "video", "a.mp4", mp4Bytes, nil, 47001},
		{"video without title", "video", "a.mp4", mp4Bytes, map[string]string{"description": `{"introduction":"x"}`}, 47001},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m map[string]any
			if c.typ == "" {
				ct, body := multipartBody(t, c.file, c.data, c.fields)
				status, b := v.do(http.MethodPost, "/cgi-bin/material/add_material", v.q(), ct, body)
				require.Equal(t, http.StatusOK, status)
				m = decode(t, b)
			} else {
				m = v.upload(c.typ, c.file, c.data, c.fields)
			}
			requireErrcode(t, m, c.code)
		})
	}
	require.Empty(t, v.emu.Materials(v.demo.AppID))

	badList := func(body map[string]any, code int) {
		t.Helper()
		requireErrcode(t, v.post("/cgi-bin/material/batchget_material", v.q(), body), code)
	}
	badList(map[string]any{"type": "image", "offset": 0, "count": 21}, 40035)
	badList(map[string]any{"type": "image", "offset": 0, "count": 0}, 40035)
	badList(map[string]any{"type": "image", "offset": -1, "count": 1}, 40035)
	badList(map[string]any{"type": "thumb", "offset": 0, "count": 1}, 40004)
}

func TestUploadImg(t *testing.T) {
	v := newEnv(t, Options{})
	m := v.upload("", "in-article.jpg", jpgBytes, nil)
	require.Len(t, m, 1)
	require.Regexp(t, `^http://mmbiz\.qpic\.cn/`, m["url"])
	imgs := v.emu.UploadedImages(v.demo.AppID)
	require.Len(t, imgs, 1)
	require.Equal(t, jpgBytes, imgs[0].Bytes)
	require.Empty(t, v.emu.Materials(v.demo.AppID), "uploadimg pictures are not materials")

	requireErrcode(t, v.upload("", "a.gif", append([]byte("GIF89a"), 0), nil), 40005)
	requireErrcode(t, v.upload("", "a.png", append(bytes.Clone(pngBytes), make([]byte, 1<<20)...), nil), 40009)
}

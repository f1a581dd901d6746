package wxemu

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
)

// Material is a permanent material kept by add_material (or a picture kept by media/uploadimg).
type Material struct {
	MediaID      string // empty for media/uploadimg pictures
	Type         string // image | voice | video | thumb (uploadimg pictures: "image")
	Name         string // the uploaded file name
	Bytes        []byte
	Title        string // video only, from the description field
	Introduction string // video only
	URL          string // image and uploadimg only: an mmbiz.qpic.cn address, as WeChat answers
	UpdateTime   int64
}

type material struct{ Material }

// WeChat's current limits on permanent materials; the library totals (100,000 images, 1,000 of the
// other kinds) are not enforced.
var materialRules = map[string]struct {
	limit int64
	code  int // size error
	exts  []string
}{
	"image": {10 << 20, codeInvalidImageSize, []string{"bmp", "png", "jpeg", "jpg", "gif"}},
	"voice": {2 << 20, codeInvalidVoiceSize, []string{"mp3", "wma", "wav", "amr"}},
	"video": {10 << 20, codeInvalidVideoSize, []string{"mp4"}},
	"thumb": {64 << 10, codeInvalidThumbSize, []string{"jpg", "jpeg"}},
}

// sniff names the format of b from its first bytes: the check WeChat makes beside the file name's
// extension. The answer is an extension ("jpg" for JPEG) or "".
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "jpg"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "gif"
	case bytes.HasPrefix(b, []byte("BM")):
		return "bmp"
	case bytes.HasPrefix(b, []byte("#!AMR")):
		return "amr"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE":
		return "wav"
	case bytes.HasPrefix(b, []byte("ID3")), len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0:
		return "mp3"
	case bytes.HasPrefix(b, []byte{0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11}):
		return "wma"
	case len(b) >= 8 && string(b[4:8]) == "ftyp":
		return "mp4"
	}
	return ""
}

// fileOK reports whether a file named name holding b is one of exts, by extension and content alike.
func fileOK(name string, b []byte, exts []string) bool {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
	if !slices.Contains(exts, ext) {
		return false
	}
	if ext == "jpeg" {
		ext = "jpg"
	}
	return sniff(b) == ext
}

// upload is what a multipart upload carried: the "media" file (read up to its limit and one byte
// more, so an oversized file is known without buffering all of it) and the other fields.
type upload struct {
	name   string
	data   []byte
	fields map[string]string
}

// readUpload reads a multipart upload: no "media" file is 41005, an empty one 44001 (WeChat's "empty
// media data"). The caller compares len(data) with limit.
func readUpload(r *http.Request, limit int64) (*upload, *apiError) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, wxErr(codeMissingMedia)
	}
	u := &upload{fields: map[string]string{}}
	found := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, wxErr(codeMissingMedia)
		}
		switch {
		case p.FormName() == "media" && p.FileName() != "" && !found:
			found = true
			u.name = p.FileName()
			u.data, err = io.ReadAll(io.LimitReader(p, limit+1))
		case p.FileName() == "":
			var b []byte
			b, err = io.ReadAll(io.LimitReader(p, 64<<10))
			u.fields[p.FormName()] = string(b)
		}
		if err != nil {
			return nil, wxErr(codeMissingMedia)
		}
	}
	if !found {
		return nil, wxErr(codeMissingMedia)
	}
	if len(u.data) == 0 {
		return nil, wxErr(codeEmptyMedia)
	}
	return u, nil
}

func mmbizURL(ext string) string {
	if ext == "jpg" {
		ext = "jpeg"
	}
	return "http://mmbiz.qpic.cn/sz_mmbiz_" + ext + "/" + randString(alnum, 64) + "/0?wx_fmt=" + ext
}

// handleAddMaterial serves POST /cgi-bin/material/add_material?type=image|voice|video|thumb, multipart
// field "media" (and "description" {"title","introduction"} for video) → {"media_id","url"} (url for
// images only). Checks: unknown type 40004; no file 41005; over the type's limit 40009/40010/40011/40012;
// extension or content not of the type 40005; a video without a description with a title 47001.
func (e *Emulator) handleAddMaterial(w http.ResponseWriter, r *http.Request, appid string) {
	typ := r.URL.Query().Get("type")
	rule, ok := materialRules[typ]
	if !ok {
		writeJSON(w, wxErr(codeInvalidMediaType))
		return
	}
	up, ae := readUpload(r, rule.limit)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	name, data := up.name, up.data
	if int64(len(data)) > rule.limit {
		writeJSON(w, wxErr(rule.code))
		return
	}
	if !fileOK(name, data, rule.exts) {
		writeJSON(w, wxErr(codeInvalidFileType))
		return
	}
	m := &material{Material{Type: typ, Name: name, Bytes: data}}
	if typ == "video" {
		var desc struct {
			Title        string `json:"title"`
			Introduction string `json:"introduction"`
		}
		if err := json.Unmarshal([]byte(up.fields["description"]), &desc); err != nil || desc.Title == "" {
			writeJSON(w, wxErr(codeDataFormat, "description"))
			return
		}
		m.Title, m.Introduction = desc.Title, desc.Introduction
	}
	if typ == "image" {
		m.URL = mmbizURL(sniff(data))
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	m.MediaID = randString(openidChars, 43)
	m.UpdateTime = e.now().Unix()
	acc.materials = append(acc.materials, m)
	if typ == "image" {
		writeJSON(w, struct {
			MediaID string `json:"media_id"`
			URL     string `json:"url"`
		}{m.MediaID, m.URL})
		return
	}
	writeJSON(w, struct {
		MediaID string `json:"media_id"`
	}{m.MediaID})
}

// handleUploadImg serves POST /cgi-bin/media/uploadimg (multipart "media", jpg/png under 1 MB) →
// {"url":"http://mmbiz.qpic.cn/..."}. These pictures are not permanent materials.
func (e *Emulator) handleUploadImg(w http.ResponseWriter, r *http.Request, appid string) {
	up, ae := readUpload(r, 1<<20)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	name, data := up.name, up.data
	if len(data) >= 1<<20 {
		writeJSON(w, wxErr(codeInvalidImageSize))
		return
	}
	if !fileOK(name, data, []string{"jpg", "jpeg", "png"}) {
		writeJSON(w, wxErr(codeInvalidFileType))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	img := Material{Type: "image", Name: name, Bytes: data, URL: mmbizURL(sniff(data)), UpdateTime: e.now().Unix()}
	acc.images = append(acc.images, img)
	writeJSON(w, struct {
		URL string `json:"url"`
	}{img.URL})
}

// findMaterial returns the permanent material with mediaID and its index, or nil and -1.
func (acc *account) findMaterial(mediaID string) (*material, int) {
	for i, m := range acc.materials {
		if m.MediaID == mediaID {
			return m, i
		}
	}
	return nil, -1
}

type mediaIDBody struct {
	MediaID string `json:"media_id"`
}

// handleGetMaterial serves POST /cgi-bin/material/get_material {"media_id"}: a video answers
// {"title","description","down_url"}, other kinds their bytes; unknown ids 40007.
func (e *Emulator) handleGetMaterial(w http.ResponseWriter, r *http.Request, appid string) {
	var req mediaIDBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	m, _ := e.account(appid).findMaterial(req.MediaID)
	var mc Material
	if m != nil {
		mc = m.Material
	}
	e.mu.Unlock()
	if m == nil {
		writeJSON(w, wxErr(codeInvalidMediaID))
		return
	}
	if mc.Type == "video" {
		writeJSON(w, struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			DownURL     string `json:"down_url"`
		}{mc.Title, mc.Introduction, "http://mpvideo.qpic.cn/" + mc.MediaID + ".mp4"})
		return
	}
	ct := mime.TypeByExtension(path.Ext(mc.Name))
	if ct == "" {
		ct = http.DetectContentType(mc.Bytes)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": mc.Name}))
	_, _ = w.Write(mc.Bytes)
}

// handleDelMaterial serves POST /cgi-bin/material/del_material {"media_id"}: unknown 40007, missing
// 41006, used by the menu 48005 (as WeChat refuses to delete what a menu or auto-reply uses).
func (e *Emulator) handleDelMaterial(w http.ResponseWriter, r *http.Request, appid string) {
	var req mediaIDBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	if req.MediaID == "" {
		writeJSON(w, wxErr(codeMissingMediaID))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	m, i := acc.findMaterial(req.MediaID)
	if m == nil {
		writeJSON(w, wxErr(codeInvalidMediaID))
		return
	}
	if acc.menuUses(req.MediaID) {
		writeJSON(w, wxErr(codeMaterialInUse))
		return
	}
	acc.materials = slices.Delete(acc.materials, i, i+1)
	writeJSON(w, okResp)
}

// handleMaterialCount serves GET /cgi-bin/material/get_materialcount. Thumbs count as images.
func (e *Emulator) handleMaterialCount(w http.ResponseWriter, r *http.Request, appid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var c struct {
		Voice int `json:"voice_count"`
		Video int `json:"video_count"`
		Image int `json:"image_count"`
		News  int `json:"news_count"`
	}
	for _, m := range e.account(appid).materials {
		switch m.Type {
		case "voice":
			c.Voice++
		case "video":
			c.Video++
		default:
			c.Image++
		}
	}
	writeJSON(w, c)
}

type materialItem struct {
	MediaID    string `json:"media_id"`
	Name       string `json:"name"`
	UpdateTime int64  `json:"update_time"`
	URL        string `json:"url"`
}

// handleBatchGetMaterial serves POST /cgi-bin/material/batchget_material {"type","offset","count"}:
// newest first; "image" lists thumbs too; "news" is always empty (the emulator keeps no articles).
// An unknown type is 40004; count outside 1..20 or a negative offset 40035 (WeChat names no code).
func (e *Emulator) handleBatchGetMaterial(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		Type   string `json:"type"`
		Offset int    `json:"offset"`
		Count  int    `json:"count"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	switch req.Type {
	case "image", "voice", "video", "news":
	default:
		writeJSON(w, wxErr(codeInvalidMediaType))
		return
	}
	if req.Count < 1 || req.Count > 20 || req.Offset < 0 {
		writeJSON(w, wxErr(codeInvalidArgs, "count"))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var all []*material
	ms := e.account(appid).materials
	for i := len(ms) - 1; i >= 0; i-- {
		t := ms[i].Type
		if t == req.Type || (req.Type == "image" && t == "thumb") {
			all = append(all, ms[i])
		}
	}
	items := []materialItem{}
	for i := req.Offset; i < len(all) && len(items) < req.Count; i++ {
		m := all[i]
		items = append(items, materialItem{MediaID: m.MediaID, Name: m.Name, UpdateTime: m.UpdateTime, URL: m.URL})
	}
	writeJSON(w, struct {
		TotalCount int            `json:"total_count"`
		ItemCount  int            `json:"item_count"`
		Item       []materialItem `json:"item"`
	}{len(all), len(items), items})
}

// Materials returns copies of the permanent materials of appid, oldest first.
func (e *Emulator) Materials(appid string) []Material {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc == nil {
		return nil
	}
	out := make([]Material, 0, len(acc.materials))
	for _, m := range acc.materials {
		c := m.Material
		c.Bytes = bytes.Clone(m.Bytes)
		out = append(out, c)
	}
	return out
}

// UploadedImages returns copies of the pictures media/uploadimg received for appid, oldest first.
func (e *Emulator) UploadedImages(appid string) []Material {
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc == nil {
		return nil
	}
	out := make([]Material, 0, len(acc.images))
	for _, m := range acc.images {
		m.Bytes = bytes.Clone(m.Bytes)
		out = append(out, m)
	}
	return out
}

package pages

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// materialsPerPage is the length of a page of the materials list.
const materialsPerPage = 12

// materialKinds are the tabs of the page, the kinds an upload may have.
var materialKinds = []materials.Kind{materials.Image, materials.Voice, materials.Video, materials.Thumb}

type materialsData struct {
	Kind      string
	Kinds     []materials.Kind
	Items     []materials.Material
	Pager     Pager
	Count     *wxclient.MaterialCount
	CountErr  string
	UploadURL string
	Back      string
}

func (p *Pages) materialsPage(c *gin.Context) {
	if !p.ready(c, p.deps.Materials != nil) {
		return
	}
	v := p.view(c, "materials", "materials.title")
	fieldFlashes(v)
	a := v.Account
	ctx := c.Request.Context()
	kind := materials.Kind(c.Query("type"))
	if !kindListed(kind) {
		kind = materials.Image
	}
	offset := queryInt(c, "offset", 0, 1_000_000)
	items, total, err := p.deps.Materials.ListLocal(ctx, a, kind, offset, materialsPerPage)
	if err != nil {
		p.fail(c, err)
		return
	}
	d := &materialsData{Kind: string(kind), Kinds: materialKinds, Items: items,
		Pager:     pagerFor(offset, materialsPerPage, total, url.Values{"type": {string(kind)}}),
		UploadURL: withAppID("/console/materials/upload", a),
		Back:      "/console/materials?type=" + string(kind)}
	if n, err := p.deps.Materials.Count(ctx, a); err == nil {
		d.Count = &n
	} else {
		d.CountErr = errText(c, err)
	}
	if v.Form["type"] == "" {
		v.Form["type"] = string(kind)
	}
	v.Data = d
	p.html(c, http.StatusOK, "materials", v)
}

func kindListed(k materials.Kind) bool {
	for _, m := range materialKinds {
		if m == k {
			return true
		}
	}
	return false
}

// materialUpload takes the upload form: type, file, and for a video title and desc. The page's script
// sends it with a progress bar and follows the redirect, so a failure too answers 303 back, with the
// errors carried to the next page by the session.
func (p *Pages) materialUpload(c *gin.Context) {
	if !p.ready(c, p.deps.Materials != nil) {
		return
	}
	a := accounts.Current(c)
	form, err := readUploadForm(c, "file", materials.MaxFileBytes)
	back := withAppID("/console/materials?type="+url.QueryEscape(form.Fields["type"]), a)
	if err == nil {
		var kind materials.Kind
		if kind, err = materials.ParseKind(form.Fields["type"]); err == nil {
			if form.Data == nil {
				err = apperr.Missing("file")
			} else {
				up := materials.Upload{Kind: kind, Filename: form.Filename, Data: form.Data,
					Title: form.Fields["title"], Description: form.Fields["desc"]}
				var m *materials.Material
				if m, err = p.deps.Materials.Upload(c.Request.Context(), a, httpapi.UserID(c), up); err == nil {
					p.done(c, back, "materials.uploaded", m.Name, m.MediaID)
					return
				}
			}
		}
	}
	p.flashFieldError(c, err, "file", map[string]string{"type": form.Fields["type"], "title": form.Fields["title"],
		"desc": form.Fields["desc"]})
	redirect(c, back)
}

func (p *Pages) materialDelete(c *gin.Context) {
	if !p.ready(c, p.deps.Materials != nil) {
		return
	}
	a := accounts.Current(c)
	back := backTo(c, withAppID("/console/materials", a))
	mediaID := strings.TrimSpace(c.PostForm("mediaId"))
	r, err := p.deps.Materials.Remove(c.Request.Context(), a, mediaID)
	if err != nil {
		p.failed(c, back, err)
		return
	}
	key := "materials.deleted"
	if !r.AtWeChat {
		key = "materials.deleted.local"
	}
	p.done(c, back, key)
}

// uploadForm is a multipart form with one file.
type uploadForm struct {
	Fields   map[string]string
	Filename string
	Data     []byte // nil: no file was chosen
}

// Bounds of an upload form besides its file.
const (
	uploadMargin   = 1 << 20  // multipart framing and the text fields
	uploadMaxField = 16 << 10 // one text field
	uploadMaxParts = 32
)

// readUploadForm reads a multipart form with the file in fileField, holding at most maxFile bytes of it:
// the body is bounded while it is read, never buffered whole first. (The services check each kind's own
// limit and format.) A form whose body was already parsed (an appid read from it) is read from there.
func readUploadForm(c *gin.Context, fileField string, maxFile int64) (uploadForm, error) {
	form := uploadForm{Fields: map[string]string{}}
	r := c.Request
	tooLarge := &apperr.Error{Kind: apperr.TooLarge, Field: fileField,
		Msg: fileField + ": the file is too large (at most " + itoa(int(maxFile>>20)) + " MB)"}
	if r.MultipartForm != nil {
		for k, vs := range r.MultipartForm.Value {
			if len(vs) > 0 {
				form.Fields[k] = vs[0]
			}
		}
		if fhs := r.MultipartForm.File[fileField]; len(fhs) > 0 && fhs[0].Size > 0 {
			if fhs[0].Size > maxFile {
				return form, tooLarge
			}
			f, err := fhs[0].Open()
			if err != nil {
				return form, err
			}
			defer f.Close()
			form.Filename = fhs[0].Filename
			form.Data, err = io.ReadAll(io.LimitReader(f, maxFile+1))
			return form, err
		}
		return form, nil
	}
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		return form, apperr.Invalidf(fileField, "the form must be sent as multipart/form-data")
	}
	if r.ContentLength > maxFile+uploadMargin {
		return form, tooLarge
	}
	mr := multipart.NewReader(http.MaxBytesReader(c.Writer, r.Body, maxFile+uploadMargin), params["boundary"])
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return form, tooLarge
		}
		if err != nil || parts >= uploadMaxParts {
			return form, apperr.Invalidf(fileField, "the form could not be read")
		}
		limit := int64(uploadMaxField)
		if part.FormName() == fileField {
			limit = maxFile
		}
		data, err := io.ReadAll(io.LimitReader(part, limit+1))
		if errors.As(err, &mbe) {
			return form, tooLarge
		}
		if err != nil {
			return form, apperr.Invalidf(fileField, "the form could not be read")
		}
		if part.FormName() != fileField {
			if int64(len(data)) > limit {
				return form, apperr.Invalidf(part.FormName(), "is too long")
			}
			if err := httpapi.CheckField(part.FormName(), string(data)); err != nil {
				return form, err
			}
			form.Fields[part.FormName()] = string(data)
			continue
		}
		if int64(len(data)) > maxFile {
			return form, tooLarge
		}
		if len(data) > 0 || part.FileName() != "" {
			form.Filename, form.Data = part.FileName(), data
		}
	}
	return form, nil
}

// flashFieldError carries a failed upload's error and values to the page the browser is sent back to:
// an error naming a field goes next to it, one about the file (too large, wrong type) next to the file.
func (p *Pages) flashFieldError(c *gin.Context, err error, fileField string, values map[string]string) {
	v := &View{Errors: map[string]string{}}
	formError(v, err)
	if v.Error != "" {
		switch apperr.KindOf(err) {
		case apperr.TooLarge, apperr.UnsupportedType, apperr.Invalid:
			v.Errors[fileField] = v.Error
		default:
			p.flash(c, "error", v.Error)
		}
	}
	for field, msg := range v.Errors {
		p.flash(c, "field:"+field, msg)
	}
	for k, val := range values {
		if val != "" {
			p.flash(c, "form:"+k, val)
		}
	}
}

// fieldFlashes moves the errors and values flashFieldError carried into the view.
func fieldFlashes(v *View) {
	kept := v.Flashes[:0]
	for _, f := range v.Flashes {
		switch {
		case strings.HasPrefix(f.Kind, "field:"):
			v.Errors[strings.TrimPrefix(f.Kind, "field:")] = f.Text
		case strings.HasPrefix(f.Kind, "form:"):
			v.Form[strings.TrimPrefix(f.Kind, "form:")] = f.Text
		default:
			kept = append(kept, f)
		}
	}
	v.Flashes = kept
}

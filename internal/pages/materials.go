package pages

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/upload"
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

// Bounds of an upload form besides its file.
const (
	uploadMargin    = 1 << 20   // multipart framing and the text fields
	uploadMaxField  = 16 << 10  // one text field
	uploadMaxFields = 256 << 10 // all of them
	uploadMaxParts  = 32
)

// readUploadForm reads a multipart form with the file in fileField, holding at most maxFile bytes of it,
// with the one bounded reader the API uses too (package upload). The services check each kind's own limit
// and format.
func readUploadForm(c *gin.Context, fileField string, maxFile int64) (*upload.Form, error) {
	f, err := upload.Read(c.Writer, c.Request, upload.Spec{MaxBody: maxFile + uploadMargin,
		MaxField: uploadMaxField, MaxFields: uploadMaxFields, MaxParts: uploadMaxParts,
		FileFields: []string{fileField}, CheckField: httpapi.CheckField,
		FileLimit: func(map[string]string) (int64, error) { return maxFile, nil }}, nil)
	if err == nil {
		return f, nil
	}
	empty := &upload.Form{Fields: map[string]string{}}
	var fe *upload.FieldError
	var big *upload.FileTooLargeError
	switch {
	case errors.Is(err, upload.ErrNotMultipart):
		return empty, apperr.Invalidf(fileField, "the form must be sent as multipart/form-data").WithKey("error.multipart", fileField)
	case errors.Is(err, upload.ErrBodyTooLarge), errors.As(err, &big):
		return empty, &apperr.Error{Kind: apperr.TooLarge, Field: fileField,
			Msg: fileField + ": the file is too large (at most " + itoa(int(maxFile>>20)) + " MB)", Key: "error.file_too_large", Args: []any{fileField, int(maxFile >> 20)}}
	case errors.As(err, &fe) && !fe.NotFile:
		return empty, apperr.Invalidf(fe.Name, "is too long").WithKey("err.field.too_long", fe.Name)
	case apperr.KindOf(err) != apperr.Internal:
		return empty, err // a field's own check (httpapi.CheckField)
	}
	return empty, apperr.Invalidf(fileField, "the form could not be read").WithKey("error.form", fileField)
}

// flashFieldError carries a failed upload's error and values to the page the browser is sent back to:
// an error naming a field goes next to it, one about the file (too large, wrong type) next to the file.
func (p *Pages) flashFieldError(c *gin.Context, err error, fileField string, values map[string]string) {
	v := &View{Errors: map[string]string{}, Lang: pickLang(c.Request)}
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

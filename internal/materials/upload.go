package materials

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// Bounds of an upload request besides its file.
const (
	// bodyMargin is what a request may carry besides the file: multipart framing and the text fields.
	bodyMargin = 1 << 20
	// maxFieldBytes bounds one text field (a title, a type, an appid); maxFieldsBytes all of them.
	maxFieldBytes  = 16 << 10
	maxFieldsBytes = 256 << 10
	// maxParts bounds the number of parts: a form has a handful.
	maxParts = 32
)

// fileAliases are the spec's typos of file field names (contract §2); text fields are renamed by
// httpapi.NewBody.
var fileAliases = map[string]string{"logolFile": "logoFile"}

// uploadSpec says how one endpoint reads its multipart stream.
type uploadSpec struct {
	// fileFields are the names of the file part; the first one is the name errors use.
	fileFields []string
	// maxFile is the largest file the endpoint accepts, whatever the kind: the bound while the kind is
	// not known yet.
	maxFile int64
	// kindOf answers the file's kind from the fields read so far, "" when it is not known yet (the type
	// field comes later in the stream); an invalid type fails at once.
	kindOf func(fields map[string]any) (Kind, error)
}

// uploadForm is an upload request read from its stream: its text fields (query underneath) and its file.
type uploadForm struct {
	body     *httpapi.Body
	filename string
	data     []byte // nil: no file part
}

// readUpload reads a multipart/form-data request once, in order, with every size bounded while reading:
// the whole body by http.MaxBytesReader at the endpoint's largest file plus bodyMargin, and the file part by
// the limit of its kind, or, when the type field comes after the file, by the endpoint's largest file (the
// service checks the kind's limit once the type is known).
//
// The file is held in memory, up to 10 MB, rather than spooled to disk: it is sniffed, sent to WeChat and
// written to Postgres from the same buffer, and a temporary file would only add a second copy. The
// handler bounds how many uploads are held at once.
func readUpload(w http.ResponseWriter, r *http.Request, spec uploadSpec) (*uploadForm, error) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		return nil, ErrNotMultipart
	}
	fields := map[string]any{}
	for k, vs := range r.URL.Query() {
		if k != "access_token" && len(vs) > 0 {
			fields[k] = vs[0]
		}
	}
	// A type in the query string is known before the body: the body is then bounded by that type's limit.
	maxBody := spec.maxFile + bodyMargin
	if kind, err := spec.kindOf(fields); err != nil {
		return nil, err
	} else if kind != "" {
		maxBody = kind.Limit() + bodyMargin
	}
	if r.ContentLength > maxBody {
		// Refused before a byte of the body is read.
		return nil, bodyTooLarge(spec, fields)
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, maxBody), params["boundary"])
	form := &uploadForm{}
	budget := int64(maxFieldsBytes)
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readError(err, spec, fields)
		}
		if parts >= maxParts {
			return nil, ErrTooManyFields
		}
		name := p.FormName()
		if right, ok := fileAliases[name]; ok {
			name = right
		}
		isFile := slices.Contains(spec.fileFields, name)
		if !isFile && p.FileName() != "" {
			return nil, apperr.Invalidf(name, "is not a file field: send the file as %q", spec.fileFields[0])
		}
		if !isFile {
			data, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return nil, readError(err, spec, fields)
			}
			if len(data) > maxFieldBytes {
				return nil, apperr.Invalidf(name, "is longer than %s", humanBytes(maxFieldBytes))
			}
			if budget -= int64(len(data)); budget < 0 {
				return nil, ErrTooManyFields
			}
			if err := httpapi.CheckField(name, string(data)); err != nil {
				return nil, err
			}
			if name != "" {
				fields[name] = string(data)
			}
			continue
		}
		if form.data != nil {
			return nil, ErrTooManyFiles
		}
		kind, err := spec.kindOf(fields)
		if err != nil {
			return nil, err
		}
		limit := spec.maxFile
		if kind != "" {
			limit = kind.Limit()
		}
		data, err := readFile(p, limit, r.ContentLength)
		if err != nil {
			return nil, readError(err, spec, fields)
		}
		if int64(len(data)) > limit {
			if kind != "" {
				return nil, tooLarge(kind, 0)
			}
			return nil, anyTooLarge(spec.maxFile)
		}
		if len(data) == 0 && p.FileName() == "" {
			// A browser's file input left empty: no file.
			continue
		}
		form.filename, form.data = p.FileName(), data
	}
	form.body = httpapi.NewBody(fields)
	return form, nil
}

// readFile reads a file part into memory, at most limit+1 bytes: one more than allowed tells "too large"
// without reading on. The buffer starts at the size the request announces and otherwise doubles, but
// never beyond limit+1, so a 10 MB file costs at most 18 MB while it is read (the last 8 MB buffer and the
// final one), not the 16 + 8 MB of an unbounded doubling.
func readFile(r io.Reader, limit, contentLength int64) ([]byte, error) {
	capacity := int64(64 << 10)
	if contentLength > capacity {
		capacity = contentLength
	}
	buf := make([]byte, 0, min(capacity, limit+1))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, nil
			}
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// readError maps a failure to read the stream: the body limit is 41300, anything else a broken request.
func readError(err error, spec uploadSpec, fields map[string]any) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return bodyTooLarge(spec, fields)
	}
	return apperr.Wrap(apperr.Invalid, "body: is not valid multipart/form-data, or ended early", err)
}

// bodyTooLarge answers a body over the endpoint's bound, naming the kind's limit when it is known.
func bodyTooLarge(spec uploadSpec, fields map[string]any) error {
	if kind, err := spec.kindOf(fields); err == nil && kind != "" {
		return tooLarge(kind, 0)
	}
	return anyTooLarge(spec.maxFile)
}

func anyTooLarge(max int64) error {
	return apperr.New(apperr.TooLarge, fmt.Sprintf("file too large: no file larger than %s is accepted here", humanBytes(max)))
}

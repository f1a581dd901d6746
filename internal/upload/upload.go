// Package upload is the one bounded reader of multipart/form-data requests, used by the materials API and
// by the pages' upload forms. It reads the stream once, in order, with every size bounded while reading:
// the whole body (http.MaxBytesReader, and a Content-Length over the bound refused before a byte is read),
// each text field, all text fields together, the number of parts, and the file by a bound that may depend
// on the fields read before it (a material's type). Nothing is buffered whole first.
//
// The file is held in memory rather than spooled to disk: the callers sniff it, send it to WeChat and write
// it to Postgres from the same buffer, and bound how many uploads are held at once.
//
// Failures are this package's errors; each caller words them for its audience (the API's contract, the
// pages' fields).
package upload

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
)

// Spec says how to read one endpoint's stream.
type Spec struct {
	// MaxBody bounds the whole body.
	MaxBody int64
	// MaxField bounds one text field; MaxFields all of them together.
	MaxField, MaxFields int64
	// MaxParts bounds the number of parts.
	MaxParts int
	// FileFields are the names the file part may have (after Aliases).
	FileFields []string
	// Aliases renames parts (the spec's typos of field names).
	Aliases map[string]string
	// FileLimit answers the bound of the file, given the text fields read before it; its error is answered
	// as is (an invalid type). Nil: MaxBody.
	FileLimit func(fields map[string]string) (int64, error)
	// CheckField, when set, checks each text field as it is read (httpapi.CheckField); its error is
	// answered as is.
	CheckField func(name, value string) error
}

// Form is what a request held.
type Form struct {
	// Fields are the text fields, over the seed the caller gave (the query).
	Fields   map[string]string
	Filename string
	Data     []byte // nil: no file part, or a browser's file input left empty
}

// Errors of reading. A caller maps them to its own words.
var (
	ErrNotMultipart   = errors.New("upload: the body is not multipart/form-data")
	ErrBodyTooLarge   = errors.New("upload: the body is larger than allowed")
	ErrTooManyParts   = errors.New("upload: too many parts")
	ErrFieldsTooLarge = errors.New("upload: the text fields are larger than allowed together")
	ErrTooManyFiles   = errors.New("upload: more than one file")
)

// FieldError is a text field over MaxField, or a file sent in a field that is not a file field.
type FieldError struct {
	Name    string
	NotFile bool // a file part under a text field's name
}

func (e *FieldError) Error() string {
	if e.NotFile {
		return "upload: " + e.Name + " is not a file field"
	}
	return "upload: " + e.Name + " is too long"
}

// FileTooLargeError is the file over the bound FileLimit gave.
type FileTooLargeError struct{ Limit int64 }

func (e *FileTooLargeError) Error() string { return "upload: the file is larger than allowed" }

// BrokenError is a stream that is not valid multipart or ended early.
type BrokenError struct{ Err error }

func (e *BrokenError) Error() string { return "upload: broken multipart body: " + e.Err.Error() }
func (e *BrokenError) Unwrap() error { return e.Err }

// Read reads r's multipart body as spec says; seed holds fields known before the body (the query), which
// the body's fields override. w is the response, for http.MaxBytesReader.
func Read(w http.ResponseWriter, r *http.Request, spec Spec, seed map[string]string) (*Form, error) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		return nil, ErrNotMultipart
	}
	if r.ContentLength > spec.MaxBody {
		return nil, ErrBodyTooLarge // refused before a byte of the body is read
	}
	form := &Form{Fields: map[string]string{}}
	for k, v := range seed {
		form.Fields[k] = v
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, spec.MaxBody), params["boundary"])
	budget := spec.MaxFields
	for parts := 0; ; parts++ {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readError(err)
		}
		if parts >= spec.MaxParts {
			return nil, ErrTooManyParts
		}
		name := p.FormName()
		if right, ok := spec.Aliases[name]; ok {
			name = right
		}
		if !slices.Contains(spec.FileFields, name) {
			if p.FileName() != "" {
				return nil, &FieldError{Name: name, NotFile: true}
			}
			data, err := io.ReadAll(io.LimitReader(p, spec.MaxField+1))
			if err != nil {
				return nil, readError(err)
			}
			if int64(len(data)) > spec.MaxField {
				return nil, &FieldError{Name: name}
			}
			if budget -= int64(len(data)); budget < 0 {
				return nil, ErrFieldsTooLarge
			}
			if spec.CheckField != nil {
				if err := spec.CheckField(name, string(data)); err != nil {
					return nil, err
				}
			}
			if name != "" {
				form.Fields[name] = string(data)
			}
			continue
		}
		if form.Data != nil {
			return nil, ErrTooManyFiles
		}
		limit := spec.MaxBody
		if spec.FileLimit != nil {
			if limit, err = spec.FileLimit(form.Fields); err != nil {
				return nil, err
			}
		}
		data, err := readFile(p, limit, r.ContentLength)
		if err != nil {
			return nil, readError(err)
		}
		if int64(len(data)) > limit {
			return nil, &FileTooLargeError{Limit: limit}
		}
		if len(data) == 0 && p.FileName() == "" {
			continue // a browser's file input left empty: no file
		}
		form.Filename, form.Data = p.FileName(), data
	}
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

// readError tells the body's bound from a broken stream.
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return ErrBodyTooLarge
	}
	return &BrokenError{Err: err}
}

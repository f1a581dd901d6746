package materials

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/upload"
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

// readUpload reads an upload request with the one bounded multipart reader (package upload): the whole
// body at the endpoint's largest file plus bodyMargin, or the limit of a type given in the query; the file
// part by the limit of its kind, or, when the type field comes after the file, by the endpoint's largest
// file (the service checks the kind's limit once the type is known).
func readUpload(w http.ResponseWriter, r *http.Request, spec uploadSpec) (*uploadForm, error) {
	query := map[string]string{}
	for k, vs := range r.URL.Query() {
		if k != "access_token" && len(vs) > 0 {
			query[k] = vs[0]
		}
	}
	// A type in the query string is known before the body: the body is then bounded by that type's limit.
	maxBody := spec.maxFile + bodyMargin
	if kind, err := spec.kindOf(anyMap(query)); err != nil {
		return nil, err
	} else if kind != "" {
		maxBody = kind.Limit() + bodyMargin
	}
	var fields map[string]string // what was read when a failure happened, to name the kind's limit
	f, err := upload.Read(w, r, upload.Spec{MaxBody: maxBody, MaxField: maxFieldBytes, MaxFields: maxFieldsBytes,
		MaxParts: maxParts, FileFields: spec.fileFields, Aliases: fileAliases, CheckField: httpapi.CheckField,
		FileLimit: func(read map[string]string) (int64, error) {
			fields = read
			kind, err := spec.kindOf(anyMap(read))
			if err != nil || kind == "" {
				return spec.maxFile, err
			}
			return kind.Limit(), nil
		}}, query)
	if err != nil {
		if fields == nil {
			fields = query
		}
		return nil, uploadError(err, spec, fields)
	}
	return &uploadForm{body: httpapi.NewBody(anyMap(f.Fields)), filename: f.Filename, data: f.Data}, nil
}

func anyMap(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// uploadError words a failure to read the stream as the API answers it.
func uploadError(err error, spec uploadSpec, fields map[string]string) error {
	var fe *upload.FieldError
	var big *upload.FileTooLargeError
	var broken *upload.BrokenError
	switch {
	case errors.Is(err, upload.ErrNotMultipart):
		return ErrNotMultipart
	case errors.Is(err, upload.ErrBodyTooLarge), errors.As(err, &big):
		return bodyTooLarge(spec, anyMap(fields))
	case errors.Is(err, upload.ErrTooManyParts), errors.Is(err, upload.ErrFieldsTooLarge):
		return ErrTooManyFields
	case errors.Is(err, upload.ErrTooManyFiles):
		return ErrTooManyFiles
	case errors.As(err, &fe) && fe.NotFile:
		return apperr.Invalidf(fe.Name, "is not a file field: send the file as %q", spec.fileFields[0]).WithKey("materials.err.not_file", fe.Name, spec.fileFields[0])
	case errors.As(err, &fe):
		return apperr.Invalidf(fe.Name, "is longer than %s", humanBytes(maxFieldBytes)).WithKey("err.field.longer_than", fe.Name, humanBytes(maxFieldBytes))
	case errors.As(err, &broken):
		return apperr.Wrap(apperr.Invalid, "body: is not valid multipart/form-data, or ended early", broken.Err).WithKey("materials.err.multipart")
	}
	return err // the kind's own error (an invalid type)
}

// bodyTooLarge answers a body over the endpoint's bound, naming the kind's limit when it is known.
func bodyTooLarge(spec uploadSpec, fields map[string]any) error {
	if kind, err := spec.kindOf(fields); err == nil && kind != "" {
		return tooLarge(kind, 0)
	}
	return anyTooLarge(spec.maxFile)
}

func anyTooLarge(max int64) error {
	return apperr.New(apperr.TooLarge, fmt.Sprintf("file too large: no file larger than %s is accepted here", humanBytes(max))).WithKey("materials.err.too_large_any", humanBytes(max))
}

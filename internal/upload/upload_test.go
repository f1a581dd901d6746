package upload

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type part struct{ name, filename, data string }

func request(t *testing.T, parts ...part) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w interface{ Write([]byte) (int, error) }
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		require.NoError(t, err)
		_, err = w.Write([]byte(p.data))
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	r := httptest.NewRequest(http.MethodPost, "/", &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

var spec = Spec{MaxBody: 4096, MaxField: 16, MaxFields: 40, MaxParts: 4, FileFields: []string{"file", "media"},
	Aliases: map[string]string{"logolFile": "file"},
	FileLimit: func(f map[string]string) (int64, error) {
		if f["type"] == "small" {
			return 4, nil
		}
		if f["type"] == "huge" {
			return 1 << 20, nil
		}
		if f["type"] == "bad" {
			return 0, errors.New("bad type")
		}
		return 1024, nil
	}}

func TestRead(t *testing.T) {
	t.Parallel()
	f, err := Read(httptest.NewRecorder(), request(t, part{name: "type", data: "image"}, part{name: "logolFile", filename: "a.png", data: "PNG"}),
		spec, map[string]string{"appid": "wx1", "type": "query"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"appid": "wx1", "type": "image"}, f.Fields, "the body's fields over the seed")
	require.Equal(t, "a.png", f.Filename)
	require.Equal(t, []byte("PNG"), f.Data)

	f, err = Read(httptest.NewRecorder(), request(t, part{name: "type", data: "image"}, part{name: "file", filename: "", data: ""}), spec, nil)
	require.NoError(t, err)
	require.Nil(t, f.Data, "an empty file input is no file")

	for name, tc := range map[string]struct {
		r     *http.Request
		check func(error) bool
	}{
		"not multipart": {httptest.NewRequest(http.MethodPost, "/", strings.NewReader("a=b")), func(err error) bool { return errors.Is(err, ErrNotMultipart) }},
		"field too long": {request(t, part{name: "title", data: strings.Repeat("x", 17)}), func(err error) bool {
			var fe *FieldError
			return errors.As(err, &fe) && fe.Name == "title" && !fe.NotFile
		}},
		"fields together too large": {request(t, part{name: "a", data: strings.Repeat("x", 16)}, part{name: "b", data: strings.Repeat("x", 16)},
			part{name: "c", data: strings.Repeat("x", 16)}), func(err error) bool { return errors.Is(err, ErrFieldsTooLarge) }},
		"too many parts": {request(t, part{name: "a"}, part{name: "b"}, part{name: "c"}, part{name: "d"}, part{name: "e"}),
			func(err error) bool { return errors.Is(err, ErrTooManyParts) }},
		"file in a text field": {request(t, part{name: "title", filename: "x.png", data: "x"}), func(err error) bool {
			var fe *FieldError
			return errors.As(err, &fe) && fe.NotFile
		}},
		"two files": {request(t, part{name: "file", filename: "a", data: "1"}, part{name: "media", filename: "b", data: "2"}),
			func(err error) bool { return errors.Is(err, ErrTooManyFiles) }},
		"file over the bound its type gives": {request(t, part{name: "type", data: "small"}, part{name: "file", filename: "a", data: "12345"}),
			func(err error) bool { var e *FileTooLargeError; return errors.As(err, &e) && e.Limit == 4 }},
		"file over the default bound": {request(t, part{name: "file", filename: "a", data: strings.Repeat("x", 1025)}),
			func(err error) bool { var e *FileTooLargeError; return errors.As(err, &e) && e.Limit == 1024 }},
		"the type's error": {request(t, part{name: "type", data: "bad"}, part{name: "file", filename: "a", data: "1"}),
			func(err error) bool { return err != nil && err.Error() == "bad type" }},
		"body over the bound while read": {request(t, part{name: "type", data: "huge"}, part{name: "file", filename: "a", data: strings.Repeat("x", 5000)}),
			func(err error) bool { return errors.Is(err, ErrBodyTooLarge) }},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "not multipart" {
				tc.r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if name == "body over the bound while read" {
				tc.r.ContentLength = -1 // chunked: only the reader's bound stops it
			}
			_, err := Read(httptest.NewRecorder(), tc.r, spec, nil)
			require.True(t, tc.check(err), "%v", err)
		})
	}

	big := request(t, part{name: "file", filename: "a", data: strings.Repeat("x", 5000)})
	_, err = Read(httptest.NewRecorder(), big, spec, nil)
	require.ErrorIs(t, err, ErrBodyTooLarge, "an announced length over the bound is refused before reading")
	broken := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx"))
	broken.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	_, err = Read(httptest.NewRecorder(), broken, spec, nil)
	var be *BrokenError
	require.ErrorAs(t, err, &be)
}

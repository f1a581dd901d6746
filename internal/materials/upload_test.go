package materials

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

func materialSpec() uploadSpec {
	return uploadSpec{fileFields: []string{"file", "media"}, maxFile: MaxFileBytes, kindOf: typeField}
}

func TestReadUploadOrders(t *testing.T) {
	t.Parallel()
	png := pngBytes(t)
	for name, parts := range map[string][]part{
		"type first":          {field("type", "image"), field("tile", "T"), file("file", "a.png", png)},
		"type last":           {file("file", "a.png", png), field("tile", "T"), field("type", "image")},
		"media as file field": {field("type", "image"), field("tile", "T"), file("media", "a.png", png)},
		"empty file input":    {field("type", "image"), field("tile", "T"), file("file", "", []byte{}), file("media", "a.png", png)},
	} {
		t.Run(name, func(t *testing.T) {
			body, ct := multipartBody(t, parts...)
			r := httptest.NewRequest(http.MethodPost, "/apis/materials/uploadMaterial?appid=wx1", body)
			r.Header.Set("Content-Type", ct)
			form, err := readUpload(httptest.NewRecorder(), r, materialSpec())
			require.NoError(t, err)
			require.Equal(t, png, form.data)
			require.Equal(t, "a.png", form.filename)
			require.Equal(t, "image", form.body.Str("type"))
			require.Equal(t, "T", form.body.Str("title"), "tile is an alias of title")
			require.Equal(t, "wx1", form.body.Str("appid"), "the query is read too")
		})
	}
}

func TestReadUploadBounds(t *testing.T) {
	t.Parallel()
	big := make([]byte, maxFieldBytes+1)
	cases := map[string]struct {
		parts []part
		kind  apperr.Kind
	}{
		"field too long":     {[]part{field("title", string(big))}, apperr.Invalid},
		"unknown type early": {[]part{field("type", "gif"), file("file", "a.png", make([]byte, 5<<20))}, apperr.Invalid},
		"too many parts": {func() []part {
			var p []part
			for i := 0; i < maxParts+1; i++ {
				p = append(p, field("f", "v"))
			}
			return p
		}(), apperr.Invalid},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			body, ct := multipartBody(t, tc.parts...)
			r := httptest.NewRequest(http.MethodPost, "/", body)
			r.Header.Set("Content-Type", ct)
			_, err := readUpload(httptest.NewRecorder(), r, materialSpec())
			require.Error(t, err)
			require.Equal(t, tc.kind, apperr.KindOf(err), err.Error())
		})
	}
}

func TestAcquireGivesUpWithTheRequest(t *testing.T) {
	t.Parallel()
	h := &Handler{slots: make(chan struct{}, 1)}
	h.slots <- struct{}{} // the only slot is taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/", nil).WithContext(ctx)
	_, err := h.acquire(c)
	require.ErrorIs(t, err, context.Canceled)
}

// FuzzReadUpload feeds arbitrary bodies to the multipart reader: it never panics, and what it answers
// stays within the bounds.
func FuzzReadUpload(f *testing.F) {
	seed, _ := multipartBody(f, field("type", "thumb"), file("file", "a.jpg", jpegBytes(f)), field("title", "x"))
	f.Add(seed.Bytes())
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nxyz\r\n--B--\r\n"))
	f.Add([]byte("--B\r\n\r\n--B--"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, boundary := range []string{"B", seedBoundary(seed.Bytes())} {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
			form, err := readUpload(httptest.NewRecorder(), r, materialSpec())
			if err != nil {
				if apperr.KindOf(err) == apperr.Internal {
					t.Fatalf("unclassified error: %v", err)
				}
				continue
			}
			if int64(len(form.data)) > MaxFileBytes {
				t.Fatalf("file of %d bytes accepted", len(form.data))
			}
		}
	})
}

// seedBoundary answers the boundary of a body written by multipart.Writer ("--" then the boundary).
func seedBoundary(body []byte) string {
	line, _, _ := bytes.Cut(body, []byte("\r\n"))
	return string(bytes.TrimPrefix(line, []byte("--")))
}

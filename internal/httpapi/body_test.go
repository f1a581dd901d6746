package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// multipartBody builds a multipart/form-data body of text fields and, when file is set, one file part.
func multipartBody(t testing.TB, fields [][2]string, file []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if file != nil {
		fw, err := w.CreateFormFile("file", "logo.png")
		require.NoError(t, err)
		_, err = fw.Write(file)
		require.NoError(t, err)
	}
	for _, f := range fields {
		require.NoError(t, w.WriteField(f[0], f[1]))
	}
	require.NoError(t, w.Close())
	return w.FormDataContentType(), buf.Bytes()
}

func TestDecode(t *testing.T) {
	t.Parallel()
	mpCT, mpBody := multipartBody(t, [][2]string{{"type", "vedio"}, {"tile", "Hello"}, {"mediald", "m-1"}}, []byte("\x89PNG..."))
	tests := []struct {
		name        string
		target      string // path and query
		contentType string
		body        string
		want        string // the decoded fields as canonical JSON
		wantErr     int    // errcode, 0 for success
		wantMsg     string // prefix of the error message
	}{
		{name: "json", contentType: "application/json", body: `{"username":"alice","n":12,"ok":true,"x":null}`,
			want: `{"n":12,"ok":true,"username":"alice","x":null}`},
		{name: "json under the form type (the spec's way)", contentType: "application/x-www-form-urlencoded",
			body: " \r\n\t{\"request\":\"hi\",\"reply\":{\"content\":\"yo\"}}", want: `{"reply":{"content":"yo"},"request":"hi"}`},
		{name: "json without content type", body: `{"a":"b"}`, want: `{"a":"b"}`},
		{name: "json under text/plain", contentType: "text/plain", body: `{"a":"b"}`, want: `{"a":"b"}`},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: "username=alice&password=p%40ss+word&username=second",
			want: `{"password":"p@ss word","username":"alice"}`},
		{name: "multipart text fields, file skipped, aliases", contentType: mpCT, body: string(mpBody),
			want: `{"mediaId":"m-1","title":"Hello","type":"video"}`},
		{name: "aliases at the top", contentType: "application/json",
			body: `{"mediald":"a","thumbMediald":"b","senseld":7,"tile":"t","logolFile":"f","type":"VEDIO"}`,
			want: `{"logoFile":"f","mediaId":"a","sceneId":7,"thumbMediaId":"b","title":"t","type":"video"}`},
		{name: "nested alias in content, type vedio", contentType: "application/json",
			body: `{"type":"vedio","content":{"mediald":"m1","tile":"T","description":"d"}}`,
			want: `{"content":{"description":"d","mediaId":"m1","title":"T"},"type":"video"}`},
		{name: "aliases inside arrays", contentType: "application/json", body: `{"reply":[{"tile":"a"},{"tile":"b"}]}`,
			want: `{"reply":[{"title":"a"},{"title":"b"}]}`},
		{name: "the right name wins over its alias", contentType: "application/json", body: `{"mediaId":"right","mediald":"typo"}`,
			want: `{"mediaId":"right"}`},
		{name: "senseId alias", contentType: "application/json", body: `{"senseId":"s"}`, want: `{"sceneId":"s"}`},
		{name: "type values other than vedio untouched", contentType: "application/json", body: `{"type":"Video","x":"vedio"}`,
			want: `{"type":"Video","x":"vedio"}`},
		{name: "query underneath, body wins, token never a field", target: "/x?appid=wx1&a=query&access_token=secret",
			contentType: "application/json", body: `{"a":"body"}`, want: `{"a":"body","appid":"wx1"}`},
		{name: "empty body", contentType: "application/json", body: "", want: `{}`},
		{name: "blank body", contentType: "application/x-www-form-urlencoded", body: " \n ", want: `{}`},
		{name: "empty json object", contentType: "application/json", body: `{}`, want: `{}`},
		{name: "truncated json", contentType: "application/json", body: `{"username":"al`, wantErr: 40000, wantMsg: "body: is not valid JSON (it ends too early)"},
		{name: "json syntax error", contentType: "application/json", body: `{"a" 1}`, wantErr: 40000, wantMsg: "body: is not valid JSON (syntax error"},
		{name: "json array", contentType: "application/json", body: `[{"a":1}]`, wantErr: 40000, wantMsg: "body: must be a JSON object"},
		{name: "two json objects", contentType: "application/json", body: `{"a":1}{"b":2}`, wantErr: 40000, wantMsg: "body: has data after"},
		{name: "bad form escape", contentType: "application/x-www-form-urlencoded", body: "a=%zz", wantErr: 40000, wantMsg: "body:"},
		{name: "broken multipart", contentType: "multipart/form-data; boundary=XYZ", body: "--XYZ\r\nContent-Disp", wantErr: 40000, wantMsg: "body:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			if target == "" {
				target = "/x"
			}
			r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			b, err := httpapi.Decode(r)
			if tc.wantErr != 0 {
				require.Error(t, err)
				status, f, _ := httpapi.Describe(err)
				require.Equal(t, tc.wantErr, f.Errcode)
				require.Less(t, status, 500)
				require.True(t, strings.HasPrefix(f.Msg, tc.wantMsg), "msg %q", f.Msg)
				return
			}
			require.NoError(t, err)
			got, err := json.Marshal(b.Fields())
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(got))
		})
	}
}

func TestBodyAccessors(t *testing.T) {
	t.Parallel()
	b := httpapi.NewBody(map[string]any{
		"s": "text", "n": json.Number("42"), "ns": " 7 ", "f": json.Number("1.5"), "t": true, "on": "on",
		"obj": map[string]any{"mediald": "x"}, "arr": []any{"a"}, "nul": nil,
		"reply":   `{"tile":"a","type":"vedio"}`,
		"replies": `[{"mediald":"m"}]`,
		"plain":   "not json",
		"badjson": `{"a":`,
	})
	require.Equal(t, "text", b.Str("s"))
	require.Equal(t, "42", b.Str("n"))
	require.Equal(t, "true", b.Str("t"))
	require.Equal(t, "", b.Str("missing"))
	_, err := b.String("obj")
	requireField(t, err, "obj")

	n, ok, err := b.Int("n")
	require.NoError(t, err)
	require.True(t, ok)
	require.EqualValues(t, 42, n)
	n, ok, err = b.Int("ns")
	require.NoError(t, err)
	require.True(t, ok)
	require.EqualValues(t, 7, n)
	_, _, err = b.Int("f")
	requireField(t, err, "f")
	_, _, err = b.Int("s")
	requireField(t, err, "s")
	_, ok, err = b.Int("missing")
	require.NoError(t, err)
	require.False(t, ok)

	v, ok, err := b.Bool("on")
	require.NoError(t, err)
	require.True(t, ok && v)
	_, _, err = b.Bool("s")
	requireField(t, err, "s")

	// A nested object sent as a JSON string inside a form field, aliases fixed inside it too.
	raw, err := b.JSON("reply")
	require.NoError(t, err)
	require.JSONEq(t, `{"title":"a","type":"video"}`, string(raw))
	raw, err = b.JSON("replies")
	require.NoError(t, err)
	require.JSONEq(t, `[{"mediaId":"m"}]`, string(raw))
	raw, err = b.JSON("obj")
	require.NoError(t, err)
	require.JSONEq(t, `{"mediaId":"x"}`, string(raw))
	raw, err = b.JSON("plain")
	require.NoError(t, err)
	require.JSONEq(t, `"not json"`, string(raw))
	raw, err = b.JSON("missing")
	require.NoError(t, err)
	require.Nil(t, raw)
	_, err = b.JSON("badjson")
	requireField(t, err, "badjson")

	var dst struct {
		S string `json:"s"`
		N int    `json:"n"`
	}
	require.NoError(t, b.Decode(&dst))
	require.Equal(t, "text", dst.S)
	require.Equal(t, 42, dst.N)
	var wrong struct {
		S int `json:"s"`
	}
	requireField(t, b.Decode(&wrong), "s")
}

// TestDecodeFormFieldHoldingJSON is the contract's "nested object as a JSON string inside a form field",
// end to end from a urlencoded body.
func TestDecodeFormFieldHoldingJSON(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(
		"type=vedio&request=hi&reply="+`%7B%22tile%22%3A%22T%22%2C%22mediald%22%3A%22m%22%7D`))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	b, err := httpapi.Decode(r)
	require.NoError(t, err)
	require.Equal(t, "video", b.Str("type"))
	raw, err := b.JSON("reply")
	require.NoError(t, err)
	require.JSONEq(t, `{"title":"T","mediaId":"m"}`, string(raw))
}

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	_, f, _ := httpapi.Describe(err)
	require.Equal(t, httpapi.CodeInvalid, f.Errcode)
	require.True(t, strings.HasPrefix(f.Msg, field+":"), "msg %q names %s", f.Msg, field)
}

// TestLargeBodies: 2 MB through LimitBody answers 41300 for every body shape, whether the size is announced
// or the body is chunked; never 400 or 500.
func TestLargeBodies(t *testing.T) {
	t.Parallel()
	e := httpapi.NewEngine(slog.New(slog.DiscardHandler))
	e.POST("/x", httpapi.LimitBody(httpapi.MaxBodyBytes), func(c *gin.Context) {
		if _, err := httpapi.Bind(c); err != nil {
			httpapi.Fail(c, err)
			return
		}
		httpapi.OK(c, nil)
	})
	big := strings.Repeat("a", 2<<20)
	mpCT, mpField := multipartBody(t, [][2]string{{"content", big}}, nil)
	mpFileCT, mpFile := multipartBody(t, [][2]string{{"type", "image"}}, []byte(big))
	tests := []struct {
		name, contentType string
		body              []byte
	}{
		{"json", "application/json", []byte(`{"content":"` + big + `"}`)},
		{"json under form type", "application/x-www-form-urlencoded", []byte(`{"content":"` + big + `"}`)},
		{"form", "application/x-www-form-urlencoded", []byte("content=" + big)},
		{"multipart field", mpCT, mpField},
		{"multipart file", mpFileCT, mpFile},
		{"blank", "application/json", bytes.Repeat([]byte(" "), 2<<20)},
	}
	for _, tc := range tests {
		for _, chunked := range []bool{false, true} {
			name := tc.name
			if chunked {
				name += ", chunked"
			}
			t.Run(name, func(t *testing.T) {
				var body io.Reader = bytes.NewReader(tc.body)
				if chunked {
					body = io.MultiReader(body) // hides the length from httptest
				}
				r := httptest.NewRequest(http.MethodPost, "/x", body)
				r.Header.Set("Content-Type", tc.contentType)
				w := httptest.NewRecorder()
				e.ServeHTTP(w, r)
				require.Equal(t, http.StatusRequestEntityTooLarge, w.Code, w.Body.String())
				require.JSONEq(t, `{"errcode":41300,"msg":"request body is larger than 1 MB"}`, w.Body.String())
			})
		}
	}
}

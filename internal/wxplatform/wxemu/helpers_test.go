package wxemu

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/testenv"
)

// env is an emulator served over real HTTP, with the demo account's token at hand.
type env struct {
	t     *testing.T
	emu   *Emulator
	srv   *httptest.Server
	clock *testenv.Clock
	demo  Account

	demoToken string
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	c := testenv.NewClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	emu := New(opts)
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, emu: emu, srv: srv, clock: c, demo: emu.Demo()}
}

// do sends a request and returns the status and body.
func (v *env) do(method, path string, q url.Values, contentType string, body []byte) (int, []byte) {
	v.t.Helper()
	u := v.srv.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	require.NoError(v.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(v.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(v.t, err)
	return resp.StatusCode, b
}

// get calls a GET endpoint and decodes its JSON answer.
func (v *env) get(path string, q url.Values) map[string]any {
	v.t.Helper()
	status, b := v.do(http.MethodGet, path, q, "", nil)
	require.Equal(v.t, http.StatusOK, status, string(b))
	return decode(v.t, b)
}

// post calls a POST endpoint with a JSON body (a string is sent as is) and decodes its answer.
func (v *env) post(path string, q url.Values, body any) map[string]any {
	v.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		raw, err = json.Marshal(body)
		require.NoError(v.t, err)
	}
	status, b := v.do(http.MethodPost, path, q, "application/json", raw)
	require.Equal(v.t, http.StatusOK, status, string(b))
	return decode(v.t, b)
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	require.NoError(t, d.Decode(&m), string(b))
	return m
}

// token fetches an access_token for a and returns it with the query to use it.
func (v *env) token(a Account) string {
	v.t.Helper()
	m := v.get("/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {a.AppID}, "secret": {a.Secret}})
	tok, ok := m["access_token"].(string)
	require.True(v.t, ok, "token answer: %v", m)
	return tok
}

// q returns an access_token query for the demo account (fetching a token once per env).
func (v *env) q(extra ...string) url.Values {
	v.t.Helper()
	if v.demoToken == "" {
		v.demoToken = v.token(v.demo)
	}
	q := url.Values{"access_token": {v.demoToken}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

// requireErrcode checks an answer is WeChat's error with code, and its errmsg carries a rid.
func requireErrcode(t *testing.T, m map[string]any, code int) {
	t.Helper()
	require.Equal(t, json.Number(itoa(code)), m["errcode"], "answer: %v", m)
	require.Contains(t, m["errmsg"], " rid: ", "answer: %v", m)
	require.Len(t, m, 2, "an error answer has errcode and errmsg only: %v", m)
}

func requireOK(t *testing.T, m map[string]any) {
	t.Helper()
	require.Equal(t, map[string]any{"errcode": json.Number("0"), "errmsg": "ok"}, m)
}

func itoa(n int) string { return strconv.Itoa(n) }

// strs reads a JSON array of strings.
func strs(t *testing.T, v any) []string {
	t.Helper()
	arr, ok := v.([]any)
	require.True(t, ok, "not an array: %#v", v)
	out := make([]string, len(arr))
	for i, x := range arr {
		out[i] = x.(string)
	}
	return out
}

// multipartBody builds a multipart form with a "media" file and extra fields.
func multipartBody(t *testing.T, filename string, data []byte, fields map[string]string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("media", filename)
		require.NoError(t, err)
		_, err = fw.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), buf.Bytes()
}

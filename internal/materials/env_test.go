package materials

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// env is the console's materials API over real HTTP on the shared WeChat fixture: a fresh database, the
// WeChat emulator and the real WeChat client.
type env struct {
	*wxtest.Env
	t   *testing.T
	svc *Service
	srv *httptest.Server
}

// operator is a user of the console with one bound official account.
type operator struct {
	userID int64
	token  string
	appid  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1}, Logger: log})
	svc := NewService(w.DB, w.WX, log)
	engine := httpapi.NewEngine(log)
	h := &Handler{Service: svc, Accounts: w.Accounts}
	h.Routes(httpapi.Group{IRouter: engine.Group("/apis/materials", w.Tokens.RequireAuth())})
	h.PublicRoutes(engine)
	srv := httptest.NewServer(engine)
	t.Cleanup(srv.Close)
	return &env{Env: w, t: t, svc: svc, srv: srv}
}

// newOperator registers a user, binds a new emulator account for them, and gives them a token.
func (e *env) newOperator(name string) *operator {
	e.t.Helper()
	id := e.Operator(name)
	acct := e.Bind(id, e.Emu.NewAccount(name+"'s account"))
	tok := "tok-" + name
	e.Tokens.Give(tok, httpapi.Principal{UserID: id, Username: name})
	return &operator{userID: id, token: tok, appid: acct.AppID}
}

// part is one part of a multipart body: a text field, or a file when filename or data is set.
type part struct {
	name     string
	value    string
	filename string
	data     []byte
}

func field(name, value string) part { return part{name: name, value: value} }

func file(name, filename string, data []byte) part {
	return part{name: name, filename: filename, data: data}
}

func multipartBody(t testing.TB, parts ...part) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.data == nil && p.filename == "" {
			require.NoError(t, mw.WriteField(p.name, p.value))
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
		h.Set("Content-Type", "application/octet-stream")
		w, err := mw.CreatePart(h)
		require.NoError(t, err)
		_, err = w.Write(p.data)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

// answer is a decoded API answer.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (a *answer) errcode() int {
	n, _ := a.body["errcode"].(float64)
	return int(n)
}

func (a *answer) str(k string) string {
	s, _ := a.body[k].(string)
	return s
}

func (a *answer) num(k string) int64 {
	n, _ := a.body[k].(float64)
	return int64(n)
}

func (e *env) do(req *http.Request) *answer {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	a := &answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(e.t, json.Unmarshal(raw, &a.body), string(raw))
	}
	return a
}

// upload posts a multipart body to an endpoint as op, with query parameters.
func (e *env) upload(op *operator, endpoint, query string, parts ...part) *answer {
	e.t.Helper()
	body, ct := multipartBody(e.t, parts...)
	u := e.srv.URL + "/apis/materials/" + endpoint + "?access_token=" + op.token
	if query != "" {
		u += "&" + query
	}
	req, err := http.NewRequest(http.MethodPost, u, body)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", ct)
	return e.do(req)
}

// post sends a JSON body to an endpoint as op.
func (e *env) post(op *operator, endpoint string, body map[string]any) *answer {
	e.t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(e.t, err)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/apis/materials/"+endpoint+"?access_token="+op.token, bytes.NewReader(raw))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // as the spec sends JSON
	return e.do(req)
}

// get fetches a console URL as op (nil: anonymous).
func (e *env) get(op *operator, path string) *answer {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	require.NoError(e.t, err)
	if op != nil {
		req.Header.Set("Authorization", "Bearer "+op.token)
	}
	return e.do(req)
}

// wxMaterial finds a material the emulator holds for appid.
func (e *env) wxMaterial(appid, mediaID string) (wxemu.Material, bool) {
	for _, m := range e.Emu.Materials(appid) {
		if m.MediaID == mediaID {
			return m, true
		}
	}
	return wxemu.Material{}, false
}

// requireFail checks a failure answer.
func requireFail(t *testing.T, a *answer, status, errcode int, msgPart string) {
	t.Helper()
	require.Equal(t, status, a.status, string(a.raw))
	require.Equal(t, errcode, a.errcode(), string(a.raw))
	if msgPart != "" {
		require.Contains(t, a.str("msg"), msgPart)
	}
}

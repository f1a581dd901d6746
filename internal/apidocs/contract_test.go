package apidocs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apidocs"
	"github.com/socialinzen/socialinzen/internal/app/apptest"
)

// The contract test starts a whole console (sandbox mode, its WeChat emulator in-process) and drives it
// the way operators' scripts, WeChat and an account's backends do, validating every request and every answer
// against openapi.yaml with kin-openapi. An answer whose status, headers or body the document does not
// describe fails the test; so does a request the document would refuse (except the ones that break it on
// purpose, whose validation must then fail), and a route the console mounts that the document lacks.
//
// Operations the document describes but the console does not mount yet are logged, not failed: the list
// is the wiring still to do.

func init() {
	// Bodies the validator has no decoder for: it only needs them as text.
	for _, ct := range []string{"text/html", "application/xml", "text/xml", "text/css", "text/csv"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
}

// verbose logs every exchange (CONTRACT_VERBOSE=1 go test -run TestContract -v ./internal/apidocs).
var verbose = os.Getenv("CONTRACT_VERBOSE") != ""

// apiPrefixes are the parts of the URL space the document covers; the rest is pages and static files.
var apiPrefixes = []string{"/apis/", "/wxplatform/", "/auth/", "/wxoauth/", "/materials/", "/healthz", "/readyz",
	"/metrics", "/openapi.", "/docs", "/sandbox/demo"}

func documented(path string) bool {
	for _, p := range apiPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// contract is one console under test and what the run found.
type contract struct {
	t       *testing.T
	base    string
	doc     *openapi3.T
	router  routers.Router
	client  *http.Client
	mounted map[string]bool // "METHOD /document/path" the console's router serves
	covered map[string]bool // operationIds exercised
	skipped map[string]bool // operations not mounted, whose exchanges were skipped
}

// call is one request and what the document and the console should make of it.
type call struct {
	name   string
	method string
	path   string // with its query string
	json   any
	form   url.Values
	parts  []part
	raw    []byte
	ctype  string
	header map[string]string
	token  string // sent as Authorization: Bearer
	cookie string // sent as the SocialinzenToken cookie
	// want is the status the console must answer (0: whatever the document allows).
	want int
	// breaks says the request breaks the document on purpose (a missing required field…): validating it
	// must fail, and the answer is still validated.
	breaks bool
	// indescribable says the request is valid but OpenAPI cannot describe it (JSON sent under a form
	// content type, as the platform specification does): it is not validated.
	indescribable bool
}

type part struct {
	name, filename, ctype string
	data                  []byte
}

// answer is what the console said.
type answer struct {
	status int
	header http.Header
	body   []byte
	// wired is false when the operation is not mounted yet: nothing was checked.
	wired bool
}

func (a answer) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(a.body, &m), "body: %s", a.body)
	return m
}

func (a answer) str(t *testing.T, key string) string {
	t.Helper()
	v, _ := a.obj(t)[key].(string)
	return v
}

func (a answer) num(t *testing.T, key string) int64 {
	t.Helper()
	v, _ := a.obj(t)[key].(float64)
	return int64(v)
}

func (c call) build(base string) (*http.Request, []byte, error) {
	var body []byte
	ctype := c.ctype
	switch {
	case c.raw != nil:
		body = c.raw
	case c.json != nil:
		var err error
		if body, err = json.Marshal(c.json); err != nil {
			return nil, nil, err
		}
		if ctype == "" {
			ctype = "application/json"
		}
	case c.form != nil:
		body = []byte(c.form.Encode())
		if ctype == "" {
			ctype = "application/x-www-form-urlencoded"
		}
	case c.parts != nil:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for _, p := range c.parts {
			h := textproto.MIMEHeader{}
			disp := fmt.Sprintf(`form-data; name=%q`, p.name)
			if p.filename != "" {
				disp += fmt.Sprintf(`; filename=%q`, p.filename)
			}
			h.Set("Content-Disposition", disp)
			if p.ctype != "" {
				h.Set("Content-Type", p.ctype)
			}
			w, err := mw.CreatePart(h)
			if err != nil {
				return nil, nil, err
			}
			_, _ = w.Write(p.data)
		}
		_ = mw.Close()
		body = buf.Bytes()
		ctype = mw.FormDataContentType()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(c.method, base+c.path, rd)
	if err != nil {
		return nil, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "SocialinzenToken", Value: c.cookie})
	}
	return req, body, nil
}

// do sends c, validating the request and the answer against the document.
func (k *contract) do(c call) answer {
	t := k.t
	t.Helper()
	req, body, err := c.build(k.base)
	require.NoError(t, err, c.name)
	route, params, err := k.router.FindRoute(req)
	if err != nil {
		t.Errorf("%s: the document has no operation for %s %s: %v", c.name, c.method, req.URL.Path, err)
		return answer{}
	}
	key := route.Method + " " + route.Path
	if !k.mounted[key] {
		if !k.skipped[key] {
			t.Logf("NOT WIRED: %s (%s) is documented but the console does not mount it; %q skipped", key, route.Operation.OperationID, c.name)
		}
		k.skipped[key] = true
		return answer{}
	}
	op := route.Operation
	if item := k.doc.Paths.Value(req.URL.Path); item != nil && item.GetOperation(req.Method) != nil {
		op = item.GetOperation(req.Method) // the router folds a trailing slash; the aliases are operations too
	}
	k.covered[op.OperationID] = true

	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if !c.indescribable {
		verr := openapi3filter.ValidateRequest(context.Background(), input)
		switch {
		case c.breaks && verr == nil:
			t.Errorf("%s: the request breaks the document on purpose, yet it validates: the document misses a constraint", c.name)
		case !c.breaks && verr != nil:
			t.Errorf("%s: the request does not validate against the document: %v", c.name, verr)
		}
	}
	// The validator read the body: send a fresh copy.
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	res, err := k.client.Do(req)
	require.NoError(t, err, c.name)
	got, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.NoError(t, err, c.name)
	a := answer{status: res.StatusCode, header: res.Header, body: got, wired: true}
	if verbose {
		t.Logf("%s: %s %s → %d %s %s", c.name, c.method, c.path, res.StatusCode, res.Header.Get("Content-Type"), clip(got))
	}

	rin := &openapi3filter.ResponseValidationInput{RequestValidationInput: input, Status: res.StatusCode,
		Header: res.Header, Body: io.NopCloser(bytes.NewReader(got)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		t.Errorf("DRIFT %s: %s %s answered %d %s that the document does not describe:\n%v\nbody: %s",
			c.name, c.method, c.path, res.StatusCode, res.Header.Get("Content-Type"), err, clip(got))
	}
	if c.want != 0 && res.StatusCode != c.want {
		t.Errorf("%s: %s %s answered %d, want %d; body: %s", c.name, c.method, c.path, res.StatusCode, c.want, clip(got))
	}
	return a
}

func clip(b []byte) string {
	if !utf8.Valid(b) {
		return fmt.Sprintf("(%d bytes of binary)", len(b))
	}
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

func newContract(t *testing.T) (*contract, *apptest.Console) {
	doc, err := apidocs.Load()
	require.NoError(t, err)
	require.NoError(t, doc.Validate(t.Context()))
	// Requests go to the test's console, whatever the document's server says.
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	require.NoError(t, err)

	// A short WeChat deadline, so that a slow emulator answer shows the 504 within the test.
	c := apptest.Start(t, apptest.Options{Env: map[string]string{"WECHAT_TIMEOUT": "2s"}})
	k := &contract{t: t, base: c.URL, doc: doc, router: router,
		client: &http.Client{Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		mounted: map[string]bool{}, covered: map[string]bool{}, skipped: map[string]bool{}}
	engine, ok := c.App.Handler().(*gin.Engine)
	require.True(t, ok, "the console's handler is no longer a *gin.Engine: update the contract test")
	for _, r := range engine.Routes() {
		k.mounted[r.Method+" "+ginToOpenAPI(r.Path)] = true
	}
	return k, c
}

// ginToOpenAPI writes gin's /file/:id as the document's /file/{id}.
func ginToOpenAPI(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

func TestContract(t *testing.T) {
	k, console := newContract(t)

	t.Run("every API route is documented", func(t *testing.T) {
		engine := console.App.Handler().(*gin.Engine)
		for _, r := range engine.Routes() {
			if !documented(r.Path) || strings.HasPrefix(r.Path, "/sandbox/*") {
				continue
			}
			p := ginToOpenAPI(r.Path)
			item := k.doc.Paths.Value(p)
			method := r.Method
			if method == http.MethodHead {
				method = http.MethodGet // HEAD is GET without the body
			}
			if item == nil || item.GetOperation(method) == nil {
				t.Errorf("the console mounts %s %s, which openapi.yaml does not document", r.Method, r.Path)
			}
		}
		var missing []string
		for path, item := range k.doc.Paths.Map() {
			for method := range item.Operations() {
				if path == "/sandbox/demo" {
					continue // mounted through the emulator's catch-all
				}
				if !k.mounted[method+" "+path] {
					missing = append(missing, method+" "+path)
				}
			}
		}
		sort.Strings(missing)
		for _, m := range missing {
			t.Logf("NOT WIRED: %s is documented but the console does not mount it", m)
		}
	})
	k.mounted["GET /sandbox/demo"] = k.mounted["GET /sandbox/{path}"]

	k.t = t
	k.run(console)

	var uncovered []string
	for path, item := range k.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !k.covered[op.OperationID] && k.mounted[method+" "+path] {
				uncovered = append(uncovered, op.OperationID)
			}
		}
	}
	sort.Strings(uncovered)
	t.Logf("operations exercised: %d; mounted but not exercised: %s", len(k.covered), strings.Join(uncovered, ", "))
}

// run is the scenario: a visitor, a new operator, the sandbox's demo operator at work, WeChat, and the
// account's backends.
func (k *contract) run(console *apptest.Console) {
	t := k.t
	demo := console.Emulator().Demo()

	// Public endpoints.
	k.do(call{name: "healthz", method: "GET", path: "/healthz", want: 200})
	k.do(call{name: "readyz", method: "GET", path: "/readyz", want: 200})
	k.do(call{name: "openapi.yaml", method: "GET", path: "/openapi.yaml", want: 200})
	k.do(call{name: "openapi.json", method: "GET", path: "/openapi.json", want: 200})
	k.do(call{name: "docs page", method: "GET", path: "/docs", header: map[string]string{"Accept": "text/html"}, want: 200})
	k.do(call{name: "docs style sheet", method: "GET", path: "/docs/docs.css", header: map[string]string{"Accept": "text/css"}, want: 200})
	k.do(call{name: "sandbox demo", method: "GET", path: "/sandbox/demo", want: 200})

	// A new operator: register, verify, log in.
	const newUser, newPass, newMail = "contract_op", "contract-pass-1", "contract_op@example.com"
	k.do(call{name: "register", method: "POST", path: "/apis/user/register", want: 200,
		json: map[string]any{"username": newUser, "password": newPass, "email": newMail}})
	k.do(call{name: "register taken", method: "POST", path: "/apis/user/register", want: 409,
		json: map[string]any{"username": newUser, "password": newPass, "email": "other@example.com"}})
	k.do(call{name: "register without email", method: "POST", path: "/apis/user/register", want: 400, breaks: true,
		json: map[string]any{"username": "someone_else", "password": newPass}})
	k.do(call{name: "register as a form", method: "POST", path: "/apis/user/register", want: 400,
		form: url.Values{"username": {"x"}, "password": {newPass}, "email": {"x@example.com"}}, breaks: true})
	k.do(call{name: "login unverified", method: "POST", path: "/apis/user/login", want: 403,
		json: map[string]any{"username": newUser, "password": newPass}})
	k.do(call{name: "verify bad token", method: "GET", path: "/apis/user/verify?token=nope", want: 400})
	mail := console.Mail.Wait(t, newMail, 10*time.Second)
	link := mail.Link(console.URL + "/apis/user/verify?token=")
	require.NotEmpty(t, link, "the verification mail has no link: %s", mail.Text)
	k.do(call{name: "verify", method: "GET", path: strings.TrimPrefix(link, console.URL), want: 303,
		header: map[string]string{"Accept": "text/html"}})
	k.do(call{name: "login wrong password", method: "POST", path: "/apis/user/login", want: 401,
		json: map[string]any{"username": newUser, "password": "wrong-password"}})
	k.do(call{name: "login without password", method: "POST", path: "/apis/user/login", want: 400, breaks: true,
		json: map[string]any{"username": newUser}})
	opToken := k.do(call{name: "login new operator (form)", method: "POST", path: "/apis/user/login", want: 200,
		form: url.Values{"username": {newUser}, "password": {newPass}}}).str(t, "access_token")
	k.do(call{name: "login with the email", method: "POST", path: "/apis/user/login", want: 200,
		json: map[string]any{"username": newMail, "password": newPass}})
	k.do(call{name: "resendVerification", method: "POST", path: "/apis/user/resendVerification", want: 200,
		json: map[string]any{"email": newMail}})
	k.do(call{name: "forgotPassword unknown address", method: "POST", path: "/apis/user/forgotPassword", want: 200,
		json: map[string]any{"email": "nobody@example.com"}})
	k.do(call{name: "resetPassword bad token", method: "POST", path: "/apis/user/resetPassword", want: 400,
		json: map[string]any{"token": "nope", "password": "another-pass-1"}})

	// The sandbox's demo operator, with the demo account bound.
	login := k.do(call{name: "login demo (spec style: JSON as a form)", method: "POST", path: "/apis/user/login", want: 200,
		raw: []byte(`{"username":"demo","password":"demo-password"}`), ctype: "application/x-www-form-urlencoded",
		indescribable: true})
	tok := login.str(t, "access_token")
	require.NotEmpty(t, tok)
	k.do(call{name: "me (bearer)", method: "POST", path: "/apis/user/me", token: tok, want: 200})
	k.do(call{name: "me (query token)", method: "GET", path: "/apis/user/me?access_token=" + url.QueryEscape(tok), want: 200})
	k.do(call{name: "me (cookie)", method: "GET", path: "/apis/user/me", cookie: tok, want: 200})
	k.do(call{name: "me cross-origin by cookie", method: "POST", path: "/apis/user/me", cookie: tok, want: 403,
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}})
	k.do(call{name: "me without token", method: "GET", path: "/apis/user/me", want: 401})
	k.do(call{name: "me bad token", method: "GET", path: "/apis/user/me", token: "not-a-token", want: 401})

	// Accounts.
	k.do(call{name: "account", method: "POST", path: "/apis/wxplatform/account", token: tok, want: 200})
	k.do(call{name: "account (GET)", method: "GET", path: "/apis/wxplatform/account", token: tok, want: 200})
	k.do(call{name: "authorize missing secret", method: "POST", path: "/apis/wxplatform/authorize", token: tok, want: 400,
		breaks: true, json: map[string]any{"appid": demo.AppID, "token": demo.Token}})
	k.do(call{name: "authorize wrong secret (WeChat refuses)", method: "POST", path: "/apis/wxplatform/authorize", token: tok,
		want: 502, json: map[string]any{"appid": demo.AppID, "secret": "00000000000000000000000000000000", "token": demo.Token}})
	k.do(call{name: "authorize appid of another operator", method: "POST", path: "/apis/wxplatform/authorize", token: opToken,
		want: 409, json: map[string]any{"appid": demo.AppID, "secret": demo.Secret, "token": demo.Token}})
	k.do(call{name: "no account bound", method: "POST", path: "/apis/wxplatform/getGroups", token: opToken, want: 403})
	k.do(call{name: "another operator's appid", method: "POST", path: "/apis/wxreplymanage/listReply", token: opToken,
		want: 403, json: map[string]any{"appid": demo.AppID}})
	k.do(call{name: "setJsDomains", method: "POST", path: "/apis/wxplatform/setJsDomains", token: tok, want: 200,
		json: map[string]any{"jsDomains": []string{"example.com", "Pages.Example.org"}}})
	k.do(call{name: "setJsDomains (form)", method: "POST", path: "/apis/wxplatform/setJsDomains", token: tok, want: 200,
		form: url.Values{"jsDomains": {"example.com, pages.example.org"}}})
	k.do(call{name: "unauthorize another's appid", method: "POST", path: "/apis/wxplatform/unauthorize", token: tok,
		want: 403, json: map[string]any{"appid": "wx0000000000000000"}})
	k.do(call{name: "unauthorize without appid", method: "POST", path: "/apis/wxplatform/unauthorize", token: tok,
		want: 400, breaks: true, json: map[string]any{}})

	k.replies(tok)
	k.followers(tok)
	k.qrcodes(tok, demo.AppID)
	k.materials(tok, demo.AppID)
	k.menu(tok)
	k.callback(demo.AppID, demo.Token, demo.EncodingAESKey)
	k.inbox(tok)
	k.component(tok)
	k.conversations(tok, console)
	k.stats(tok)
	k.failures(tok, console)
	k.webauth(demo.AppID)
	k.msdk(tok, demo.AppID)

	// Too large: a JSON body over 1 MB.
	big := map[string]any{"request": "big", "type": "text", "reply": map[string]any{"content": strings.Repeat("x", 1<<20)}}
	k.do(call{name: "body over 1 MB", method: "POST", path: "/apis/wxreplymanage/addReply", token: tok, json: big, want: 413})

	// Rotating the MSDK key, logging out, unbinding.
	k.do(call{name: "rotateMsdkKey", method: "POST", path: "/apis/wxplatform/rotateMsdkKey", token: tok, want: 200})
	k.do(call{name: "logout (browser)", method: "POST", path: "/apis/user/logout", token: opToken, want: 303,
		header: map[string]string{"Accept": "text/html"}})
	k.do(call{name: "token revoked", method: "GET", path: "/apis/user/me", token: opToken, want: 401})
	k.do(call{name: "unauthorize", method: "POST", path: "/apis/wxplatform/unauthorize", token: tok, want: 200,
		json: map[string]any{"appid": demo.AppID}})
	k.do(call{name: "logout", method: "POST", path: "/apis/user/logout", token: tok, want: 200})

	// Last, as it locks the test's client address out of logins: 10 failures, then 429.
	for i := range 10 {
		k.do(call{name: "login failure " + strconv.Itoa(i+1), method: "POST", path: "/apis/user/login",
			json: map[string]any{"username": newUser, "password": "wrong-password"}})
	}
	a := k.do(call{name: "login throttled", method: "POST", path: "/apis/user/login", want: 429,
		json: map[string]any{"username": newUser, "password": newPass}})
	if a.wired {
		require.NotEmpty(t, a.header.Get("Retry-After"))
	}
}

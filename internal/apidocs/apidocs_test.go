package apidocs

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
)

var update = flag.Bool("update", false, "rewrite the repository root's openapi.yaml from internal/apidocs/openapi.yaml")

// rootCopy is the repository root's copy of the document, for readers of the repository.
var rootCopy = filepath.Join("..", "..", "openapi.yaml")

func TestDocumentIsValid(t *testing.T) {
	doc, err := Load()
	require.NoError(t, err)
	require.NoError(t, doc.Validate(t.Context()))
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			require.NotEmpty(t, op.OperationID, "%s %s has no operationId", method, path)
			require.NotEmpty(t, op.Summary, "%s %s has no summary", method, path)
			require.NotEmpty(t, op.Tags, "%s %s has no tag", method, path)
			prev, dup := ids[op.OperationID]
			require.False(t, dup, "operationId %s of %s %s is also %s", op.OperationID, method, path, prev)
			ids[op.OperationID] = method + " " + path
		}
	}
}

// TestErrcodeTable keeps the Error schema's enum, the description's table and httpapi's codes together.
func TestErrcodeTable(t *testing.T) {
	doc, err := Load()
	require.NoError(t, err)
	var enum []int
	for _, v := range doc.Components.Schemas["Error"].Value.Properties["errcode"].Value.Enum {
		enum = append(enum, int(v.(float64)))
	}
	codes := []int{httpapi.CodeInvalid, httpapi.CodeUnauthenticated, httpapi.CodeBadCredentials, httpapi.CodeUnverified,
		httpapi.CodeForbidden, httpapi.CodeWindowClosed, httpapi.CodeNotFound, httpapi.CodeConflict, httpapi.CodeTooLarge, httpapi.CodeUnsupportedType,
		httpapi.CodeTooMany, httpapi.CodeInternal, httpapi.CodeUpstream, httpapi.CodeUpstreamTimeout}
	require.ElementsMatch(t, codes, enum, "the Error schema's errcode enum and httpapi's codes differ")
	for _, code := range codes {
		require.Contains(t, doc.Info.Description, "| "+strconv.Itoa(code)+" |", "the errcode table lacks %d", code)
	}
}

func TestRootCopyIsIdentical(t *testing.T) {
	if *update {
		require.NoError(t, os.WriteFile(rootCopy, specYAML, 0o644))
	}
	root, err := os.ReadFile(rootCopy)
	require.NoError(t, err, "the repository root needs a copy: go test ./internal/apidocs -run TestRootCopyIsIdentical -update")
	if !bytes.Equal(root, specYAML) {
		t.Fatalf("openapi.yaml at the repository root differs from internal/apidocs/openapi.yaml (the canonical one): " +
			"edit the latter, then run go test ./internal/apidocs -run TestRootCopyIsIdentical -update")
	}
}

func newEngine(t *testing.T) *gin.Engine {
	t.Helper()
	gin.SetMode(gin.TestMode)
	e := gin.New()
	Routes(e)
	return e
}

func get(t *testing.T, h http.Handler, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestServesTheDocument(t *testing.T) {
	e := newEngine(t)

	y := get(t, e, "/openapi.yaml")
	require.Equal(t, http.StatusOK, y.Code)
	require.Equal(t, "application/yaml; charset=utf-8", y.Header().Get("Content-Type"))
	require.Equal(t, specYAML, y.Body.Bytes())
	again := get(t, e, "/openapi.yaml", "If-None-Match", y.Header().Get("ETag"))
	require.Equal(t, http.StatusNotModified, again.Code)

	j := get(t, e, "/openapi.json")
	require.Equal(t, http.StatusOK, j.Code)
	doc, err := openapi3.NewLoader().LoadFromData(j.Body.Bytes())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(t.Context()))
	require.NotContains(t, j.Body.String(), "x-response-sets")
}

func TestServesThePage(t *testing.T) {
	e := newEngine(t)
	w := get(t, e, "/docs")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
	csp := w.Header().Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'none'")
	page := w.Body.String()
	require.NotContains(t, page, "<script")
	require.NotContains(t, page, "http://")
	require.NotContains(t, page, "https://cdn")
	require.NotContains(t, page, " style=")

	doc, err := Load()
	require.NoError(t, err)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			require.Contains(t, page, `id="op-`+slug(op.OperationID)+`"`, "the page lacks %s %s", method, path)
		}
	}
	// A few things a reader looks for.
	for _, want := range []string{"<code>access_token</code>", "40900", "wxErrcode", "rule.reply", "accounts[].appid", "accounts[].token.ageSeconds", `id="schema-replyfields"`, "with errcode <strong>40100</strong> or <strong>40101</strong>",
		"<code>mediald</code>", "Authorization: Bearer", "cookie SocialinzenToken"} {
		require.Contains(t, page, want)
	}

	i := strings.Index(page, `href="/docs/docs.css?v=`)
	require.Positive(t, i)
	cssURL := page[i+6 : i+6+strings.IndexByte(page[i+6:], '"')]
	css := get(t, e, cssURL)
	require.Equal(t, http.StatusOK, css.Code)
	require.Equal(t, "text/css; charset=utf-8", css.Header().Get("Content-Type"))
	require.Contains(t, css.Header().Get("Cache-Control"), "immutable")
}

func TestMarkdownEscapes(t *testing.T) {
	out := string(markdown("<script>alert(1)</script> `<b>` **x**\n\n| a | b |\n|---|---|\n| `1` | <i> |\n\n- one\n  more\n- two"))
	require.NotContains(t, out, "<script>")
	require.NotContains(t, out, "<b>")
	require.NotContains(t, out, "<i>")
	require.Contains(t, out, "<code>&lt;b&gt;</code>")
	require.Contains(t, out, "<strong>x</strong>")
	require.Contains(t, out, "<th>a</th>")
	require.Contains(t, out, "<td><code>1</code></td>")
	require.Contains(t, out, "<li>one more</li>")
}

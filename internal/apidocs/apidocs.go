// Package apidocs serves the console's hand-written OpenAPI 3.0 document and a page that renders it:
//
//	GET /openapi.yaml   the document as written (application/yaml)
//	GET /openapi.json   the same, parsed, with its YAML anchors resolved (application/json)
//	GET /docs           every operation with its fields, answers and errcodes, rendered on the server
//	GET /docs/docs.css  the page's style sheet
//
// The canonical document is openapi.yaml in this directory, embedded in the binary (go:embed cannot reach
// the repository root). The root's openapi.yaml is a byte-for-byte copy for readers of the repository;
// TestRootCopyIsIdentical fails when the two differ and rewrites the copy with -update. contract_test.go
// starts a whole console and validates real requests and answers against the document, so the document
// cannot drift from the handlers unnoticed.
//
// The page needs no script and no external resource: it works under a CSP of default-src 'none' with the
// style sheet from 'self'.
package apidocs

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
)

//go:embed openapi.yaml
var specYAML []byte

//go:embed docs.css
var docsCSS []byte

// Spec answers the OpenAPI document as written (YAML). The slice is shared: do not modify it.
func Spec() []byte { return specYAML }

// Load parses the embedded document. It does not validate it; the package's tests do.
func Load() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(specYAML)
	if err != nil {
		return nil, fmt.Errorf("apidocs: parse openapi.yaml: %w", err)
	}
	return doc, nil
}

// Handler serves the document and the page, rendered once when it is built.
type Handler struct {
	yaml, json, page, css []byte
	yamlTag, jsonTag      string
	pageTag, cssTag       string
}

// New parses the embedded document and renders the page.
func New() (*Handler, error) {
	doc, err := Load()
	if err != nil {
		return nil, err
	}
	// The anchors' holder is only a writing aid; the JSON form has them resolved where they are used.
	delete(doc.Extensions, "x-response-sets")
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("apidocs: encode openapi.json: %w", err)
	}
	h := &Handler{yaml: specYAML, json: js, css: docsCSS}
	h.cssTag = etag(docsCSS)
	page, err := renderPage(context.Background(), doc, "/docs/docs.css?v="+h.cssTag[1:13])
	if err != nil {
		return nil, err
	}
	h.page = page
	h.yamlTag, h.jsonTag, h.pageTag = etag(h.yaml), etag(h.json), etag(h.page)
	return h, nil
}

// Routes mounts GET (and HEAD) /openapi.yaml, /openapi.json, /docs and /docs/docs.css on r, the engine's
// root; they are public. It panics when the embedded document cannot be parsed, which the package's tests
// rule out: like a template that does not parse, it is a build error found at start-up.
func Routes(r gin.IRouter) {
	h, err := New()
	if err != nil {
		panic(err)
	}
	h.Routes(r)
}

// Routes mounts the handler's endpoints on r.
func (h *Handler) Routes(r gin.IRouter) {
	for path, fn := range map[string]gin.HandlerFunc{
		"/openapi.yaml":  h.serveYAML,
		"/openapi.json":  h.serveJSON,
		"/docs":          h.servePage,
		"/docs/docs.css": h.serveCSS,
	} {
		r.GET(path, fn)
		r.HEAD(path, fn)
	}
}

// pageCSP allows the page nothing but its own style sheet.
const pageCSP = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (h *Handler) serveYAML(c *gin.Context) {
	c.Header("Content-Disposition", `inline; filename="openapi.yaml"`)
	serve(c, "application/yaml; charset=utf-8", h.yamlTag, "no-cache", h.yaml)
}

func (h *Handler) serveJSON(c *gin.Context) {
	c.Header("Access-Control-Allow-Origin", "*")
	serve(c, "application/json; charset=utf-8", h.jsonTag, "no-cache", h.json)
}

func (h *Handler) servePage(c *gin.Context) {
	c.Header("Content-Security-Policy", pageCSP)
	serve(c, "text/html; charset=utf-8", h.pageTag, "no-cache", h.page)
}

func (h *Handler) serveCSS(c *gin.Context) {
	cache := "no-cache"
	if v := c.Query("v"); v != "" && v == h.cssTag[1:13] {
		cache = "public, max-age=31536000, immutable"
	}
	serve(c, "text/css; charset=utf-8", h.cssTag, cache, h.css)
}

// serve answers data with its ETag, so clients revalidate cheaply (304), and HEAD without a body.
func serve(c *gin.Context, contentType, tag, cache string, data []byte) {
	w := c.Writer.Header()
	w.Set("Content-Type", contentType)
	w.Set("ETag", tag)
	w.Set("Cache-Control", cache)
	w.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Writer, c.Request, "", time.Time{}, bytes.NewReader(data))
}

func etag(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

package pages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// renderer holds every page's template, parsed once at start for each language (a missing or broken
// template stops the console from starting rather than failing a request).
type renderer struct {
	pages  map[string]map[string]*template.Template // lang -> page -> template
	assets *assets
	// hide filters a rendered page (Pages.hideForbidden: the forms the operator's role may not submit).
	hide func(c *gin.Context, page []byte) []byte
}

func newRenderer(fsys fs.FS, a *assets) (*renderer, error) {
	r := &renderer{pages: map[string]map[string]*template.Template{}, assets: a}
	pageFiles, err := fs.Glob(fsys, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	shared, err := fs.Glob(fsys, "templates/layout/*.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(fsys, "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	shared = append(shared, partials...)
	for _, lang := range []string{LangZH, LangEN} {
		r.pages[lang] = map[string]*template.Template{}
		base, err := template.New("base").Funcs(funcs(lang, a)).ParseFS(fsys, shared...)
		if err != nil {
			return nil, fmt.Errorf("parse layout: %w", err)
		}
		for _, pf := range pageFiles {
			name := strings.TrimSuffix(path.Base(pf), ".html")
			t, err := template.Must(base.Clone()).ParseFS(fsys, pf)
			if err != nil {
				return nil, fmt.Errorf("parse page %s: %w", name, err)
			}
			r.pages[lang][name] = t
		}
	}
	return r, nil
}

func funcs(lang string, a *assets) template.FuncMap {
	return template.FuncMap{
		"t":     translator(lang),
		"asset": a.URL,
		"lang":  func() string { return lang },
		"add":   func(a, b int) int { return a + b },
		"sub":   func(a, b int) int { return a - b },
		"json": func(v any) string {
			b, _ := json.Marshal(v)
			return string(b)
		},
		"prettyjson": func(v any) string {
			b, _ := json.MarshalIndent(v, "", "  ")
			return string(b)
		},
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.Local().Format("2006-01-02 15:04")
		},
		"unix": func(s int64) string {
			if s == 0 {
				return "—"
			}
			return time.Unix(s, 0).Local().Format("2006-01-02 15:04")
		},
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"has": func(list []string, s string) bool {
			for _, v := range list {
				if v == s {
					return true
				}
			}
			return false
		},
	}
}

// csp is the pages' Content-Security-Policy: no inline script, nothing from elsewhere.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func (r *renderer) render(c *gin.Context, status int, page string, v *View) {
	t, ok := r.pages[v.Lang][page]
	if !ok {
		c.String(http.StatusInternalServerError, "missing page template %q", page)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		logger(c).Error("render page", "page", page, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Content-Security-Policy", csp)
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", r.filter(c, buf.Bytes()))
}

func (r *renderer) filter(c *gin.Context, page []byte) []byte {
	if r.hide == nil {
		return page
	}
	return r.hide(c, page)
}

package apidocs

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The page's model: the document flattened into what a reader scans, operation by operation.
type (
	pageModel struct {
		Title, Version string
		Description    template.HTML
		CSS            string
		Tags           []tagSection
		Schemas        []schemaView
	}
	schemaView struct {
		Name, Anchor string
		Description  template.HTML
		Type         template.HTML
		Fields       []fieldView
	}
	tagSection struct {
		Name, Anchor string
		Description  template.HTML
		Ops          []opView
	}
	opView struct {
		Method, Path, Anchor string
		ID, Summary          string
		Description          template.HTML
		Auth                 string
		Deprecated           bool
		Params               []paramView
		Body                 *bodyView
		Responses            []responseView
	}
	paramView struct {
		Name, In    string
		Type        template.HTML
		Required    bool
		Description template.HTML
	}
	bodyView struct {
		Required    bool
		Description template.HTML
		Contents    []contentView
	}
	contentView struct {
		Types  []string // media types sharing these fields
		Fields []fieldView
		Schema template.HTML // a label when the body is not an object (a string, a file, an error)
	}
	responseView struct {
		Status      string
		Description template.HTML
		Headers     []string
		Contents    []contentView
	}
	fieldView struct {
		Name        string
		Type        template.HTML
		Depth       int
		Required    bool
		Deprecated  bool
		Description template.HTML
	}
)

var methodOrder = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// renderPage builds the HTML page of doc, linking the style sheet at cssURL.
func renderPage(_ context.Context, doc *openapi3.T, cssURL string) ([]byte, error) {
	m := pageModel{Title: doc.Info.Title, Version: doc.Info.Version, Description: markdown(doc.Info.Description), CSS: cssURL}
	byTag := map[string]*tagSection{}
	var order []string
	for _, t := range doc.Tags {
		byTag[t.Name] = &tagSection{Name: t.Name, Anchor: "tag-" + slug(t.Name), Description: markdown(t.Description)}
		order = append(order, t.Name)
	}
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, p := range paths {
		item := doc.Paths.Value(p)
		ops := item.Operations()
		methods := make([]string, 0, len(ops))
		for meth := range ops {
			methods = append(methods, meth)
		}
		slices.SortFunc(methods, func(a, b string) int { return slices.Index(methodOrder, a) - slices.Index(methodOrder, b) })
		for _, meth := range methods {
			op := ops[meth]
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			sec, ok := byTag[tag]
			if !ok {
				sec = &tagSection{Name: tag, Anchor: "tag-" + slug(tag)}
				byTag[tag] = sec
				order = append(order, tag)
			}
			sec.Ops = append(sec.Ops, buildOp(doc, p, meth, item, op))
		}
	}
	for _, name := range order {
		if sec := byTag[name]; len(sec.Ops) > 0 {
			m.Tags = append(m.Tags, *sec)
		}
	}
	m.Schemas = schemas(doc)
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, m); err != nil {
		return nil, fmt.Errorf("apidocs: render the page: %w", err)
	}
	return buf.Bytes(), nil
}

func buildOp(doc *openapi3.T, path, method string, item *openapi3.PathItem, op *openapi3.Operation) opView {
	v := opView{Method: method, Path: path, ID: op.OperationID, Summary: op.Summary,
		Description: markdown(op.Description), Deprecated: op.Deprecated}
	v.Anchor = "op-" + slug(op.OperationID)
	if op.OperationID == "" {
		v.Anchor = "op-" + slug(method+path)
	}
	v.Auth = authLabel(doc, op)
	params := append(openapi3.Parameters{}, item.Parameters...)
	params = append(params, op.Parameters...)
	for _, pr := range params {
		p := pr.Value
		if p == nil {
			continue
		}
		v.Params = append(v.Params, paramView{Name: p.Name, In: p.In, Type: typeLabel(p.Schema), Required: p.Required,
			Description: inline(p.Description)})
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		rb := op.RequestBody.Value
		v.Body = &bodyView{Required: rb.Required, Description: markdown(rb.Description), Contents: contents(rb.Content)}
	}
	if op.Responses != nil {
		codes := make([]string, 0, op.Responses.Len())
		for code := range op.Responses.Map() {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			r := op.Responses.Value(code).Value
			if r == nil {
				continue
			}
			rv := responseView{Status: code + " " + statusText(code), Contents: contents(r.Content)}
			if r.Description != nil {
				rv.Description = markdown(*r.Description)
			}
			for name := range r.Headers {
				rv.Headers = append(rv.Headers, name)
			}
			sort.Strings(rv.Headers)
			v.Responses = append(v.Responses, rv)
		}
	}
	return v
}

// authLabel says how the operation authenticates.
func authLabel(doc *openapi3.T, op *openapi3.Operation) string {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	if len(reqs) == 0 {
		return "none"
	}
	var names []string
	optional := false
	for _, r := range reqs {
		if len(r) == 0 {
			optional = true
		}
		for name := range r {
			names = append(names, schemeLabel(doc, name))
		}
	}
	sort.Strings(names)
	label := strings.Join(names, ", or ")
	if optional {
		return "optional: " + label
	}
	return label
}

func schemeLabel(doc *openapi3.T, name string) string {
	if doc.Components == nil {
		return name
	}
	ref, ok := doc.Components.SecuritySchemes[name]
	if !ok || ref.Value == nil {
		return name
	}
	s := ref.Value
	switch s.Type {
	case "apiKey":
		return s.In + " " + s.Name
	case "http":
		return "Authorization: " + strings.ToUpper(s.Scheme[:1]) + s.Scheme[1:]
	}
	return name
}

// contents groups the media types that share a schema, and flattens each schema into fields.
func contents(c openapi3.Content) []contentView {
	if len(c) == 0 {
		return nil
	}
	types := make([]string, 0, len(c))
	for t := range c {
		types = append(types, t)
	}
	// JSON first, then forms, then the rest, as a script writer reads them.
	rank := func(t string) int {
		switch {
		case strings.Contains(t, "json"):
			return 0
		case t == "application/x-www-form-urlencoded":
			return 1
		case t == "multipart/form-data":
			return 2
		}
		return 3
	}
	sort.SliceStable(types, func(i, j int) bool {
		if rank(types[i]) != rank(types[j]) {
			return rank(types[i]) < rank(types[j])
		}
		return types[i] < types[j]
	})
	var out []contentView
	index := map[string]int{}
	for _, t := range types {
		mt := c[t]
		key := ""
		if mt.Schema != nil {
			key = mt.Schema.Ref
			if key == "" {
				key = fmt.Sprintf("%p", mt.Schema.Value)
			}
		}
		if i, ok := index[key]; ok && key != "" {
			out[i].Types = append(out[i].Types, t)
			continue
		}
		cv := contentView{Types: []string{t}}
		switch {
		case mt.Schema == nil:
		case errorLabel(mt.Schema) != "":
			cv.Schema = errorLabel(mt.Schema)
		case isObject(mt.Schema):
			cv.Fields = flatten(mt.Schema, "", 0, map[string]bool{})
		}
		if mt.Schema != nil && cv.Schema == "" && len(cv.Fields) == 0 {
			cv.Schema = typeLabel(mt.Schema)
		}
		index[key] = len(out)
		out = append(out, cv)
	}
	return out
}

// errorLabel answers, for the failure envelope (the Error schema, possibly narrowed to some errcodes by an
// allOf), a one-line label naming those errcodes; "" for any other schema. The envelope's fields are
// described once, in the schemas section.
func errorLabel(ref *openapi3.SchemaRef) template.HTML {
	const errRef = "#/components/schemas/Error"
	var codes []any
	switch {
	case ref.Ref == errRef:
	case ref.Value != nil && len(ref.Value.AllOf) > 0 && ref.Value.AllOf[0].Ref == errRef:
		for _, part := range ref.Value.AllOf[1:] {
			if part.Value == nil {
				continue
			}
			if ec := part.Value.Properties["errcode"]; ec != nil && ec.Value != nil {
				codes = ec.Value.Enum
			}
		}
	default:
		return ""
	}
	label := link("Error")
	if len(codes) > 0 {
		vals := make([]string, len(codes))
		for i, c := range codes {
			vals[i] = html.EscapeString(fmt.Sprint(c))
		}
		label += template.HTML(" with errcode <strong>" + strings.Join(vals, "</strong> or <strong>") + "</strong>")
	}
	return label
}

// maxDepth bounds how deep nested objects are unfolded in an operation's tables.
const maxDepth = 3

// merged answers the properties and required fields of a schema, its allOf parts included. A later part
// may narrow an earlier part's property with an enum alone, as the error answers narrow errcode: the
// property then keeps its type and takes the enum.
func merged(s *openapi3.Schema) (props map[string]*openapi3.SchemaRef, order []string, required map[string]bool) {
	props, required = map[string]*openapi3.SchemaRef{}, map[string]bool{}
	var walk func(s *openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		for _, part := range s.AllOf {
			if part.Value != nil {
				walk(part.Value)
			}
		}
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		sort.Slice(names, func(i, j int) bool {
			if fi, fj := envelopeRank(names[i]), envelopeRank(names[j]); fi != fj {
				return fi < fj
			}
			return names[i] < names[j]
		})
		for _, name := range names {
			p := s.Properties[name]
			prev, seen := props[name]
			if !seen {
				order = append(order, name)
			}
			if seen && prev.Value != nil && p.Value != nil && p.Value.Type == nil && len(p.Value.Enum) > 0 {
				narrowed := *prev.Value
				narrowed.Enum = p.Value.Enum
				p = &openapi3.SchemaRef{Value: &narrowed}
			}
			props[name] = p
		}
		for _, r := range s.Required {
			required[r] = true
		}
	}
	walk(s)
	return props, order, required
}

// envelopeRank puts the envelope's fields first, as every answer starts with them.
func envelopeRank(name string) int {
	switch name {
	case "errcode", "ret":
		return 0
	case "msg":
		return 1
	}
	return 2
}

func isObject(ref *openapi3.SchemaRef) bool {
	s := ref.Value
	if s == nil {
		return false
	}
	if s.Type.Is("object") || len(s.Properties) > 0 {
		return true
	}
	for _, p := range s.AllOf {
		if isObject(p) {
			return true
		}
	}
	return false
}

// flatten lists an object's fields, unfolding nested objects and arrays of objects as name.child and
// name[].child.
func flatten(ref *openapi3.SchemaRef, prefix string, depth int, seen map[string]bool) []fieldView {
	if ref == nil || ref.Value == nil || depth > maxDepth {
		return nil
	}
	if ref.Ref != "" {
		if seen[ref.Ref] {
			return nil
		}
		seen = copySeen(seen)
		seen[ref.Ref] = true
	}
	props, order, required := merged(ref.Value)
	var out []fieldView
	for _, name := range order {
		p := props[name]
		if p == nil || p.Value == nil {
			continue
		}
		f := fieldView{Name: prefix + name, Type: typeLabel(p), Depth: depth, Required: required[name],
			Deprecated: p.Value.Deprecated, Description: inline(description(p))}
		out = append(out, f)
		switch child := unwrapNullable(p); {
		case isObject(child):
			out = append(out, flatten(child, prefix+name+".", depth+1, seen)...)
		case child.Value != nil && child.Value.Type.Is("array") && child.Value.Items != nil && isObject(child.Value.Items):
			out = append(out, flatten(child.Value.Items, prefix+name+"[].", depth+1, seen)...)
		}
	}
	return out
}

func copySeen(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// unwrapNullable sees through {nullable: true, allOf: [$ref]}, the 3.0 way of a nullable reference.
func unwrapNullable(ref *openapi3.SchemaRef) *openapi3.SchemaRef {
	s := ref.Value
	if s != nil && len(s.AllOf) == 1 && len(s.Properties) == 0 && s.Type == nil {
		return s.AllOf[0]
	}
	return ref
}

func description(ref *openapi3.SchemaRef) string {
	if ref.Value.Description != "" {
		return ref.Value.Description
	}
	if u := unwrapNullable(ref); u != ref && u.Value != nil {
		return u.Value.Description
	}
	return ""
}

// link is a named schema's name, linking to its entry in the schemas section.
func link(name string) template.HTML {
	n := html.EscapeString(name)
	return template.HTML(`<a href="#schema-` + slug(name) + `">` + n + `</a>`) // #nosec: escaped
}

// typeLabel writes a schema's type the way a reader wants it, as HTML: "integer (int64)", "array of Rule",
// "string: exact | contains | regex", "Menu, nullable", "string | ReplyFields | array of Article". Named
// objects and alternatives link to the schemas section.
func typeLabel(ref *openapi3.SchemaRef) template.HTML {
	if ref == nil || ref.Value == nil {
		return "any"
	}
	s := ref.Value
	var label template.HTML
	switch {
	case ref.Ref != "" && (isObject(ref) || len(s.OneOf) > 0 || len(s.AnyOf) > 0):
		label = link(refName(ref.Ref))
	case len(s.OneOf) > 0:
		label = alternatives(s.OneOf)
	case len(s.AnyOf) > 0:
		label = alternatives(s.AnyOf)
	case len(s.AllOf) == 1 && s.Type == nil && len(s.Properties) == 0:
		label = typeLabel(s.AllOf[0])
	case len(s.AllOf) > 0 && s.Type == nil:
		label = "object"
	case s.Type.Is("array"):
		label = "array of " + typeLabel(s.Items)
	case s.Type != nil && len(s.Type.Slice()) > 0:
		text := s.Type.Slice()[0]
		if s.Format != "" {
			text += " (" + s.Format + ")"
		}
		if len(s.Enum) > 0 {
			vals := make([]string, 0, len(s.Enum))
			for _, e := range s.Enum {
				if e != nil {
					vals = append(vals, fmt.Sprint(e))
				}
			}
			text += ": " + strings.Join(vals, " | ")
		}
		if bounds := boundsLabel(s); bounds != "" {
			text += " " + bounds
		}
		label = template.HTML(html.EscapeString(text)) // #nosec: escaped
	case len(s.Properties) > 0:
		label = "object"
	default:
		label = "any"
	}
	if s.Nullable {
		label += ", nullable"
	}
	return label
}

func alternatives(list openapi3.SchemaRefs) template.HTML {
	parts := make([]string, 0, len(list))
	for _, r := range list {
		parts = append(parts, string(typeLabel(r)))
	}
	return template.HTML(strings.Join(parts, " | ")) // #nosec: each part is escaped
}

// schemas lists every named schema with its fields, the reference the operations' labels link to.
func schemas(doc *openapi3.T) []schemaView {
	if doc.Components == nil {
		return nil
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for name := range doc.Components.Schemas {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]schemaView, 0, len(names))
	for _, name := range names {
		ref := &openapi3.SchemaRef{Ref: "#/components/schemas/" + name, Value: doc.Components.Schemas[name].Value}
		if ref.Value == nil {
			continue
		}
		v := schemaView{Name: name, Anchor: "schema-" + slug(name), Description: markdown(ref.Value.Description)}
		if isObject(ref) {
			v.Fields = flatten(ref, "", 0, map[string]bool{})
		}
		if len(v.Fields) == 0 {
			v.Type = typeLabel(&openapi3.SchemaRef{Value: ref.Value})
		}
		out = append(out, v)
	}
	return out
}

func boundsLabel(s *openapi3.Schema) string {
	var parts []string
	if s.Min != nil && s.Max != nil {
		parts = append(parts, strconv.FormatFloat(*s.Min, 'f', -1, 64)+"–"+strconv.FormatFloat(*s.Max, 'f', -1, 64))
	} else if s.Min != nil {
		parts = append(parts, "≥ "+strconv.FormatFloat(*s.Min, 'f', -1, 64))
	} else if s.Max != nil {
		parts = append(parts, "≤ "+strconv.FormatFloat(*s.Max, 'f', -1, 64))
	}
	switch {
	case s.MaxLength != nil && s.MinLength > 0:
		parts = append(parts, fmt.Sprintf("length %d–%d", s.MinLength, *s.MaxLength))
	case s.MaxLength != nil:
		parts = append(parts, fmt.Sprintf("length ≤ %d", *s.MaxLength))
	case s.MinLength > 0:
		parts = append(parts, fmt.Sprintf("length ≥ %d", s.MinLength))
	}
	if s.Pattern != "" {
		parts = append(parts, "matching "+s.Pattern)
	}
	if len(parts) == 0 {
		return ""
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func refName(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func statusText(code string) string {
	n, err := strconv.Atoi(code)
	if err != nil {
		return ""
	}
	return http.StatusText(n)
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

var pageTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{
	"lower": strings.ToLower,
	"indent": func(depth int) string {
		return strings.Repeat("\u00a0\u00a0", depth)
	},
}).Parse(pageHTML))

const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} API {{.Version}}</title>
<link rel="stylesheet" href="{{.CSS}}">
</head><body>
<header><h1>{{.Title}} API <small>{{.Version}}</small></h1>
<p class="links">The document itself: <a href="/openapi.yaml">openapi.yaml</a> · <a href="/openapi.json">openapi.json</a></p></header>
<nav><h2>Operations</h2>
{{range .Tags}}<h3><a href="#{{.Anchor}}">{{.Name}}</a></h3><ul>
{{range .Ops}}<li><a href="#{{.Anchor}}"><span class="method {{lower .Method}}">{{.Method}}</span> <code>{{.Path}}</code></a></li>
{{end}}</ul>
{{end}}<h3><a href="#schemas">Schemas</a></h3></nav>
<main>
<section class="intro">{{.Description}}</section>
{{range .Tags}}<section class="tag" id="{{.Anchor}}"><h2>{{.Name}}</h2>{{.Description}}
{{range .Ops}}<article class="op" id="{{.Anchor}}">
<h3><span class="method {{lower .Method}}">{{.Method}}</span> <code>{{.Path}}</code>{{if .Deprecated}} <em>deprecated</em>{{end}}</h3>
<p class="summary">{{.Summary}} <span class="opid">{{.ID}}</span></p>
<p class="auth">Authentication: {{.Auth}}</p>
{{.Description}}
{{if .Params}}<h4>Parameters</h4>
<table><thead><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr></thead><tbody>
{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}</td><td>{{.In}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody></table>{{end}}
{{with .Body}}<h4>Request body{{if .Required}} <span class="req">required</span>{{end}}</h4>{{.Description}}
{{range .Contents}}{{template "content" .}}{{end}}{{end}}
<h4>Responses</h4>
{{range .Responses}}<div class="response"><p class="status"><strong>{{.Status}}</strong>{{if .Headers}} <span class="headers">headers: {{range $i, $h := .Headers}}{{if $i}}, {{end}}<code>{{$h}}</code>{{end}}</span>{{end}}</p>
{{.Description}}{{range .Contents}}{{template "content" .}}{{end}}</div>
{{end}}</article>
{{end}}</section>
{{end}}<section class="tag" id="schemas"><h2>Schemas</h2>
{{range .Schemas}}<article class="schema" id="{{.Anchor}}"><h3>{{.Name}}</h3>{{.Description}}
{{with .Type}}<p class="types">{{.}}</p>{{end}}
{{if .Fields}}{{template "fields" .Fields}}{{end}}</article>
{{end}}</section>
</main>
</body></html>
{{define "content"}}<p class="types">{{range $i, $t := .Types}}{{if $i}}, {{end}}<code>{{$t}}</code>{{end}}{{with .Schema}}: {{.}}{{end}}</p>
{{if .Fields}}{{template "fields" .Fields}}{{end}}{{end}}
{{define "fields"}}<table class="fields"><thead><tr><th>field</th><th>type</th><th>description</th></tr></thead><tbody>
{{range .}}<tr{{if .Deprecated}} class="deprecated"{{end}}><td>{{indent .Depth}}<code>{{.Name}}</code>{{if .Required}} <span class="req">required</span>{{end}}{{if .Deprecated}} <span class="dep">alias</span>{{end}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>
{{end}}</tbody></table>{{end}}`

package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyedPackages are the packages (paths from the module's root) whose every apperr error an operator can
// meet must carry an i18n key. Add a package here once its errors are keyed.
var keyedPackages = []string{
	"internal/app",
	"internal/articles",
	"internal/audit",
	"internal/audit/auditapi",
	"internal/broadcasts",
	"internal/httpapi",
	"internal/i18n",
	"internal/materials",
	"internal/metrics",
	"internal/pages",
	"internal/reply",
	"internal/reply/replyapi",
	"internal/reply/replywire",
	"internal/stats",
	"internal/teams",
	"internal/user",
	"internal/wxplatform/accounts",
	"internal/wxplatform/autoreply",
	"internal/wxplatform/callback",
	"internal/wxplatform/component",
	"internal/wxplatform/conversations",
	"internal/wxplatform/followers",
	"internal/wxplatform/jssdk",
	"internal/wxplatform/menu",
	"internal/wxplatform/messages",
	"internal/wxplatform/messages/messagesapi",
	"internal/wxplatform/qrcode",
	"internal/wxplatform/webauth",
	"internal/wxplatform/wxclient",
}

// TestEveryErrorKeyed reads the source of keyedPackages and fails on an apperr.New, Wrap, Invalidf or
// apperr.Error literal that is neither followed by .WithKey(...) nor given a Key, so no error reaches a
// page in English only. Internal errors are exempt: the pages show them as err.internal. It also checks
// that every literal key is in both languages, takes as many arguments as it is given and, where the
// English message is a literal, says the same in en.json as the API's msg.
func TestEveryErrorKeyed(t *testing.T) {
	c := Embedded()
	fset := token.NewFileSet()
	for _, dir := range keyedPackages {
		files, err := filepath.Glob(filepath.Join("..", "..", dir, "*.go"))
		require.NoError(t, err)
		require.NotEmpty(t, files, "%s has no Go files: fix keyedPackages", dir)
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			require.NoError(t, err)
			checkKeyed(t, c, fset, f)
		}
	}
}

// reporter is what the checks need of a test, so TestCheckKeyedCatches can count what they report.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

func checkKeyed(t reporter, c *Catalogue, fset *token.FileSet, f *ast.File) {
	t.Helper()
	keyed := map[ast.Expr]*ast.CallExpr{} // the receivers of .WithKey, and the call
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if apperrName(call.Fun) == "Term" {
			checkKey(t, c, fset, call.Args[0], 0, false)
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "WithKey" {
			keyed[unwrap(sel.X)] = call
			checkKey(t, c, fset, call.Args[0], len(call.Args)-1, call.Ellipsis.IsValid())
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		pos := func() string { return fset.Position(n.Pos()).String() }
		switch n := n.(type) {
		case *ast.CallExpr:
			name := apperrName(n.Fun)
			if name != "New" && name != "Wrap" && name != "Invalidf" {
				return true
			}
			if name != "Invalidf" && apperrName(n.Args[0]) == "Internal" {
				return true
			}
			with, ok := keyed[ast.Expr(n)]
			if assert.True(t, ok, "%s: apperr.%s without .WithKey(\"...\"): key the message in web/i18n/*.json", pos(), name) {
				checkEnglish(t, c, pos(), name, n, with)
			}
		case *ast.CompositeLit:
			if apperrName(n.Type) != "Error" {
				return true
			}
			hasKey := false
			for _, el := range n.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				switch id, _ := kv.Key.(*ast.Ident); {
				case id == nil:
				case id.Name == "Key":
					hasKey = true
					checkKey(t, c, fset, kv.Value, -1, false)
				case id.Name == "Kind" && apperrName(kv.Value) == "Internal":
					return true
				}
			}
			_, withKey := keyed[ast.Expr(n)]
			assert.True(t, hasKey || withKey, "%s: apperr.Error without a Key: key the message in web/i18n/*.json", pos())
		}
		return true
	})
}

// checkKey fails on a literal key missing from a language or whose text takes other than nargs
// arguments (nargs -1: not known).
func checkKey(t reporter, c *Catalogue, fset *token.FileSet, e ast.Expr, nargs int, spread bool) {
	t.Helper()
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return
	}
	key, _ := strconv.Unquote(lit.Value)
	for _, lang := range c.Langs() {
		text, ok := c.Raw(lang, key)
		if !assert.True(t, ok, "%s: %s is not in %s.json", fset.Position(e.Pos()), key, lang) {
			continue
		}
		if nargs >= 0 && !spread {
			assert.Len(t, verbs.FindAllString(strings.ReplaceAll(text, "%%", ""), -1), nargs,
				"%s: %s takes another number of arguments", fset.Position(e.Pos()), key)
		}
	}
}

// pageWorded are keys whose English was written for the pages before en.json had to say what the API
// says; new keys never go here.
var pageWorded = map[string]bool{
	"articles.err.content_chars":     true,
	"articles.err.cover_required":    true,
	"articles.err.draft_not_found":   true,
	"articles.err.publish_not_found": true,
	"articles.err.published":         true,
	"articles.err.too_long":          true,
	"articles.publishing.already":    true,
}

// checkEnglish fails when en.json words a keyed message otherwise than the API's msg, where both are
// literals: New/Wrap(kind, "msg").WithKey(key), or Invalidf(field, "format", args...).WithKey(key,
// field, args...), whose English must then be "%s: format".
func checkEnglish(t reporter, c *Catalogue, pos, name string, call, with *ast.CallExpr) {
	t.Helper()
	key, ok := stringLit(with.Args[0])
	if !ok || pageWorded[key] {
		return
	}
	en, ok := c.Raw(EN, key)
	if !ok {
		return // checkKey reported it
	}
	switch name {
	case "New", "Wrap":
		if msg, ok := stringLit(call.Args[1]); ok && len(with.Args) == 1 {
			assert.Equal(t, msg, en, "%s: en.json's %s says what the API says", pos, key)
		}
	case "Invalidf":
		format, ok := stringLit(call.Args[1])
		if !ok || len(with.Args) < 2 || len(with.Args) != len(call.Args) || exprString(with.Args[1]) != exprString(call.Args[0]) {
			return
		}
		for i, a := range call.Args[2:] {
			if exprString(a) != exprString(with.Args[i+2]) {
				return
			}
		}
		assert.Equal(t, "%s: "+format, en, "%s: en.json's %s says what the API says", pos, key)
	}
}

// apperrName answers Name of an expression apperr.Name, "" for any other.
func apperrName(e ast.Expr) string {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "apperr" {
		return ""
	}
	return sel.Sel.Name
}

// unwrap answers e without parentheses and &.
func unwrap(e ast.Expr) ast.Expr {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.UnaryExpr:
			if x.Op != token.AND {
				return e
			}
			e = x.X
		default:
			return e
		}
	}
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

func exprString(e ast.Expr) string { return types.ExprString(e) }

type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCheckKeyedCatches: the check reports each kind of unkeyed or wrongly keyed error, and nothing else.
func TestCheckKeyedCatches(t *testing.T) {
	const src = `package x

var (
	a = apperr.New(apperr.NotFound, "no such thing")
	b = apperr.Invalidf("name", "must be at most %d characters", 5)
	c = &apperr.Error{Kind: apperr.Conflict, Msg: "taken"}
	d = apperr.Wrap(apperr.Upstream, "down", err)
	e = apperr.New(apperr.NotFound, "no such user").WithKey("no.such.key")
	f = apperr.Invalidf("name", "must be at most %d characters", 5).WithKey("err.field.max_chars", "name")
	g = apperr.New(apperr.NotFound, "other words").WithKey("user.err.not_found")
	h = apperr.Invalidf("name", "is far too long", 5).WithKey("err.field.max_chars", "name", 5)

	ok1 = apperr.New(apperr.NotFound, "no such user").WithKey("user.err.not_found")
	ok2 = apperr.Invalidf("q", "must be at most %d characters", n).WithKey("err.field.max_chars", "q", n)
	ok3 = &apperr.Error{Kind: apperr.Conflict, Msg: "username: is already taken", Key: "user.err.username_taken"}
	ok4 = apperr.Wrap(apperr.Internal, "internal error", err)
	ok5 = apperr.Missing("title")
	ok6 = apperr.New(apperr.TooLarge, msg).WithKey("materials.err.too_large", apperr.Term("materials.kind.a.image"), size)
)
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	require.NoError(t, err)
	r := &recorder{}
	checkKeyed(r, Embedded(), fset, f)
	var lines []int
	for _, e := range r.errs {
		_, rest, _ := strings.Cut(e, "x.go:")
		n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ':')])
		lines = append(lines, n)
	}
	sort.Ints(lines)
	// a–d unkeyed; e's key in neither language (2); f one argument short (2); g and h worded otherwise.
	require.Equal(t, []int{4, 5, 6, 7, 8, 8, 9, 9, 10, 11}, lines, strings.Join(r.errs, "\n"))
}

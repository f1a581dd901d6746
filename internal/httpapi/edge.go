package httpapi

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// BadText says what is wrong with a text input, or "" when it may go on. Tab, line feed and carriage return
// are text; every other C0 control character, DEL and invalid UTF-8 are not: Postgres refuses NUL and bad
// UTF-8 (a 500 before), and the others have no business in a keyword, a name or an id.
func BadText(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
				return "contains a control character"
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return "is not valid UTF-8"
		}
		i += n
	}
	return ""
}

// CheckField is the edge's check for a text field read where the edge cannot see it: a multipart body,
// which RefuseControlChars leaves to its reader so as not to buffer uploads. The error is the same 40000.
func CheckField(name, value string) error {
	if p := BadText(name); p != "" {
		return (&textProblem{"body", p}).err()
	}
	if p := BadText(value); p != "" {
		return (&textProblem{name, p}).err()
	}
	return nil
}

// textProblemKeys name BadText's answers in the i18n catalogue.
var textProblemKeys = map[string]string{
	"contains a control character": "err.text.control",
	"is not valid UTF-8":           "err.text.utf8",
}

// textProblem is a refused input: where it was and what is wrong.
type textProblem struct{ field, problem string }

func (p *textProblem) err() error {
	return apperr.Invalidf(p.field, "%s (control characters are not allowed)", p.problem).WithKey(textProblemKeys[p.problem], p.field)
}

// checkValue walks a decoded JSON value (objects, arrays, strings), keys included.
func checkValue(field string, v any) *textProblem {
	switch t := v.(type) {
	case string:
		if p := BadText(t); p != "" {
			return &textProblem{field, p}
		}
	case map[string]any:
		for k, val := range t {
			if p := BadText(k); p != "" {
				return &textProblem{"body", p}
			}
			if p := checkValue(k, val); p != nil {
				return p
			}
		}
	case []any:
		for _, e := range t {
			if p := checkValue(field, e); p != nil {
				return p
			}
		}
	}
	return nil
}

func checkValues(vals url.Values, what string) *textProblem {
	for k, vs := range vals {
		if p := BadText(k); p != "" {
			return &textProblem{what, p}
		}
		for _, v := range vs {
			if p := BadText(v); p != "" {
				return &textProblem{k, p}
			}
		}
	}
	return nil
}

// checkRequest looks at every text input a handler may read before it reads it: the path, the query, and
// a JSON or form body (read here up to MaxBodyBytes and put back). Multipart bodies are checked field by
// field where they are decoded (Decode), since reading an upload here would buffer it whole; XML bodies
// (the callback) are refused by the XML parser, which does not accept control characters either.
func checkRequest(r *http.Request) *textProblem {
	if p := BadText(r.URL.Path); p != "" {
		return &textProblem{"path", p}
	}
	if r.URL.RawQuery != "" {
		vals, err := url.ParseQuery(r.URL.RawQuery)
		if err == nil {
			if p := checkValues(vals, "query"); p != nil {
				return p
			}
		}
	}
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength > MaxBodyBytes {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "", "application/x-www-form-urlencoded", "application/json", "text/plain":
	default:
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	rest := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(data), rest), rest}
	if err != nil || len(data) > MaxBodyBytes {
		return nil // the handler's own reader reports it
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var v any
		if json.Unmarshal(trimmed, &v) != nil {
			return nil // the decoder answers malformed JSON
		}
		return checkValue("body", v)
	}
	if ct == "application/json" {
		return nil
	}
	vals, err := url.ParseQuery(string(trimmed))
	if err != nil {
		return nil
	}
	return checkValues(vals, "body")
}

// RefuseControlChars is the one place where text inputs with control characters are refused, for every
// route: the API answers 40000 naming the field, the callback and the pages a 400 (pages through
// pageReject when given). It runs before any handler, so no handler, store or log sees such a value.
func RefuseControlChars(pageReject func(c *gin.Context, field string)) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := checkRequest(c.Request)
		if p == nil {
			c.Next()
			return
		}
		switch path := c.Request.URL.Path; {
		case strings.HasPrefix(path, "/apis/"), strings.HasPrefix(path, "/auth/"), strings.HasPrefix(path, "/wxoauth/"),
			strings.HasPrefix(path, "/wxplatform/webauth"), strings.HasPrefix(path, "/materials/"):
			Fail(c, p.err())
		case !strings.HasPrefix(path, "/wxplatform/") && !strings.HasPrefix(path, "/sandbox/"):
			if pageReject != nil {
				pageReject(c, p.field)
				c.Abort()
				return
			}
			// A page form: the browser shows this, with the way back.
			c.Header("Cache-Control", "no-store")
			c.Data(http.StatusBadRequest, "text/html; charset=utf-8", []byte(`<!doctype html><meta charset="utf-8">`+
				`<title>400</title><p id="error">输入包含控制字符，请删除后重试。 `+
				`A field contains a control character: remove it and try again (`+html.EscapeString(p.field)+`).</p>`+
				`<p><a href="javascript:history.back()">返回 Back</a></p>`))
			c.Abort()
		default:
			c.Header("Cache-Control", "no-store")
			c.Data(http.StatusBadRequest, "text/plain; charset=utf-8", []byte(p.field+": "+p.problem+"\n"))
			c.Abort()
		}
	}
}

// SafeLocalPath answers target when it is a path on this site, cleaned, with its query; else fallback.
// Browsers treat a backslash as a slash, so "/\evil.com" and "/./\evil.com" mean "//evil.com": a target
// with a backslash, a control character, a scheme or a host is refused, and the path is checked after
// cleaning, which is what a browser resolves. Every redirect to a caller-supplied place goes through it.
func SafeLocalPath(target, fallback string) string {
	if target == "" || BadText(target) != "" || strings.ContainsAny(target, "\\\t\r\n") {
		return fallback
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return fallback
	}
	if !strings.HasPrefix(u.Path, "/") || strings.ContainsAny(u.Path, "\\") {
		return fallback
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if strings.HasPrefix(clean, "//") || !strings.HasPrefix(clean, "/") {
		return fallback
	}
	// A percent-encoded slash or backslash decodes into the path a browser sees.
	if strings.Contains(strings.ToLower(u.RawPath), "%2f") || strings.Contains(strings.ToLower(u.RawPath), "%5c") {
		return fallback
	}
	out := (&url.URL{Path: clean, RawQuery: u.RawQuery, Fragment: u.Fragment}).String()
	if strings.HasPrefix(out, "//") || !strings.HasPrefix(out, "/") {
		return fallback
	}
	return out
}

// HSTS tells browsers to reach the console over https only, for two years (the console is served over
// https when BASE_URL says so; the header over plain http would be ignored, or worse, pin a test host).
func HSTS() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		c.Next()
	}
}

// TrustProxies makes c.ClientIP() the real client behind the given reverse proxies (addresses or CIDRs):
// X-Forwarded-For is believed only from those peers, and read from the right, skipping trusted hops, so
// the answer is the rightmost address no trusted proxy vouches for (what a client cannot forge by
// sending its own X-Forwarded-For). With none, the peer address is the client.
func TrustProxies(e *gin.Engine, proxies []string) error {
	e.RemoteIPHeaders = []string{"X-Forwarded-For"}
	e.TrustedPlatform = ""
	if len(proxies) == 0 {
		e.ForwardedByClientIP = false
		return e.SetTrustedProxies(nil)
	}
	e.ForwardedByClientIP = true
	return e.SetTrustedProxies(proxies)
}

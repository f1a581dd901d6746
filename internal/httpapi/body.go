package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// MaxBodyBytes bounds JSON and form bodies (contract: 1 MB, answered with 41300).
const MaxBodyBytes = 1 << 20

// ErrBodyTooLarge answers a body over MaxBodyBytes.
var ErrBodyTooLarge = apperr.New(apperr.TooLarge, "request body is larger than 1 MB").WithKey("err.body.too_large")

// keyAliases are the spec's typos, accepted on input; answers use the right names (contract §2).
var keyAliases = map[string]string{
	"mediald":      "mediaId",
	"thumbMediald": "thumbMediaId",
	"senseld":      "sceneId",
	"senseId":      "sceneId",
	"tile":         "title",
	"logolFile":    "logoFile",
}

// valueAliases fixes the spec's typos in enumerated values.
var valueAliases = map[string]map[string]string{
	"type": {"vedio": "video"},
}

// Body is a decoded request body: a JSON object, form fields or multipart fields, with the query string
// underneath (a body field wins over a query parameter of the same name).
type Body struct {
	fields map[string]any
}

// NewBody wraps already decoded fields, for callers and tests that build a body by hand.
func NewBody(fields map[string]any) *Body {
	normalize(fields)
	return &Body{fields: fields}
}

// Decode reads the request body once, whatever its Content-Type says: a body whose first non-blank byte is
// '{' is JSON (the spec sends JSON as application/x-www-form-urlencoded), multipart is read for its text
// fields (file parts are skipped; uploads stream them with their own reader), anything else is a form.
func Decode(r *http.Request) (*Body, error) {
	fields := map[string]any{}
	for k, vs := range r.URL.Query() {
		if k != "access_token" && len(vs) > 0 {
			fields[k] = vs[0]
		}
	}
	if r.Body != nil && r.Body != http.NoBody {
		ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var err error
		if ct == "multipart/form-data" && params["boundary"] != "" {
			err = decodeMultipart(r.Body, params["boundary"], fields)
		} else {
			err = decodeRaw(r.Body, fields)
		}
		if err != nil {
			return nil, err
		}
	}
	normalize(fields)
	return &Body{fields: fields}, nil
}

// Bind decodes the request of c, caching the result so middleware and handler share one read.
func Bind(c *gin.Context) (*Body, error) {
	if v, ok := c.Get("httpapi.body"); ok {
		return v.(*Body), nil
	}
	b, err := Decode(c.Request)
	if err != nil {
		return nil, err
	}
	c.Set("httpapi.body", b)
	return b, nil
}

func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBodyBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, ErrBodyTooLarge
		}
		return nil, apperr.Wrap(apperr.Invalid, "body: could not be read", err).WithKey("err.field.unreadable", "body")
	}
	if len(data) > MaxBodyBytes {
		return nil, ErrBodyTooLarge
	}
	return data, nil
}

func decodeRaw(r io.Reader, fields map[string]any) error {
	data, err := readLimited(r)
	if err != nil {
		return err
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil
	}
	switch trimmed[0] {
	case '{':
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return apperr.Invalidf("body", "is not valid JSON (%s)", jsonProblem(err)).WithKey("err.field.json_problem", "body", jsonProblem(err))
		}
		if dec.More() {
			return apperr.Invalidf("body", "has data after the JSON object").WithKey("err.body.trailing", "body")
		}
		for k, v := range obj {
			fields[k] = v
		}
		return nil
	case '[':
		return apperr.Invalidf("body", "must be a JSON object, not an array").WithKey("err.body.array", "body")
	}
	vals, err := url.ParseQuery(string(trimmed))
	if err != nil {
		return apperr.Invalidf("body", "is neither a JSON object nor form fields").WithKey("err.body.format", "body")
	}
	for k, vs := range vals {
		if len(vs) > 0 {
			fields[k] = vs[0]
		}
	}
	return nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends too early"
	}
	return "unexpected content"
}

func decodeMultipart(r io.Reader, boundary string, fields map[string]any) error {
	mr := multipart.NewReader(r, boundary)
	budget := int64(MaxBodyBytes)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return ErrBodyTooLarge
			}
			return apperr.Invalidf("body", "is not valid multipart/form-data").WithKey("err.field.multipart", "body")
		}
		name := p.FormName()
		if p.FileName() != "" || name == "" {
			// Files belong to the upload endpoints, which read them as a stream.
			_, _ = io.Copy(io.Discard, io.LimitReader(p, budget))
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p, budget+1))
		if err != nil {
			// The multipart reader reads ahead, so LimitBody's cap can trip inside a part.
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return ErrBodyTooLarge
			}
			return apperr.Invalidf("body", "is not valid multipart/form-data").WithKey("err.field.multipart", "body")
		}
		budget -= int64(len(data))
		if budget < 0 {
			return ErrBodyTooLarge
		}
		// The edge (RefuseControlChars) leaves multipart bodies to this reader: the same check, here.
		if err := CheckField(name, string(data)); err != nil {
			return err
		}
		fields[name] = string(data)
	}
}

// normalize renames the spec's aliased keys and values, in nested objects too.
func normalize(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if right, ok := keyAliases[k]; ok {
				if _, has := t[right]; !has {
					t[right] = val
				}
				delete(t, k)
			}
		}
		for k, val := range t {
			if s, ok := val.(string); ok {
				if m, ok := valueAliases[k]; ok {
					if right, ok := m[strings.ToLower(s)]; ok {
						t[k] = right
					}
				}
			}
			normalize(val)
		}
	case []any:
		for _, e := range t {
			normalize(e)
		}
	}
}

// Has reports whether the field was sent at all.
func (b *Body) Has(key string) bool { _, ok := b.fields[key]; return ok }

// Fields answers the decoded fields (the same map, not a copy).
func (b *Body) Fields() map[string]any { return b.fields }

// String answers a field as text: strings as sent, numbers and booleans in their JSON spelling; "" when
// absent or null. An object or array is an invalid field.
func (b *Body) String(key string) (string, error) {
	switch v := b.fields[key].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	case bool:
		return strconv.FormatBool(v), nil
	default:
		return "", apperr.Invalidf(key, "must be a string").WithKey("err.field.string", key)
	}
}

// Str is String for fields where a wrong type simply counts as absent; handlers validate the value anyway.
func (b *Body) Str(key string) string {
	s, _ := b.String(key)
	return s
}

// Int answers an integer field sent as a JSON number or a numeric string. ok is false when absent or empty.
func (b *Body) Int(key string) (n int64, ok bool, err error) {
	switch v := b.fields[key].(type) {
	case nil:
		return 0, false, nil
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			return 0, true, apperr.Invalidf(key, "must be an integer").WithKey("err.field.integer", key)
		}
		return n, true, nil
	case string:
		s := strings.TrimSpace(v)
		if s == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, true, apperr.Invalidf(key, "must be an integer").WithKey("err.field.integer", key)
		}
		return n, true, nil
	default:
		return 0, true, apperr.Invalidf(key, "must be an integer").WithKey("err.field.integer", key)
	}
}

// IntBetween reads an optional integer field within [lo, hi]; def when absent.
func (b *Body) IntBetween(key string, def, lo, hi int64) (int64, error) {
	n, ok, err := b.Int(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return def, nil
	}
	if n < lo || n > hi {
		return 0, apperr.Invalidf(key, "must be between %d and %d", lo, hi).WithKey("err.field.between", key, lo, hi)
	}
	return n, nil
}

// Bool answers a boolean field sent as true/false, 1/0 or "on" (a checkbox).
func (b *Body) Bool(key string) (v bool, ok bool, err error) {
	switch t := b.fields[key].(type) {
	case nil:
		return false, false, nil
	case bool:
		return t, true, nil
	case json.Number:
		return t.String() != "0", true, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(t)) {
		case "true", "1", "on", "yes":
			return true, true, nil
		case "false", "0", "off", "no":
			return false, true, nil
		case "":
			return false, false, nil
		}
	}
	return false, true, apperr.Invalidf(key, "must be true or false").WithKey("err.field.bool", key)
}

// JSON answers a nested field as raw JSON: an object or array as sent, or a form field holding JSON text
// (contract §2: a nested object may arrive as a JSON string inside a form field). A plain string that is
// not JSON comes back as a JSON string. nil when absent.
func (b *Body) JSON(key string) (json.RawMessage, error) {
	v, ok := b.fields[key]
	if !ok || v == nil {
		return nil, nil
	}
	if s, isStr := v.(string); isStr {
		t := strings.TrimSpace(s)
		if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			var parsed any
			dec := json.NewDecoder(strings.NewReader(t))
			dec.UseNumber()
			if err := dec.Decode(&parsed); err != nil {
				return nil, apperr.Invalidf(key, "is not valid JSON").WithKey("err.field.json", key)
			}
			normalize(parsed)
			v = parsed
		}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, apperr.Invalidf(key, "could not be read").WithKey("err.field.unreadable", key)
	}
	return raw, nil
}

// Decode fills dst (a struct pointer) from the whole body, as JSON; fields keep the API's names.
func (b *Body) Decode(dst any) error {
	raw, err := json.Marshal(b.fields)
	if err != nil {
		return apperr.Invalidf("body", "could not be read").WithKey("err.field.unreadable", "body")
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return apperr.Invalidf(te.Field, "has the wrong type").WithKey("err.field.type", te.Field)
		}
		return apperr.Invalidf("body", "has a field of the wrong type").WithKey("err.body.field_type", "body")
	}
	return nil
}

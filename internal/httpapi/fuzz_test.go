package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// spec typos that must never survive decoding as keys (contract §2).
var aliasKeys = []string{"mediald", "thumbMediald", "senseld", "senseId", "tile", "logolFile"}

// FuzzDecode feeds Decode any body under any Content-Type. It must never panic and never fail with a
// server error: a bad body is the caller's 40000 (or 41300). Whatever it accepts must come out as valid
// JSON with the spec's typos renamed, and every accessor must cope with every field. The seeds in
// testdata/fuzz/FuzzDecode run with every `go test`.
func FuzzDecode(f *testing.F) {
	f.Add("application/json", []byte(`{"username":"alice","password":"12345678"}`))
	f.Add("application/x-www-form-urlencoded", []byte(`{"type":"vedio","content":{"mediald":"m"}}`))
	f.Add("application/x-www-form-urlencoded", []byte("request=hi&reply=%7B%22tile%22%3A1%7D"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/apis/x?appid=wx1", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		b, err := httpapi.Decode(r)
		if err != nil {
			status, failure, _ := httpapi.Describe(err)
			if status >= 500 {
				t.Fatalf("Decode answered %d %+v for a client's body", status, failure)
			}
			return
		}
		fields := b.Fields()
		raw, err := json.Marshal(fields)
		if err != nil {
			t.Fatalf("decoded fields do not marshal: %v", err)
		}
		if !json.Valid(raw) {
			t.Fatalf("invalid JSON out: %s", raw)
		}
		requireNoAliases(t, fields)
		for key := range fields {
			_ = b.Str(key)
			_, _ = b.String(key)
			_, _, _ = b.Int(key)
			_, _, _ = b.Bool(key)
			if out, err := b.JSON(key); err == nil && out != nil && !json.Valid(out) {
				t.Fatalf("JSON(%q) = %s", key, out)
			}
		}
		var dst struct {
			Type    string          `json:"type"`
			Reply   json.RawMessage `json:"reply"`
			GroupID int64           `json:"groupId"`
		}
		if err := b.Decode(&dst); err != nil {
			if status, _, _ := httpapi.Describe(err); status >= 500 {
				t.Fatalf("Decode(&dst): %v", err)
			}
		}
	})
}

func requireNoAliases(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for _, k := range aliasKeys {
			if _, ok := x[k]; ok {
				t.Fatalf("alias %q survived decoding: %v", k, x)
			}
		}
		for _, e := range x {
			requireNoAliases(t, e)
		}
	case []any:
		for _, e := range x {
			requireNoAliases(t, e)
		}
	}
}

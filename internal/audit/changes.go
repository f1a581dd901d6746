package audit

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/redact"
)

// Change is what became of one field: its value before and after (absent when the thing was created or
// deleted), or only Redacted when the field holds a secret (redact.Field): the log says a secret changed,
// never what it was or became.
type Change struct {
	Before   any  `json:"before,omitempty"`
	After    any  `json:"after,omitempty"`
	Redacted bool `json:"redacted,omitempty"`
}

// Changes are the fields a change touched, by the name the API gives them.
type Changes map[string]Change

// MaxText is the most runes of one text value the log keeps (an article's HTML is cut, with its length).
const MaxText = 500

// Diff answers the fields whose values differ between before and after. Both are read as the API would
// show them: structs and maps through encoding/json (so by their json names), anything else as the one
// field "value". A nil side is a thing that does not exist: Diff(nil, x) lists every field of x as
// created, Diff(x, nil) as deleted. Secret fields are only marked Redacted, at any depth; long texts are
// cut to MaxText.
func Diff(before, after any) Changes {
	b, a := fields(before), fields(after)
	out := Changes{}
	for k, av := range a {
		bv, had := b[k]
		if had && reflect.DeepEqual(bv, av) {
			continue
		}
		out[k] = change(k, bv, av)
	}
	for k, bv := range b {
		if _, ok := a[k]; !ok {
			out[k] = change(k, bv, nil)
		}
	}
	return out
}

// Created answers every field of v as a change from nothing.
func Created(v any) Changes { return Diff(nil, v) }

// Deleted answers every field of v as a change to nothing.
func Deleted(v any) Changes { return Diff(v, nil) }

// Set answers one field changed from before to after (a toggle, a role), redacted if its name says secret.
func Set(field string, before, after any) Changes {
	return Changes{field: change(field, plain(before), plain(after))}
}

// Merge answers the changes of all cs in one (later ones win on the same field).
func Merge(cs ...Changes) Changes {
	out := Changes{}
	for _, c := range cs {
		for k, v := range c {
			out[k] = v
		}
	}
	return out
}

// Fields answers the changed field names, sorted.
func (c Changes) Fields() []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func change(field string, before, after any) Change {
	if redact.Field(field) {
		return Change{Redacted: true}
	}
	return Change{Before: scrub(before), After: scrub(after)}
}

// fields reads v as the API would show it: a JSON object's fields, or the one field "value".
func fields(v any) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return map[string]any{}
	}
	p := plain(v)
	if m, ok := p.(map[string]any); ok {
		return m
	}
	return map[string]any{"value": p}
}

// plain answers v as encoding/json would decode it back (maps, slices, float64, strings, bools, nil).
func plain(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil
	}
	return out
}

// scrub answers v with every secret-named field of a nested object replaced and long texts cut.
func scrub(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if redact.Field(k) {
				out[k] = Redacted
				continue
			}
			out[k] = scrub(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = scrub(x)
		}
		return out
	case string:
		if utf8.RuneCountInString(t) > MaxText {
			r := []rune(t)
			return string(r[:MaxText]) + "…"
		}
		return t
	default:
		return v
	}
}

// Redacted replaces a secret inside a logged value.
const Redacted = "[redacted]"

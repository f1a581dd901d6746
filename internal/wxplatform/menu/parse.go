package menu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Parse reads a menu sent by a caller, in menu/create JSON, refusing fields WeChat does not define, then
// normalises it (see Normalize) and validates it (see Validate). Every error is a 40000 naming the field
// by its path.
func Parse(raw json.RawMessage) (Menu, error) {
	m, err := decode(raw)
	if err != nil {
		return Menu{}, err
	}
	m = Normalize(m)
	if err := m.Validate(); err != nil {
		return Menu{}, err
	}
	return m, nil
}

// decode walks the JSON by hand, so a wrong type or an unknown field is named by its path.
func decode(raw json.RawMessage) (Menu, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return Menu{}, apperr.Missing("menu")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return Menu{}, apperr.Invalidf("menu", "is not valid JSON").WithKey("err.field.json", "menu")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return Menu{}, apperr.Invalidf("menu", `must be a JSON object {"button": [...]}`).WithKey("err.menu.shape", "menu")
	}
	var m Menu
	for _, k := range sortedKeys(obj) {
		switch k {
		case "button":
			list, err := buttons(obj[k], "button")
			if err != nil {
				return Menu{}, err
			}
			m.Button = list
		case "menuid":
			// menu/get's answers carry it; it names WeChat's copy, not part of the menu.
		default:
			return Menu{}, apperr.Invalidf(k, `is not a field of a menu (a menu is {"button": [...]})`).WithKey("err.menu.field", k)
		}
	}
	if _, ok := obj["button"]; !ok {
		return Menu{}, apperr.Missing("button")
	}
	if m.Button == nil {
		m.Button = []Button{}
	}
	return m, nil
}

// buttons decodes a list of buttons found at path.
func buttons(v any, path string) ([]Button, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, apperr.Invalidf(path, "must be an array of buttons").WithKey("err.menu.buttons", path)
	}
	out := make([]Button, 0, len(list))
	for i, e := range list {
		b, err := button(e, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

var knownFields = append(slices.Clone(textFields), fSubButton)

// button decodes one button found at path.
func button(v any, path string) (Button, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return Button{}, apperr.Invalidf(path, "must be a JSON object").WithKey("err.field.object", path)
	}
	var b Button
	for _, k := range sortedKeys(obj) {
		if k == fSubButton {
			subs, err := buttons(obj[k], path+"."+fSubButton)
			if err != nil {
				return Button{}, err
			}
			b.SubButton = subs
			continue
		}
		dst := field(&b, k)
		if dst == nil {
			return Button{}, apperr.Invalidf(path+"."+k, "is not a field of a menu button (WeChat's are %s)",
				strings.Join(knownFields, ", ")).WithKey("err.menu.button_field", path+"."+k, strings.Join(knownFields, ", "))
		}
		switch s := obj[k].(type) {
		case nil:
		case string:
			*dst = s
		default:
			return Button{}, apperr.Invalidf(path+"."+k, "must be a string").WithKey("err.field.string", path+"."+k)
		}
	}
	return b, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Normalize answers m as the console keeps it: text fields trimmed, types lower-cased, an empty
// sub_button read as none, and the fields a button's type does not use dropped. A parent button keeps its
// type, if it has one, so that Validate can say it should not.
func Normalize(m Menu) Menu {
	out := Menu{Button: make([]Button, 0, len(m.Button))}
	for _, b := range m.Button {
		out.Button = append(out.Button, normalizeButton(b))
	}
	return out
}

func normalizeButton(b Button) Button {
	for _, f := range textFields {
		p := field(&b, f)
		*p = strings.TrimSpace(*p)
	}
	b.Type = strings.ToLower(b.Type)
	if len(b.SubButton) > 0 {
		subs := make([]Button, 0, len(b.SubButton))
		for _, s := range b.SubButton {
			subs = append(subs, normalizeButton(s))
		}
		return Button{Type: b.Type, Name: b.Name, SubButton: subs}
	}
	b.SubButton = nil
	used, known := typeFields[b.Type]
	if !known {
		return b
	}
	out := Button{Type: b.Type, Name: b.Name}
	for _, f := range used {
		*field(&out, f) = *field(&b, f)
	}
	return out
}

package menu

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Validate answers the first of m's problems (see Problems), nil when WeChat would accept the menu.
func (m Menu) Validate() error {
	if p := m.Problems(); len(p) > 0 {
		return p[0]
	}
	return nil
}

// Problems answers every rule m breaks, in menu order, each a 40000 naming the field by its path
// (button[1].sub_button[2].name, 0-based), so a page can mark them all at once. m should be normalised
// (Normalize): Problems judges the fields as they are.
func (m Menu) Problems() []*apperr.Error {
	v := &validator{keys: map[string]string{}}
	switch n := len(m.Button); {
	case n == 0:
		v.add("err.menu.buttons_count", "button", "a menu needs 1 to %d buttons", MaxButtons)
	case n > MaxButtons:
		v.add("err.menu.buttons_max", "button", "has %d buttons; WeChat allows at most %d at the top level", n, MaxButtons)
	}
	for i, b := range m.Button {
		p := fmt.Sprintf("button[%d]", i)
		v.name(p, b.Name, MaxTopName, "a top-level button's")
		if len(b.SubButton) == 0 {
			v.leaf(p, b)
			continue
		}
		if b.Type != "" {
			v.add("err.menu.type_with_subs", p+"."+fType, "must be empty: a button with sub-buttons only opens them (remove the type or the sub-buttons)")
		}
		if n := len(b.SubButton); n > MaxSubButtons {
			v.add("err.menu.sub_buttons_max", p+"."+fSubButton, "has %d sub-buttons; WeChat allows at most %d", n, MaxSubButtons)
		}
		for j, s := range b.SubButton {
			sp := fmt.Sprintf("%s.sub_button[%d]", p, j)
			v.name(sp, s.Name, MaxSubName, "a sub-button's")
			if len(s.SubButton) > 0 {
				v.add("err.menu.two_levels", sp+"."+fSubButton, "must be empty: WeChat's menus have two levels, sub-buttons have no sub-buttons")
				continue
			}
			v.leaf(sp, s)
		}
	}
	return v.problems
}

type validator struct {
	problems []*apperr.Error
	keys     map[string]string // folded click key -> path of the button that has it
}

func (v *validator) add(key, field, format string, args ...any) {
	v.problems = append(v.problems, apperr.Invalidf(field, format, args...).WithKey(key, append([]any{field}, args...)...))
}

// whoseTerms are name's whose in the catalogue's words, so the pages say them in the operator's language.
var whoseTerms = map[string]apperr.Term{"a top-level button's": "err.menu.whose.top", "a sub-button's": "err.menu.whose.sub"}

// name checks a button's name: present, short enough in UTF-8 bytes, printable.
func (v *validator) name(p, name string, limit int, whose string) {
	f := p + "." + fName
	switch {
	case name == "":
		v.add("err.required", f, "is required")
	case len(name) > limit:
		v.problems = append(v.problems, apperr.Invalidf(f, "is %d bytes; %s name is at most %d bytes in UTF-8 (a Chinese character counts 3)",
			len(name), whose, limit).WithKey("err.menu.name_bytes", f, len(name), whoseTerms[whose], limit))
	default:
		v.text(f, name)
	}
}

// text refuses what menu/create cannot take: invalid UTF-8, control characters and the line and paragraph
// separators, which JSON encoders write as \u escapes (WeChat answers 40033).
func (v *validator) text(f, s string) bool {
	if !utf8.ValidString(s) {
		v.add("err.menu.utf8", f, "is not valid UTF-8 text")
		return false
	}
	if i := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}); i >= 0 {
		v.add("err.menu.name_control", f, "must not contain control characters or line breaks")
		return false
	}
	return true
}

// leaf checks a button without sub-buttons: its type and the fields that type needs.
func (v *validator) leaf(p string, b Button) {
	if b.Type == "" {
		v.add("err.menu.type_required", p+"."+fType, "is required: a button without sub-buttons needs a type (%s)", strings.Join(Types, ", "))
		return
	}
	used, ok := typeFields[b.Type]
	if !ok {
		v.add("err.menu.type_unknown", p+"."+fType, "%q is not a button type; WeChat's are %s", b.Type, strings.Join(Types, ", "))
		return
	}
	for _, f := range used {
		val := *field(&b, f)
		fp := p + "." + f
		if val == "" {
			v.add("err.menu.field_required", fp, "is required for a %s button", b.Type)
			continue
		}
		if !v.text(fp, val) {
			continue
		}
		switch f {
		case fKey:
			if len(val) > MaxKey {
				v.add("err.menu.key_bytes", fp, "is %d bytes; a key is at most %d bytes", len(val), MaxKey)
			}
		case fURL:
			v.url(fp, val)
		}
	}
	if b.Type == TypeClick && b.Key != "" && len(b.Key) <= MaxKey {
		k := foldKey(b.Key)
		if first, dup := v.keys[k]; dup {
			v.add("err.menu.key_taken", p+"."+fKey, "%q is already the key of %s: a click key names the keyword rule that answers it, so each click button needs its own", b.Key, first)
		} else {
			v.keys[k] = p
		}
	}
}

// url checks an absolute http(s) URL of at most MaxURL bytes.
func (v *validator) url(f, s string) {
	if len(s) > MaxURL {
		v.add("err.menu.url_bytes", f, "is %d bytes; a url is at most %d bytes", len(s), MaxURL)
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		v.add("err.menu.url_absolute", f, "must be an absolute http:// or https:// URL")
		return
	}
	if strings.ContainsAny(s, " \t") {
		v.add("err.menu.url_spaces", f, "must not contain spaces (encode them as %%20)")
	}
}

// foldKey compares click keys as the keyword replies compare an EventKey with exact keywords: trimmed,
// Latin letters in any case, everything else as is.
func foldKey(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.IsUpper(r) && unicode.Is(unicode.Latin, r) {
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

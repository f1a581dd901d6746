// Package i18n is the console's catalogue of texts in Chinese and English: the pages' strings and the
// operator-facing sentences of errors (apperr keys, WeChat's explanations). The texts live in data files,
// web/i18n/zh.json and en.json, so adding a string is adding a line to each, sorted by key.
//
// A text is a fmt format: its arguments (%s, %d) are the key's arguments, the same in both languages.
package i18n

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/web"
)

// Languages the console speaks; Chinese is the default.
const (
	ZH      = "zh"
	EN      = "en"
	Default = ZH
)

// Catalogue holds the texts of every language, by key. It is read-only once loaded.
type Catalogue struct {
	tables map[string]map[string]string
}

// Load reads every i18n/<lang>.json of fsys.
func Load(fsys fs.FS) (*Catalogue, error) {
	names, err := fs.Glob(fsys, "i18n/*.json")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("i18n: no i18n/*.json")
	}
	c := &Catalogue{tables: map[string]map[string]string{}}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		table := map[string]string{}
		if err := json.Unmarshal(b, &table); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", name, err)
		}
		c.tables[strings.TrimSuffix(path.Base(name), ".json")] = table
	}
	return c, nil
}

// embedded is the catalogue built into the binary, parsed once. Its files are checked by the package's
// tests, so a broken one never ships.
var embedded = sync.OnceValue(func() *Catalogue {
	c, err := Load(web.I18n)
	if err != nil {
		panic(err)
	}
	return c
})

// Embedded answers the catalogue built into the binary.
func Embedded() *Catalogue { return embedded() }

// Langs answers the languages of the catalogue, sorted.
func (c *Catalogue) Langs() []string {
	out := make([]string, 0, len(c.tables))
	for l := range c.tables {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Keys answers the keys of one language, sorted.
func (c *Catalogue) Keys(lang string) []string {
	out := make([]string, 0, len(c.tables[lang]))
	for k := range c.tables[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether lang has a text for key.
func (c *Catalogue) Has(lang, key string) bool {
	_, ok := c.tables[lang][key]
	return ok
}

// Raw answers the unformatted text of key in lang.
func (c *Catalogue) Raw(lang, key string) (string, bool) {
	s, ok := c.tables[lang][key]
	return s, ok
}

// T answers the text of key in lang with args filled in. A missing key shows as the key in brackets, so
// it is visible on a page and the tests fail on it.
func (c *Catalogue) T(lang, key string, args ...any) string {
	s, ok := c.tables[lang][key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Translator answers T bound to one language, the shape templates call.
func (c *Catalogue) Translator(lang string) func(key string, args ...any) string {
	return func(key string, args ...any) string { return c.T(lang, key, args...) }
}

// Error answers what an operator reads of err in lang: WeChat's explanation with its code, an apperr's
// keyed message, or else the error's English message. Internal failures never show their cause.
func (c *Catalogue) Error(lang string, err error) string {
	var wx apperr.WeChatError
	if errors.As(err, &wx) {
		code := strconv.Itoa(wx.WeChatCode())
		if key, args := wx.ExplanationKey(); key != "" && c.Has(lang, key) {
			return c.T(lang, key, args...) + c.T(lang, "err.wechat.code", code)
		}
		return c.T(lang, "err.wechat.raw", code, wx.WeChatMsg())
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		if ae.Kind == apperr.Internal {
			return c.T(lang, "err.internal")
		}
		if ae.Key != "" && c.Has(lang, ae.Key) {
			return c.T(lang, ae.Key, c.terms(lang, ae.Args)...)
		}
		return ae.Msg
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return c.T(lang, "err.timeout")
	}
	return c.T(lang, "err.internal")
}

// terms answers args with every apperr.Term in lang's words.
func (c *Catalogue) terms(lang string, args []any) []any {
	out := args
	for i, a := range args {
		if t, ok := a.(apperr.Term); ok {
			if &out[0] == &args[0] {
				out = append([]any(nil), args...)
			}
			out[i] = c.T(lang, string(t))
		}
	}
	return out
}

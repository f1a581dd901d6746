package pages

import (
	"fmt"
	"net/http"
	"strings"
)

// Languages the pages speak; Chinese is the default.
const (
	LangZH = "zh"
	LangEN = "en"
)

// LangCookie remembers an operator's choice of language.
const LangCookie = "SocialinzenLang"

// pickLang chooses the page language: the cookie, else the browser's first preference, else Chinese.
func pickLang(r *http.Request) string {
	if c, err := r.Cookie(LangCookie); err == nil && (c.Value == LangZH || c.Value == LangEN) {
		return c.Value
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return LangZH
		case strings.HasPrefix(tag, "en"):
			return LangEN
		}
	}
	return LangZH
}

// translator answers the text of a key in one language. A missing key shows as the key itself in
// brackets so it is visible on the page, and the tests fail on it.
func translator(lang string) func(key string, args ...any) string {
	table := messages[lang]
	return func(key string, args ...any) string {
		s, ok := table[key]
		if !ok {
			return "[" + key + "]"
		}
		if len(args) > 0 {
			return fmt.Sprintf(s, args...)
		}
		return s
	}
}

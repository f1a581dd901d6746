package pages

import (
	"net/http"
	"strings"

	"github.com/socialinzen/socialinzen/internal/i18n"
)

// Languages the pages speak; Chinese is the default. The texts are the i18n catalogue's
// (web/i18n/zh.json and en.json).
const (
	LangZH = i18n.ZH
	LangEN = i18n.EN
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
	return i18n.Embedded().Translator(lang)
}

// localizedError answers what an operator reads of err in lang: WeChat's explanation and apperr's keyed
// messages in their language, other messages as the API words them.
func localizedError(lang string, err error) string {
	return i18n.Embedded().Error(lang, err)
}

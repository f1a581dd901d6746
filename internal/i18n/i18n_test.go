package i18n

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// verbs are a text's fmt verbs, in order: both languages must take the same arguments the same way.
var verbs = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// TestEveryKeyTranslated fails when a key is in one language and not the other, is empty, or takes other
// arguments in the other language.
func TestEveryKeyTranslated(t *testing.T) {
	c := Embedded()
	require.Equal(t, []string{EN, ZH}, c.Langs())
	require.Greater(t, len(c.Keys(ZH)), 300)
	for _, pair := range [][2]string{{ZH, EN}, {EN, ZH}} {
		for _, key := range c.Keys(pair[0]) {
			require.True(t, c.Has(pair[1], key), "%s is in %s, not in %s", key, pair[0], pair[1])
		}
	}
	for _, lang := range c.Langs() {
		for _, key := range c.Keys(lang) {
			text, _ := c.Raw(lang, key)
			require.NotEmpty(t, strings.TrimSpace(text), "%s: %s is empty", lang, key)
			zh, _ := c.Raw(ZH, key)
			en, _ := c.Raw(EN, key)
			require.Equal(t, verbs.FindAllString(zh, -1), verbs.FindAllString(en, -1),
				"%s takes the same arguments in both languages", key)
		}
	}
}

func TestT(t *testing.T) {
	c, err := Load(fstest.MapFS{
		"i18n/zh.json": {Data: []byte(`{"a.b": "你好 %s"}`)},
		"i18n/en.json": {Data: []byte(`{"a.b": "hello %s"}`)},
	})
	require.NoError(t, err)
	require.Equal(t, "你好 x", c.T(ZH, "a.b", "x"))
	require.Equal(t, "hello x", c.Translator(EN)("a.b", "x"))
	require.Equal(t, "[a.c]", c.T(EN, "a.c"), "a missing key shows")

	_, err = Load(fstest.MapFS{"i18n/zh.json": {Data: []byte(`{"a": 1}`)}})
	require.ErrorContains(t, err, "zh.json")
	_, err = Load(fstest.MapFS{})
	require.Error(t, err)
}

type wxErr struct{ code int }

func (e wxErr) Error() string       { return fmt.Sprintf("wechat %d", e.code) }
func (e wxErr) WeChatCode() int     { return e.code }
func (e wxErr) WeChatMsg() string   { return "invalid ip 1.2.3.4 rid: x" }
func (e wxErr) Explanation() string { return "" }
func (e wxErr) ExplanationKey() (string, []any) {
	if e.code == 40164 {
		return "wx.err.ip.addr", []any{"1.2.3.4"}
	}
	return "", nil
}

// TestError shows an operator each kind of failure in their language.
func TestError(t *testing.T) {
	c := Embedded()
	wrapped := fmt.Errorf("op: %w", wxErr{40164})
	require.Equal(t, "微信拒绝了来自本服务器的调用：请把本服务器的 IP（1.2.3.4）加入公众号的 IP 白名单（「设置与开发 → 基本配置」）。（微信错误 40164）", c.Error(ZH, wrapped))
	require.Contains(t, c.Error(EN, wrapped), "(1.2.3.4)")
	require.Contains(t, c.Error(EN, wrapped), "(WeChat error 40164)")
	require.Equal(t, "微信返回错误 99999：invalid ip 1.2.3.4 rid: x", c.Error(ZH, wxErr{99999}))

	require.Equal(t, "title：必填", c.Error(ZH, fmt.Errorf("add: %w", apperr.Missing("title"))))
	require.Equal(t, "title: is required", c.Error(EN, apperr.Missing("title")))
	require.Equal(t, "name: too long", c.Error(ZH, apperr.Invalidf("name", "too long")), "an unkeyed message shows as the API words it")
	big := apperr.New(apperr.TooLarge, "file too large: an image may be at most 10 MB").
		WithKey("materials.err.too_large", apperr.Term("materials.kind.a.image"), "10 MB")
	require.Equal(t, "文件太大：图片最大 10 MB", c.Error(ZH, big), "a Term argument is a word of the catalogue")
	require.Equal(t, big.Msg, c.Error(EN, big))
	require.Equal(t, apperr.Term("materials.kind.a.image"), big.Args[0], "the error's arguments stay as they were")
	require.Equal(t, "内部错误，详情见控制台日志", c.Error(ZH, apperr.Wrap(apperr.Internal, "db down", errors.New("secret detail"))))
	require.Equal(t, "内部错误，详情见控制台日志", c.Error(ZH, errors.New("secret detail")))
}

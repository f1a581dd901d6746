package menu_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/i18n"
	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
)

// A few builders for menus in JSON, so each case shows only what it is about.
func jmenu(buttons ...string) string { return `{"button":[` + strings.Join(buttons, ",") + `]}` }

// js answers s as a JSON string.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func click(name, key string) string {
	return fmt.Sprintf(`{"type":"click","name":%s,"key":%s}`, js(name), js(key))
}

func view(name, url string) string {
	return fmt.Sprintf(`{"type":"view","name":%s,"url":%s}`, js(name), js(url))
}

func parent(name string, subs ...string) string {
	return fmt.Sprintf(`{"name":%s,"sub_button":[%s]}`, js(name), strings.Join(subs, ","))
}

func clicks(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = click(fmt.Sprintf("%s%d", prefix, i), fmt.Sprintf("%s_KEY_%d", prefix, i))
	}
	return out
}

// requireInvalid checks err is a 40000 naming field, with msg in its message when not empty.
func requireInvalid(t *testing.T, err error, field, msg string) {
	t.Helper()
	require.Error(t, err)
	var ae *apperr.Error
	require.ErrorAs(t, err, &ae)
	require.Equal(t, apperr.Invalid, ae.Kind, "%v", err)
	require.Equal(t, field, ae.Field, "%v", err)
	status, body, _ := httpapi.Describe(err)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, 40000, body.Errcode)
	require.True(t, strings.HasPrefix(body.Msg, field+": "), "the message names the field: %q", body.Msg)
	if msg != "" {
		require.Contains(t, body.Msg, msg)
	}
	// The pages say it in the operator's language: keyed, in English word for word what the API says.
	c := i18n.Embedded()
	require.NotEmpty(t, ae.Key, "%v", err)
	require.Equal(t, body.Msg, c.Error(i18n.EN, err))
	zh := c.Error(i18n.ZH, err)
	require.NotContains(t, zh, "%!", "%s takes its arguments", ae.Key)
	require.NotEqual(t, body.Msg, zh, "%s is in Chinese", ae.Key)
}

func TestParseValidation(t *testing.T) {
	t.Parallel()
	zh := func(n int) string { return strings.Repeat("菜", n) } // 3 bytes each
	ascii := func(n int) string { return strings.Repeat("a", n) }
	longURL := func(n int) string { p := "https://example.com/"; return p + strings.Repeat("x", n-len(p)) }

	cases := []struct {
		name  string
		menu  string
		field string // "" when valid
		msg   string
	}{
		// Counts.
		{"one button", jmenu(click("a", "A")), "", ""},
		{"three buttons", jmenu(clicks(3, "b")...), "", ""},
		{"no buttons", jmenu(), "button", "1 to 3"},
		{"four buttons", jmenu(clicks(4, "b")...), "button", "at most 3"},
		{"button missing", `{}`, "button", "required"},
		{"button null", `{"button":null}`, "button", "1 to 3"},
		{"five sub-buttons", jmenu(click("a", "A"), parent("p", clicks(5, "s")...)), "", ""},
		{"six sub-buttons", jmenu(click("a", "A"), parent("p", clicks(6, "s")...)), "button[1].sub_button", "at most 5"},
		{"third level", jmenu(parent("p", click("a", "A"), parent("deep", click("b", "B")))),
			"button[0].sub_button[1].sub_button", "two levels"},

		// Names, in UTF-8 bytes.
		{"top name 5 Chinese = 15 bytes", jmenu(click(zh(5), "K")), "", ""},
		{"top name 6 Chinese = 18 bytes", jmenu(click(zh(6), "K")), "button[0].name", "18 bytes"},
		{"top name 5 Chinese + 1 letter = 16 bytes", jmenu(click(zh(5)+"a", "K")), "", ""},
		{"top name 5 Chinese + 2 letters = 17 bytes", jmenu(click(zh(5)+"ab", "K")), "button[0].name", "at most 16"},
		{"top name 16 letters", jmenu(click(ascii(16), "K")), "", ""},
		{"top name 17 letters", jmenu(click(ascii(17), "K")), "button[0].name", "at most 16"},
		{"parent name 6 Chinese", jmenu(parent(zh(6), click("a", "A"))), "button[0].name", "at most 16"},
		{"sub name 20 Chinese = 60 bytes", jmenu(parent("p", click(zh(20), "A"))), "", ""},
		{"sub name 21 Chinese = 63 bytes", jmenu(parent("p", click(zh(21), "A"))), "button[0].sub_button[0].name", "at most 60"},
		{"sub name 60 letters", jmenu(parent("p", click(ascii(60), "A"))), "", ""},
		{"sub name 61 letters", jmenu(parent("p", click(ascii(61), "A"))), "button[0].sub_button[0].name", "61 bytes"},
		{"empty name", jmenu(click("", "K")), "button[0].name", "required"},
		{"blank name", jmenu(click("  ", "K")), "button[0].name", "required"},
		{"missing name", jmenu(`{"type":"click","key":"K"}`), "button[0].name", "required"},
		{"empty sub name", jmenu(parent("p", click("a", "A"), click("", "B"))), "button[0].sub_button[1].name", "required"},
		{"emoji name", jmenu(click("🍜菜单", "K")), "", ""},
		{"control character", jmenu(click("a\u0007b", "K")), "button[0].name", "control"},
		{"line break", jmenu(click("a\nb", "K")), "button[0].name", "control"},
		{"line separator", jmenu(click("a\u2028b", "K")), "button[0].name", "control"},

		// The contract's example, 0-based.
		{"contract example path", jmenu(click("a", "A"), parent("p", click("x", "X"), click("y", "Y"), click(zh(21), "Z"))),
			"button[1].sub_button[2].name", ""},

		// Types.
		{"leaf without type", jmenu(`{"name":"a","key":"K"}`), "button[0].type", "needs a type"},
		{"leaf with empty sub_button and no type", jmenu(`{"name":"a","sub_button":[]}`), "button[0].type", "needs a type"},
		{"leaf with empty sub_button and a type", jmenu(`{"type":"click","name":"a","key":"K","sub_button":[]}`), "", ""},
		{"parent with a type", jmenu(`{"type":"click","name":"p","key":"K","sub_button":[` + click("a", "A") + `]}`),
			"button[0].type", "sub-buttons"},
		{"unknown type", jmenu(`{"type":"text","name":"a","key":"K"}`), "button[0].type", `"text" is not a button type`},
		{"view_limited is not offered", jmenu(`{"type":"view_limited","name":"a","media_id":"M"}`), "button[0].type", "not a button type"},
		{"sub-button unknown type", jmenu(parent("p", `{"type":"news","name":"a"}`)), "button[0].sub_button[0].type", "not a button type"},
		{"type in capitals", jmenu(`{"type":"CLICK","name":"a","key":"K"}`), "", ""},

		// Keys.
		{"key 128 bytes", jmenu(click("a", ascii(128))), "", ""},
		{"key 129 bytes", jmenu(click("a", ascii(129))), "button[0].key", "at most 128"},
		{"key 43 Chinese = 129 bytes", jmenu(parent("p", click("a", zh(43)))), "button[0].sub_button[0].key", "129 bytes"},
		{"duplicate click keys", jmenu(click("a", "K"), parent("p", click("b", "X"), click("c", "K"))),
			"button[1].sub_button[1].key", "button[0]"},
		{"duplicate click keys in another case", jmenu(click("a", "Help"), click("b", "help")), "button[1].key", "already"},
		{"same key on a click and a scan button", jmenu(click("a", "K"), `{"type":"scancode_push","name":"b","key":"K"}`), "", ""},

		// URLs.
		{"url 1024 bytes", jmenu(view("a", longURL(1024))), "", ""},
		{"url 1025 bytes", jmenu(view("a", longURL(1025))), "button[0].url", "at most 1024"},
		{"sub url 1025 bytes", jmenu(parent("p", view("a", longURL(1025)))), "button[0].sub_button[0].url", "at most 1024"},
		{"url http", jmenu(view("a", "http://example.com")), "", ""},
		{"url in capitals", jmenu(view("a", "HTTPS://EXAMPLE.COM/X")), "", ""},
		{"url relative", jmenu(view("a", "/menu")), "button[0].url", "absolute"},
		{"url without scheme", jmenu(view("a", "example.com/x")), "button[0].url", "absolute"},
		{"url ftp", jmenu(view("a", "ftp://example.com/x")), "button[0].url", "http"},
		{"url javascript", jmenu(view("a", "javascript:alert(1)")), "button[0].url", "http"},
		{"url without host", jmenu(view("a", "https:///x")), "button[0].url", "absolute"},
		{"url with a space", jmenu(view("a", "https://example.com/a b")), "button[0].url", "spaces"},

		// Fields.
		{"unknown field", jmenu(`{"type":"click","name":"a","key":"K","foo":1}`), "button[0].foo", "not a field"},
		{"misspelt field", jmenu(parent("p", `{"type":"media_id","name":"a","mediaId":"M"}`)), "button[0].sub_button[0].mediaId", "media_id"},
		{"selfmenu's value field", jmenu(`{"type":"text","name":"a","value":"hi"}`), "button[0].value", "not a field"},
		{"unknown top-level field", `{"button":[` + click("a", "K") + `],"matchrule":{}}`, "matchrule", "not a field"},
		{"menuid is dropped", `{"button":[` + click("a", "K") + `],"menuid":208396938}`, "", ""},
		{"name not a string", jmenu(`{"type":"click","name":5,"key":"K"}`), "button[0].name", "must be a string"},
		{"null field", jmenu(`{"type":"click","name":"a","key":"K","url":null}`), "", ""},
		{"button not an array", `{"button":{"name":"a"}}`, "button", "array"},
		{"button not an object", jmenu(`"a"`), "button[0]", "object"},
		{"sub_button in selfmenu shape", jmenu(`{"name":"p","sub_button":{"list":[]}}`), "button[0].sub_button", "array"},
		{"menu not an object", `[]`, "menu", "object"},
		{"menu not JSON", `{"button":`, "menu", "JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := menu.Parse(json.RawMessage(tc.menu))
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			requireInvalid(t, err, tc.field, tc.msg)
		})
	}
}

// TestRequiredFields checks each type's required fields, at the top and below, one missing at a time.
func TestRequiredFields(t *testing.T) {
	t.Parallel()
	full := map[string]string{"key": "K", "url": "https://example.com/", "media_id": "MEDIA",
		"article_id": "ARTICLE", "appid": "wx286b93c14bbf93aa", "pagepath": "pages/index"}
	required := map[string][]string{
		"click": {"key"}, "scancode_push": {"key"}, "scancode_waitmsg": {"key"}, "pic_sysphoto": {"key"},
		"pic_photo_or_album": {"key"}, "pic_weixin": {"key"}, "location_select": {"key"}, "view": {"url"},
		"media_id": {"media_id"}, "article_id": {"article_id"}, "article_view_limited": {"article_id"},
		"miniprogram": {"url", "appid", "pagepath"},
	}
	require.ElementsMatch(t, menu.Types, keys(required), "every type has its case")
	build := func(typ string, fields []string, without string) string {
		b := map[string]string{"type": typ, "name": "n"}
		for _, f := range fields {
			if f != without {
				b[f] = full[f]
			}
		}
		data, _ := json.Marshal(b)
		return string(data)
	}
	for typ, fields := range required {
		for _, level := range []string{"top", "sub"} {
			wrap := func(b string) (string, string) {
				if level == "top" {
					return jmenu(b), "button[0]"
				}
				return jmenu(click("a", "A"), parent("p", click("b", "B"), b)), "button[1].sub_button[1]"
			}
			t.Run(typ+" "+level+" complete", func(t *testing.T) {
				m, _ := wrap(build(typ, fields, ""))
				_, err := menu.Parse(json.RawMessage(m))
				require.NoError(t, err)
			})
			for _, f := range fields {
				t.Run(typ+" "+level+" without "+f, func(t *testing.T) {
					m, path := wrap(build(typ, fields, f))
					_, err := menu.Parse(json.RawMessage(m))
					requireInvalid(t, err, path+"."+f, "required for a "+typ+" button")
				})
			}
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestParseNormalizes(t *testing.T) {
	t.Parallel()
	in := `{"button":[
	  {"type":" Click ","name":" 今日歌曲 ","key":" K1 ","url":"http://ignored.example.com","sub_button":[]},
	  {"name":"菜单","key":"dropped","sub_button":[
	    {"type":"view","name":"搜索","url":"http://www.soso.com/","key":"dropped","media_id":"dropped"},
	    {"type":"miniprogram","name":"wxa","url":"http://mp.weixin.qq.com","appid":"wx286b93c14bbf93aa","pagepath":"pages/lunar/index","key":"x"}]}],
	  "menuid": 1}`
	m, err := menu.Parse(json.RawMessage(in))
	require.NoError(t, err)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	require.JSONEq(t, `{"button":[
	  {"type":"click","name":"今日歌曲","key":"K1"},
	  {"name":"菜单","sub_button":[
	    {"type":"view","name":"搜索","url":"http://www.soso.com/"},
	    {"type":"miniprogram","name":"wxa","url":"http://mp.weixin.qq.com","appid":"wx286b93c14bbf93aa","pagepath":"pages/lunar/index"}]}]}`,
		string(out))
}

func TestProblemsListsEveryProblem(t *testing.T) {
	t.Parallel()
	m := menu.Normalize(menu.Menu{Button: []menu.Button{
		{Type: "click", Name: "菜单菜单菜单", Key: ""},
		{Name: "p", SubButton: []menu.Button{{Type: "view", Name: "v", URL: "ftp://x"}, {Name: "n"}}},
	}})
	var fields []string
	for _, p := range m.Problems() {
		fields = append(fields, p.Field)
	}
	require.Equal(t, []string{"button[0].name", "button[0].key", "button[1].sub_button[0].url", "button[1].sub_button[1].type"}, fields)
	requireInvalid(t, m.Validate(), "button[0].name", "")
}

func TestClickKeysOfMenu(t *testing.T) {
	t.Parallel()
	m, err := menu.Parse(json.RawMessage(jmenu(click("a", "A"), parent("p", view("v", "https://x.example"),
		click("b", "B"), `{"type":"scancode_push","name":"s","key":"S"}`), click("c", "C"))))
	require.NoError(t, err)
	require.Equal(t, []string{"A", "B", "C"}, m.ClickKeys())
}

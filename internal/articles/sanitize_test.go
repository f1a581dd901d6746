package articles

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

const okImage = "http://mmbiz.qpic.cn/sz_mmbiz_jpg/abc/0?wx_fmt=jpeg"

func TestSanitize(t *testing.T) {
	images := map[string]bool{okImage: true}
	cases := []struct {
		name, in, out string
		removed       []Removal
	}{
		{"plain", `<h2>标题</h2><p><strong>粗</strong> <a href="https://example.com/x">链接</a></p><ul><li>一</li></ul>`,
			`<h2>标题</h2><p><strong>粗</strong> <a href="https://example.com/x">链接</a></p><ul><li>一</li></ul>`, nil},
		{"script", `<p>a</p><script>alert(1)</script><p>b</p>`, `<p>a</p><p>b</p>`,
			[]Removal{{Kind: "element", Detail: "script", Count: 1}}},
		{"style element", `<style>p{color:red}</style><p>x</p>`, `<p>x</p>`, []Removal{{Kind: "element", Detail: "style", Count: 1}}},
		{"iframe", `<p>x</p><iframe src="https://evil.example/"></iframe>`, `<p>x</p>`, []Removal{{Kind: "element", Detail: "iframe", Count: 1}}},
		{"event attribute", `<p onclick="steal()">x</p><p onmouseover=x>y</p>`, `<p>x</p><p>y</p>`,
			[]Removal{{Kind: "attribute", Detail: "onclick", Count: 1}, {Kind: "attribute", Detail: "onmouseover", Count: 1}}},
		{"javascript link", `<a href=" JaVa&#x09;script:alert(1)">x</a>`, `x`,
			[]Removal{{Kind: "url", Detail: "JaVa\tscript:alert(1)", Count: 1}}},
		{"uploaded image kept", `<p><img src="` + okImage + `" alt="a"></p>`, `<p><img src="` + strings.ReplaceAll(okImage, "&", "&amp;") + `" alt="a"></p>`, nil},
		{"foreign image removed", `<p><img src="https://example.com/a.png">x</p>`, `<p>x</p>`,
			[]Removal{{Kind: "image", Detail: "https://example.com/a.png", Count: 1}}},
		{"inline style kept, bad one dropped", `<p style="color: red; position: fixed">x</p>`, `<p style="color: red">x</p>`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, removed := sanitize(0, c.in, images)
			require.Equal(t, c.out, out)
			require.Equal(t, c.removed, removed)
		})
	}
}

func TestImageSources(t *testing.T) {
	require.Equal(t, []string{"/apis/articles/image/1", "http://a/b?x=1&y=2"},
		imageSources(`<img src="/apis/articles/image/1"><IMG alt=x SRC='http://a/b?x=1&amp;y=2'><img src="/apis/articles/image/1">`))
}

// FuzzSanitize proves that whatever an operator or a script sends, no script survives: no script, style,
// iframe, object or embed element, no event attribute, no javascript:, vbscript: or data: URL, and no
// picture but the allowed one.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		`<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, `<a href="javascript:alert(1)">x</a>`,
		`<svg><script>alert(1)</script></svg>`, `<scr<script>ipt>alert(1)</script>`, `<iframe srcdoc="<script>x</script>">`,
		`<p style="background:url(javascript:alert(1))">x</p>`, `<a href="&#106;avascript:alert(1)">x</a>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`, `<object data="x.swf"></object>`,
		`<img src="` + okImage + `">`, `<!--<script>-->`, `<p>正文</p>`,
	} {
		f.Add(s)
	}
	images := map[string]bool{okImage: true}
	f.Fuzz(func(t *testing.T, in string) {
		out, _ := sanitize(0, in, images)
		z := html.NewTokenizer(strings.NewReader(out))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
				continue
			}
			tok := z.Token()
			switch tok.Data {
			case "script", "style", "iframe", "object", "embed", "svg", "math", "form", "base", "meta", "link":
				t.Fatalf("<%s> survived in %q", tok.Data, out)
			}
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				if strings.HasPrefix(k, "on") {
					t.Fatalf("attribute %s survived in %q", k, out)
				}
				if (k == "href" || k == "src") && scriptURL(a.Val) {
					t.Fatalf("script URL %q survived in %q", a.Val, out)
				}
				if k == "src" && a.Val != okImage {
					t.Fatalf("picture %q survived in %q", a.Val, out)
				}
				if k == "style" && strings.Contains(strings.ToLower(a.Val), "javascript") {
					t.Fatalf("style %q survived in %q", a.Val, out)
				}
			}
		}
	})
}

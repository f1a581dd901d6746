package articles

import (
	"regexp"
	"slices"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// The HTML an article may hold: what WeChat's editor produces and keeps. No script, style, iframe,
// object, form or any other active element; no event attributes; links only http(s) (and mailto);
// images only from the pictures uploaded through uploadArticleImage (WeChat shows no others: its
// picture host refuses other sites, and WeChat rewrites foreign images at publishing). Inline styles are
// kept for the properties WeChat's articles use, each value checked by bluemonday.
var (
	textElements = []string{"p", "br", "span", "strong", "b", "em", "i", "u", "s", "del", "ins", "sub", "sup",
		"h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "section", "div", "pre", "code",
		"hr", "figure", "figcaption", "mark", "small", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
		"caption", "colgroup", "col"}
	styleProperties = []string{"color", "background-color", "font-size", "font-weight", "font-style",
		"text-align", "text-decoration", "text-indent", "line-height", "letter-spacing", "margin",
		"margin-top", "margin-bottom", "margin-left", "margin-right", "padding", "padding-top",
		"padding-bottom", "padding-left", "padding-right", "border", "border-radius", "width", "max-width",
		"height", "box-sizing", "vertical-align"}
	allowedElements = append(slices.Clone(textElements), "a", "img")
)

// newPolicy builds the policy for one save: images is the set of picture URLs the content may show.
func newPolicy(images map[string]bool) *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(textElements...)
	p.AllowStyles(styleProperties...).Globally()
	p.AllowAttrs("href", "title").OnElements("a")
	p.AllowAttrs("alt", "title", "width", "height").OnElements("img")
	p.AllowAttrs("colspan", "rowspan", "align").OnElements("td", "th")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	urls := make([]string, 0, len(images))
	for u := range images {
		urls = append(urls, regexp.QuoteMeta(u))
	}
	slices.Sort(urls)
	pattern := `[^\s\S]` // matches nothing: no picture allowed
	if len(urls) > 0 {
		pattern = `^(?:` + strings.Join(urls, "|") + `)$`
	}
	p.AllowAttrs("src").Matching(regexp.MustCompile(pattern)).OnElements("img")
	return p
}

// sanitize answers content reduced to the article policy and what was taken out of article index.
// images holds the picture URLs allowed. The policy is the authority on the output; the report is
// computed beside it from the same rules, for the operator.
func sanitize(index int, content string, images map[string]bool) (string, []Removal) {
	out := newPolicy(images).Sanitize(content)
	return strings.TrimSpace(out), report(index, content, images)
}

// report walks content's tags and lists the elements, event attributes, script URLs and pictures the
// policy does not keep, each once with a count.
func report(index int, content string, images map[string]bool) []Removal {
	var out []Removal
	add := func(kind, detail string) {
		for i := range out {
			if out[i].Kind == kind && out[i].Detail == detail {
				out[i].Count++
				return
			}
		}
		if len(out) < 100 {
			out = append(out, Removal{Index: index, Kind: kind, Detail: detail, Count: 1})
		}
	}
	z := html.NewTokenizer(strings.NewReader(content))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		name := tok.Data
		if !slices.Contains(allowedElements, name) {
			add(RemovedElement, name)
			continue
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case strings.HasPrefix(key, "on"):
				add(RemovedAttribute, key)
			case key == "href" || key == "src":
				if scriptURL(a.Val) {
					add(RemovedURL, truncate(strings.TrimSpace(a.Val), 80))
				} else if name == "img" && key == "src" && !images[a.Val] {
					add(RemovedImage, truncate(a.Val, 200))
				}
			}
		}
	}
}

// scriptURL reports a URL that runs code or embeds a document: javascript:, vbscript:, data:, whatever
// the case, spacing and control characters.
func scriptURL(v string) bool {
	v = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToLower(v))
	return strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") || strings.HasPrefix(v, "data:")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// imgSrc finds the src attributes of images, to look their pictures up.
var imgSrc = regexp.MustCompile(`(?i)<img\b[^>]*?\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)

// imageSources answers the distinct src values of content's images (HTML-unescaped).
func imageSources(content string) []string {
	var out []string
	for _, m := range imgSrc.FindAllStringSubmatch(content, 200) {
		v := html.UnescapeString(m[1] + m[2] + m[3])
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

package apidocs

import (
	"html"
	"html/template"
	"regexp"
	"strings"
)

// markdown renders the small subset of Markdown the document's descriptions use: paragraphs, "- " lists
// (with indented continuation lines), "## " and "### " headings, pipe tables, `code` and **strong**.
// Everything is escaped first: the output holds no markup but the page's own.
func markdown(src string) template.HTML {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			i++
		case strings.HasPrefix(trimmed, "### "):
			b.WriteString("<h5>" + inlineText(trimmed[4:]) + "</h5>\n")
			i++
		case strings.HasPrefix(trimmed, "## "):
			b.WriteString("<h4>" + inlineText(trimmed[3:]) + "</h4>\n")
			i++
		case strings.HasPrefix(trimmed, "|"):
			var rows []string
			for i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|") {
				rows = append(rows, strings.TrimSpace(lines[i]))
				i++
			}
			b.WriteString(table(rows))
		case strings.HasPrefix(trimmed, "- "):
			b.WriteString("<ul>\n")
			for i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "- ") {
				item := strings.TrimSpace(lines[i])[2:]
				i++
				// Continuation lines are indented and are not a new item.
				for i < len(lines) && strings.HasPrefix(lines[i], " ") && strings.TrimSpace(lines[i]) != "" &&
					!strings.HasPrefix(strings.TrimSpace(lines[i]), "- ") {
					item += " " + strings.TrimSpace(lines[i])
					i++
				}
				b.WriteString("<li>" + inlineText(item) + "</li>\n")
			}
			b.WriteString("</ul>\n")
		default:
			var para []string
			for i < len(lines) {
				t := strings.TrimSpace(lines[i])
				if t == "" || strings.HasPrefix(t, "|") || strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "## ") || strings.HasPrefix(t, "### ") {
					break
				}
				para = append(para, t)
				i++
			}
			b.WriteString("<p>" + inlineText(strings.Join(para, " ")) + "</p>\n")
		}
	}
	return template.HTML(b.String()) // #nosec: every piece of text went through inlineText, which escapes
}

// inline renders one line of Markdown without a paragraph around it.
func inline(src string) template.HTML {
	return template.HTML(inlineText(strings.Join(strings.Fields(src), " "))) // #nosec: escaped by inlineText
}

var separatorRow = regexp.MustCompile(`^\|[\s:|-]+\|$`)

func table(rows []string) string {
	var b strings.Builder
	b.WriteString("<table>\n")
	body := false
	for n, row := range rows {
		if separatorRow.MatchString(row) {
			continue
		}
		cells := strings.Split(strings.Trim(row, "|"), "|")
		tag := "td"
		if n == 0 && len(rows) > 1 && separatorRow.MatchString(rows[1]) {
			tag = "th"
			b.WriteString("<thead>")
		} else if !body {
			b.WriteString("<tbody>")
			body = true
		}
		b.WriteString("<tr>")
		for _, c := range cells {
			b.WriteString("<" + tag + ">" + inlineText(strings.TrimSpace(c)) + "</" + tag + ">")
		}
		b.WriteString("</tr>")
		if tag == "th" {
			b.WriteString("</thead>")
		}
		b.WriteString("\n")
	}
	if body {
		b.WriteString("</tbody>")
	}
	b.WriteString("</table>\n")
	return b.String()
}

var (
	codeSpan   = regexp.MustCompile("`([^`]+)`")
	strongSpan = regexp.MustCompile(`\*\*([^*]+)\*\*`)
)

// inlineText escapes s and renders `code` and **strong** in it. Code spans are cut out before the
// emphasis is looked for, so a ** inside code stays as written.
func inlineText(s string) string {
	parts := codeSpan.FindAllStringSubmatchIndex(s, -1)
	var b strings.Builder
	last := 0
	for _, p := range parts {
		b.WriteString(emphasis(html.EscapeString(s[last:p[0]])))
		b.WriteString("<code>" + html.EscapeString(s[p[2]:p[3]]) + "</code>")
		last = p[1]
	}
	b.WriteString(emphasis(html.EscapeString(s[last:])))
	return b.String()
}

func emphasis(escaped string) string {
	return strongSpan.ReplaceAllString(escaped, "<strong>$1</strong>")
}

package wxcrypto

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The writers below append WeChat's XML by hand rather than through encoding/xml: WeChat wants string values
// in CDATA sections, which encoding/xml cannot produce from struct tags, and a fixed element order that is
// cheaper to state than to reflect.

// appendCDATAElem appends <name><![CDATA[v]]></name>.
func appendCDATAElem(b []byte, name, v string) []byte {
	b = appendOpen(b, name)
	b = appendCDATA(b, v)
	return appendClose(b, name)
}

// appendCDATAElemIf appends the element only when v is not empty, for WeChat's optional fields.
func appendCDATAElemIf(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return appendCDATAElem(b, name, v)
}

// appendIntElem appends <name>v</name>; WeChat writes numbers as bare text.
func appendIntElem(b []byte, name string, v int64) []byte {
	b = appendOpen(b, name)
	b = strconv.AppendInt(b, v, 10)
	return appendClose(b, name)
}

// appendFloatElem appends a coordinate or precision with the fewest digits that read back to the same value.
func appendFloatElem(b []byte, name string, v float64) []byte {
	b = appendOpen(b, name)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	return appendClose(b, name)
}

// appendTextElem appends <name>v</name> with v escaped as character data, for the one string WeChat sends
// without CDATA (the envelope's TimeStamp).
func appendTextElem(b []byte, name, v string) []byte {
	b = appendOpen(b, name)
	b = appendEscaped(b, v)
	return appendClose(b, name)
}

func appendOpen(b []byte, name string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	return append(b, '>')
}

func appendClose(b []byte, name string) []byte {
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendCDATA writes v so that any XML parser reads back exactly v. Three things cannot sit inside one CDATA
// section verbatim, and each is handled by closing the section and opening another:
//   - "]]>" would end the section early: it is written as "]]" + "]]><![CDATA[" + ">".
//   - '\r' would be normalised to '\n' by the reader: it is written as the reference &#xD; between sections.
//   - characters XML 1.0 forbids (most C0 controls, invalid UTF-8, U+FFFE/U+FFFF) cannot be represented at
//     all, even as references: they become U+FFFD, as encoding/xml's own escaper does.
func appendCDATA(b []byte, v string) []byte {
	b = append(b, "<![CDATA["...)
	for len(v) > 0 {
		i := strings.IndexFunc(v, needsCDATABreak)
		if i < 0 {
			b = append(b, v...)
			break
		}
		b = append(b, v[:i]...)
		v = v[i:]
		switch r, size := utf8.DecodeRuneInString(v); {
		case r == ']' && strings.HasPrefix(v, "]]>"):
			b = append(b, "]]]]><![CDATA[>"...)
			v = v[3:]
		case r == ']':
			b = append(b, ']')
			v = v[1:]
		case r == '\r':
			b = append(b, "]]>&#xD;<![CDATA["...)
			v = v[1:]
		default: // a rune XML cannot carry, or a byte that is not UTF-8
			b = utf8.AppendRune(b, utf8.RuneError)
			v = v[size:]
		}
	}
	return append(b, "]]>"...)
}

// needsCDATABreak reports the runes appendCDATA must look at; everything else is copied as is. An invalid
// UTF-8 byte arrives here as utf8.RuneError, which is then told apart from a real U+FFFD by its size.
func needsCDATABreak(r rune) bool {
	return r == ']' || r == '\r' || r == utf8.RuneError || !isXMLChar(r)
}

// isXMLChar is the Char production of XML 1.0.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// appendEscaped writes v as character data, with the same replacement of forbidden characters as appendCDATA.
func appendEscaped(b []byte, v string) []byte {
	for len(v) > 0 {
		r, size := utf8.DecodeRuneInString(v)
		switch {
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '\r':
			b = append(b, "&#xD;"...)
		case r == utf8.RuneError && size == 1, !isXMLChar(r):
			b = utf8.AppendRune(b, utf8.RuneError)
		default:
			b = append(b, v[:size]...)
		}
		v = v[size:]
	}
	return b
}

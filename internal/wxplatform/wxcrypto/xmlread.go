package wxcrypto

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxDepth bounds nesting below the root. WeChat's deepest element (SendPicsInfo>PicList>item>PicMd5Sum) is
// four levels down; anything far deeper is not WeChat's and is refused rather than walked.
const maxDepth = 16

// utf8BOM is tolerated before the document: some tools prepend it, and encoding/xml would read it as text.
var utf8BOM = []byte("\xef\xbb\xbf")

// walker receives the elements below the root. path holds the local names from the root's child down to the
// current element; it is only valid during the call. text is the character data directly inside a leaf
// (CDATA sections and references already resolved).
type walker interface {
	start(path []string)
	end(path []string, text []byte) error
}

// walkDocument checks that data is one <xml> element, optionally preceded by an XML declaration, comments
// and whitespace, and followed by nothing but comments and whitespace, and feeds its elements to w.
//
// It drives encoding/xml's tokenizer directly instead of xml.Unmarshal: Unmarshal silently skips a DOCTYPE
// or a second root and costs a reflection walk per field on every callback. Go never expands DTDs, so the
// DOCTYPE refusal is policy (WeChat never sends one) more than defence.
func walkDocument(data []byte, w walker) error {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	var (
		root   xml.Name
		inRoot bool
		done   bool
		stack  []xml.Name
		path   []string
		text   []byte
	)
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			if !done {
				return fmt.Errorf("%w: unexpected end of document", ErrMalformedXML)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformedXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case done:
				return fmt.Errorf("%w: content after the root element", ErrMalformedXML)
			case !inRoot:
				if t.Name.Local != "xml" || t.Name.Space != "" {
					return fmt.Errorf("%w: root element is <%s>, want <xml>", ErrMalformedXML, qname(t.Name))
				}
				root, inRoot = t.Name, true
			case len(stack) == maxDepth:
				return fmt.Errorf("%w: nested deeper than %d elements", ErrMalformedXML, maxDepth)
			default:
				stack = append(stack, t.Name)
				path = append(path, t.Name.Local)
				w.start(path)
			}
			text = text[:0]
		case xml.EndElement:
			if len(stack) == 0 {
				if !inRoot || t.Name != root {
					return fmt.Errorf("%w: unexpected </%s>", ErrMalformedXML, qname(t.Name))
				}
				inRoot, done = false, true
				continue
			}
			if t.Name != stack[len(stack)-1] {
				return fmt.Errorf("%w: <%s> closed by </%s>", ErrMalformedXML, qname(stack[len(stack)-1]), qname(t.Name))
			}
			if err := w.end(path, text); err != nil {
				return err
			}
			stack, path = stack[:len(stack)-1], path[:len(path)-1]
			text = text[:0]
		case xml.CharData:
			if !inRoot {
				if len(bytes.TrimSpace(t)) != 0 {
					return fmt.Errorf("%w: text outside the root element", ErrMalformedXML)
				}
				continue
			}
			text = append(text, t...)
		case xml.Directive:
			return fmt.Errorf("%w: DOCTYPE and other directives are not accepted", ErrMalformedXML)
		case xml.Comment, xml.ProcInst:
			// Carry no data. The tokenizer has already refused an XML declaration naming a non-UTF-8 encoding.
		}
	}
}

// qname writes a name as it appeared: RawToken leaves the prefix, not a namespace URL, in Space.
func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// parseIntField reads a numeric element as encoding/xml would: surrounding whitespace ignored, empty as 0.
func parseIntField(name string, text []byte, bits int) (int64, error) {
	text = bytes.TrimSpace(text)
	if len(text) == 0 {
		return 0, nil
	}
	v, err := strconv.ParseInt(string(text), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: <%s>: not an integer", ErrMalformedXML, name)
	}
	return v, nil
}

// parseFloatField is parseIntField for coordinates and precisions.
func parseFloatField(name string, text []byte) (float64, error) {
	text = bytes.TrimSpace(text)
	if len(text) == 0 {
		return 0, nil
	}
	v, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return 0, fmt.Errorf("%w: <%s>: not a number", ErrMalformedXML, name)
	}
	return v, nil
}

package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"
)

// Received is one message as the server got it, with its parts decoded.
type Received struct {
	Helo    string   // the name the client gave in HELO/EHLO
	From    string   // envelope sender
	To      []string // envelope recipients
	Header  netmail.Header
	Subject string // decoded from RFC 2047 encoded words
	Text    string // the text/plain part, transfer encoding undone
	HTML    string // the text/html part, transfer encoding undone
	Raw     []byte
}

// Parse decodes a raw RFC 5322 message: the subject, and the first text/plain and text/html parts at any
// depth of multipart nesting, with quoted-printable or base64 undone.
func Parse(raw []byte) (Received, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, fmt.Errorf("read message: %w", err)
	}
	r := Received{Header: msg.Header, Raw: raw}
	dec := mime.WordDecoder{}
	if r.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return r, fmt.Errorf("subject: %w", err)
	}
	err = r.walk(textproto.MIMEHeader(msg.Header), msg.Body)
	return r, err
}

func (r *Received) walk(h textproto.MIMEHeader, body io.Reader) error {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content-type %q: %w", ct, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart keeps the transfer encoding, so every part is decoded the same way below.
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := r.walk(p.Header, p); err != nil {
				return err
			}
		}
	}
	data, err := decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return err
	}
	switch {
	case mediaType == "text/plain" && r.Text == "":
		r.Text = string(data)
	case mediaType == "text/html" && r.HTML == "":
		r.HTML = string(data)
	}
	return nil
}

func decodeTransfer(enc string, body io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "quoted-printable":
		data, err := io.ReadAll(quotedprintable.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("quoted-printable: %w", err)
		}
		return data, nil
	case "base64":
		raw, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		clean := strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, string(raw))
		data, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			return nil, fmt.Errorf("base64: %w", err)
		}
		return data, nil
	default:
		return io.ReadAll(body)
	}
}

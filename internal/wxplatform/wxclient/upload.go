package wxclient

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"path"
	"strings"
)

// maxUpload bounds a file sent to WeChat: its largest accepted file is 10 MB; anything beyond twice that
// is a caller's mistake, not something to stream for a minute.
const maxUpload = 20 << 20

// File is a file to upload: its bytes are streamed from Body, never held in memory whole.
type File struct {
	// Filename is sent in the part's Content-Disposition; WeChat reads the type from its extension.
	Filename string
	// ContentType of the part, e.g. "image/jpeg" (default application/octet-stream).
	ContentType string
	// Body yields the bytes. When it is also an io.Seeker (an *os.File, a multipart.File) a call that
	// WeChat answered busy or with a stale token can be sent again.
	Body io.Reader
	// Size is the number of bytes Body yields, when known: the request then has a Content-Length, which
	// WeChat's upload endpoints handle better than a chunked body. 0 means unknown.
	Size int64
}

func (f *File) validate() error {
	switch {
	case f == nil || f.Body == nil:
		return errMissingMedia
	case strings.TrimSpace(f.Filename) == "":
		return errMissingFilename
	case f.Size < 0 || f.Size > maxUpload:
		return errUploadSize
	}
	return nil
}

// upload is a multipart/form-data body: some text fields, then the file in the part named field.
type upload struct {
	fields [][2]string
	field  string
	file   File

	seeker  io.Seeker
	start   int64
	started bool
	done    chan struct{} // closed when the writer of the previous attempt has stopped
	pr      *io.PipeReader
}

func newUpload(field string, f File, fields ...[2]string) *upload {
	u := &upload{field: field, file: f, fields: fields}
	if s, ok := f.Body.(io.Seeker); ok {
		if off, err := s.Seek(0, io.SeekCurrent); err == nil {
			u.seeker, u.start = s, off
		}
	}
	return u
}

// open starts streaming the body through a pipe: a goroutine writes the multipart framing and copies the
// file into it as the transport reads. finish stops that goroutine and waits for it, so the reader is
// never read by two attempts at once.
func (u *upload) open() (body io.ReadCloser, contentType string, length int64, finish func()) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	length = -1
	if u.file.Size > 0 {
		if fl := u.framingLength(mw.Boundary()); fl >= 0 {
			length = fl + u.file.Size
		}
	}
	done := make(chan struct{})
	u.done, u.pr, u.started = done, pr, true
	go func() {
		defer close(done)
		pw.CloseWithError(u.write(mw, u.file.Body, u.file.Size))
	}()
	finish = func() {
		_ = pr.Close()
		<-done
	}
	return pr, mw.FormDataContentType(), length, finish
}

// rewind seeks the file back to where the first attempt started.
func (u *upload) rewind() error {
	if u.seeker == nil {
		return errors.New("upload body cannot be read again")
	}
	if u.done != nil {
		_ = u.pr.Close()
		<-u.done
	}
	_, err := u.seeker.Seek(u.start, io.SeekStart)
	return err
}

// write writes the whole multipart body: fields, file part, closing boundary. With size > 0 exactly
// size bytes must come from r; otherwise r is read to its end, at most maxUpload bytes.
func (u *upload) write(mw *multipart.Writer, r io.Reader, size int64) error {
	for _, f := range u.fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			return err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, u.field, cleanFilename(u.file.Filename)))
	ct := u.file.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if size > 0 {
		n, err := io.CopyN(part, r, size)
		if err != nil {
			return fmt.Errorf("upload: file ended after %d of %d bytes: %w", n, size, err)
		}
		var one [1]byte
		if m, _ := io.ReadFull(r, one[:]); m > 0 {
			return fmt.Errorf("upload: file is longer than its declared %d bytes", size)
		}
	} else {
		n, err := io.Copy(part, io.LimitReader(r, maxUpload+1))
		if err != nil {
			return fmt.Errorf("upload: %w", err)
		}
		if n > maxUpload {
			return fmt.Errorf("upload: file is larger than %d bytes", maxUpload)
		}
	}
	return mw.Close()
}

// framingLength is the size of everything but the file's bytes, found by writing the same body with an
// empty file.
func (u *upload) framingLength(boundary string) int64 {
	var cw countingWriter
	mw := multipart.NewWriter(&cw)
	_ = mw.SetBoundary(boundary)
	if err := u.write(mw, strings.NewReader(""), 0); err != nil {
		return -1
	}
	return cw.n
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// cleanFilename keeps the base name and drops what would break the header: quotes, backslashes, control
// characters.
func cleanFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == "/" {
		name = "file"
	}
	return name
}

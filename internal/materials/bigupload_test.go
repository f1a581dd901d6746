package materials

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hugeBody generates a multipart upload of a file of fileSize bytes (a PNG header, then a pattern) without
// holding it: it counts the bytes the server made it produce.
type hugeBody struct {
	head, tail []byte
	fileSize   int64
	pos        int64 // bytes produced so far
	read       atomic.Int64
}

func newHugeBody(t *testing.T, fileSize int64, typeFirst bool) (*hugeBody, string) {
	t.Helper()
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if typeFirst {
		require.NoError(t, mw.WriteField("type", "image"))
	}
	_, err := mw.CreateFormFile("file", "huge.png")
	require.NoError(t, err)
	headLen := head.Len()
	var tail bytes.Buffer
	if !typeFirst {
		tail.WriteString("\r\n--" + mw.Boundary() + "\r\n" + `Content-Disposition: form-data; name="type"` + "\r\n\r\nimage")
	}
	tail.WriteString("\r\n--" + mw.Boundary() + "--\r\n")
	b := &hugeBody{head: append(head.Bytes()[:headLen:headLen], pngBytes(t)...), tail: tail.Bytes(), fileSize: fileSize}
	return b, mw.FormDataContentType()
}

func (b *hugeBody) size() int64 { return int64(len(b.head)) + b.fileSize + int64(len(b.tail)) }

func (b *hugeBody) Read(p []byte) (int, error) {
	total, headLen, tailLen := b.size(), int64(len(b.head)), int64(len(b.tail))
	n := 0
	for n < len(p) && b.pos < total {
		var c int
		switch {
		case b.pos < headLen:
			c = copy(p[n:], b.head[b.pos:])
		case b.pos >= total-tailLen:
			c = copy(p[n:], b.tail[b.pos-(total-tailLen):])
		default:
			c = int(min(int64(len(p)-n), total-tailLen-b.pos))
			for i := 0; i < c; i++ {
				p[n+i] = byte(b.pos + int64(i))
			}
		}
		n += c
		b.pos += int64(c)
	}
	if n == 0 {
		return 0, io.EOF
	}
	b.read.Add(int64(n))
	return n, nil
}

// heapWatch samples the heap in use while a request runs and answers the peak above the start.
type heapWatch struct {
	base uint64
	peak atomic.Uint64
	stop chan struct{}
	done sync.WaitGroup
}

func watchHeap() *heapWatch {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w := &heapWatch{base: ms.HeapInuse, stop: make(chan struct{})}
	w.peak.Store(ms.HeapInuse)
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > w.peak.Load() {
					w.peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	return w
}

func (w *heapWatch) growth() uint64 {
	close(w.stop)
	w.done.Wait()
	return w.peak.Load() - w.base
}

// TestHugeUploadRefused streams 200 MB at the upload endpoint: the request is refused after about the
// largest file's worth of bytes (or before any, when it announces its length), within seconds, and the
// heap never holds more than a fraction of it. Not parallel: the heap is measured.
func TestHugeUploadRefused(t *testing.T) {
	e := newEnv(t)
	op := e.newOperator("mallory")
	const fileSize = 200 << 20
	for _, tc := range []struct {
		name          string
		typeFirst     bool
		contentLength bool
	}{
		{"chunked, type first", true, false},
		{"chunked, type after the file", false, false},
		{"content-length announced", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := newHugeBody(t, fileSize, tc.typeFirst)
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/apis/materials/uploadMaterial?access_token="+op.token, body)
			require.NoError(t, err)
			req.Header.Set("Content-Type", ct)
			if tc.contentLength {
				req.ContentLength = body.size()
			}
			watch := watchHeap()
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			took := time.Since(start)
			growth := watch.growth()
			require.NoError(t, err)
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			read := body.read.Load()
			t.Logf("answered %d after %v, %.1f MB of the body produced, heap peak +%.1f MB: %s",
				resp.StatusCode, took, float64(read)/(1<<20), float64(growth)/(1<<20), raw)

			require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
			require.Contains(t, string(raw), `"errcode":41300`)
			require.Contains(t, string(raw), "10 MB")
			require.Less(t, took, 5*time.Second, "refused too slowly")
			require.Less(t, read, int64(40<<20), "the server read far more than the largest file")
			require.Less(t, growth, uint64(50<<20), "the heap grew with the body")
			require.Zero(t, addMaterialCalls(e))
		})
	}
	var n int64
	require.NoError(t, e.DB.Raw("SELECT count(*) FROM materials").Scan(&n).Error)
	require.Zero(t, n)
}

package wxemu

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"time"
)

// maxRecordedBody is how much of each request body Requests keeps (uploads can be 10 MB).
const maxRecordedBody = 1 << 20

// maxRequestBody bounds what the emulator reads of any request; WeChat's largest upload is 10 MB.
const maxRequestBody = 20 << 20

// Request is one request the emulator received, as Requests reports it.
type Request struct {
	Method string
	Path   string // relative to the emulator root, e.g. "/cgi-bin/tags/create"
	Query  url.Values
	Header http.Header
	Body   []byte // the first MiB of the body
	Time   time.Time
}

// Fault makes the endpoint at a path misbehave, for testing a client's retries and timeouts.
type Fault struct {
	// Delay is waited before answering (or until the client gives up).
	Delay time.Duration
	// Errcode, when non-zero, is answered instead of the endpoint's own answer, with Errmsg (WeChat's
	// usual text for the code when empty).
	Errcode int
	Errmsg  string
	// Times is how many requests the fault applies to; 0 means every request until ClearFaults.
	Times int
}

// SetFault installs f for path (e.g. "/cgi-bin/tags/create"), replacing any earlier fault there.
func (e *Emulator) SetFault(path string, f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults[path] = &f
}

// ClearFaults removes every fault.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.faults)
}

// Requests returns the requests received so far, oldest first (at most Options.MaxRequests).
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Request, len(e.requests))
	copy(out, e.requests)
	return out
}

// record buffers the body, keeps a copy of the request, and applies any fault for its path. It answers
// true when the fault already answered.
func (e *Emulator) record(w http.ResponseWriter, r *http.Request) (answered bool) {
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= maxRequestBody {
		buf.Grow(int(r.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxRequestBody)); err != nil {
		writeJSON(w, wxErr(codeMediaTooLarge))
		return true
	}
	body := buf.Bytes()
	r.Body = io.NopCloser(bytes.NewReader(body))
	kept := body
	if len(kept) > maxRecordedBody {
		kept = kept[:maxRecordedBody]
	}
	req := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
		Body:   bytes.Clone(kept),
		Time:   e.now(),
	}

	e.mu.Lock()
	if len(e.requests) >= e.opts.MaxRequests {
		n := copy(e.requests, e.requests[len(e.requests)-e.opts.MaxRequests+1:])
		e.requests = e.requests[:n]
	}
	e.requests = append(e.requests, req)
	var fault Fault
	f, ok := e.faults[r.URL.Path]
	if ok {
		fault = *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				delete(e.faults, r.URL.Path)
			}
		}
	}
	e.mu.Unlock()

	e.log.Debug("wxemu request", "method", r.Method, "path", r.URL.Path, "fault", ok)
	if !ok {
		return false
	}
	if fault.Delay > 0 && !sleep(r.Context(), fault.Delay) {
		return true // the client is gone
	}
	if fault.Errcode == 0 {
		return false
	}
	ae := wxErr(fault.Errcode)
	if fault.Errmsg != "" {
		ae.Errmsg = fault.Errmsg
	}
	writeJSON(w, ae)
	return true
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

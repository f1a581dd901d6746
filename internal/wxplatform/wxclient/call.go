package wxclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/redact"
)

// maxAnswer bounds what is read of one answer: user/get's 10,000 openids are ~350 KB, the largest
// batchget_material page of articles a few MB.
const maxAnswer = 16 << 20

// maxBusyRetries is how many times a busy answer (-1) is retried.
const maxBusyRetries = 2

// request is one call to WeChat's API.
type request struct {
	method string
	path   string
	query  url.Values // everything but access_token
	body   any        // sent as JSON (POST)
	upload *upload    // sent as multipart/form-data (POST); wins over body
	// auth adds the account's base access_token, and refreshes it when WeChat rejects it.
	auth bool
}

// do performs req for appid and decodes the answer into out (nil: only errcode matters). It applies the
// retry rules of the package: -1 twice with backoff, a rejected access_token refreshed once.
func (c *Client) do(ctx context.Context, appid string, req request, out any) error {
	var tok string
	if req.auth {
		if err := checkAppID(appid); err != nil {
			return err
		}
		t, err := c.AccessToken(ctx, appid)
		if err != nil {
			return err
		}
		tok = t
	}
	busy, refreshed := 0, false
	for {
		start := time.Now()
		err := c.exchange(ctx, req, tok, out)
		c.observeCall(req.path, err, time.Since(start))
		code := Code(err)
		switch {
		case err == nil:
			return nil
		case code == CodeBusy && busy < maxBusyRetries && req.rewind() == nil:
			busy++
			c.log.InfoContext(ctx, "wechat busy, retrying", "path", req.path, "appid", appid, "attempt", busy)
			if werr := c.backoff(ctx, busy); werr != nil {
				return err
			}
		case req.auth && !refreshed && isTokenRejected(code) && req.rewind() == nil:
			refreshed = true
			c.log.InfoContext(ctx, "wechat rejected the access_token, refreshing", "path", req.path, "appid", appid, "errcode", code)
			t, rerr := c.refreshAccessToken(ctx, appid, tok)
			if rerr != nil {
				return rerr
			}
			tok = t
		default:
			return err
		}
	}
}

// isTokenRejected reports the codes after which a fresh access_token may succeed.
func isTokenRejected(code int) bool {
	return code == CodeInvalidCredential || code == CodeInvalidAccessToken || code == CodeTokenExpired
}

// backoff waits before the n-th retry: about n × RetryBackoff, jittered by ±50 % so that processes that
// failed together do not retry together.
func (c *Client) backoff(ctx context.Context, n int) error {
	d := time.Duration(n) * c.opts.RetryBackoff
	d = d/2 + rand.N(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// exchange makes one HTTP request under the call deadline and decodes WeChat's answer.
func (c *Client) exchange(ctx context.Context, req request, tok string, out any) error {
	timeout := c.opts.Timeout
	if req.upload != nil {
		timeout = c.opts.UploadTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	q := url.Values{}
	for k, v := range req.query {
		q[k] = v
	}
	if tok != "" {
		q.Set("access_token", tok)
	}
	u := c.opts.APIBase + req.path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}

	var (
		body        io.Reader
		contentType string
		length      int64 = -1
		finish            = func() {}
	)
	switch {
	case req.upload != nil:
		var rc io.ReadCloser
		rc, contentType, length, finish = req.upload.open()
		body = rc
	case req.body != nil:
		data, err := marshalJSON(req.body)
		if err != nil {
			return fmt.Errorf("wechat %s: encode request: %w", req.path, err)
		}
		body, contentType, length = bytes.NewReader(data), "application/json; charset=utf-8", int64(len(data))
	}
	defer finish()

	hr, err := http.NewRequestWithContext(cctx, req.method, u, body)
	if err != nil {
		return fmt.Errorf("wechat %s: %w", req.path, err)
	}
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
		hr.ContentLength = length
	}
	hr.Header.Set("Accept", "application/json")

	start := time.Now()
	resp, err := c.http.Do(hr)
	if err != nil {
		// url.Error repeats the URL, access_token and secret included: never let it reach a log.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redact.URL(hr.URL)
		}
		c.log.DebugContext(ctx, "wechat call failed", "method", req.method, "url", redact.URL(hr.URL), "took", time.Since(start), "err", err)
		return transportError(ctx, req.path, err)
	}
	defer drain(resp.Body)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return transportError(ctx, req.path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return apperr.Wrap(apperr.Upstream, "WeChat answered HTTP "+strconv.Itoa(resp.StatusCode),
			fmt.Errorf("wechat %s: status %s", req.path, resp.Status)).WithKey("err.wechat.http", resp.StatusCode)
	}
	if len(data) > maxAnswer {
		return apperr.Wrap(apperr.Upstream, ErrBadAnswer.Msg, fmt.Errorf("wechat %s: answer larger than %d bytes", req.path, maxAnswer)).WithKey("err.wechat.bad_answer")
	}
	err = decodeAnswer(req.path, data, out)
	c.log.DebugContext(ctx, "wechat call", "method", req.method, "url", redact.URL(hr.URL), "took", time.Since(start), "errcode", Code(err))
	return err
}

// marshalJSON encodes v as WeChat wants it: WeChat rejects \uXXXX escapes in some APIs (40033), and Go
// escapes <, > and & in URLs and texts by default.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// envelope is the part every WeChat answer may carry.
type envelope struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

// keepOnError marks an answer type whose fields WeChat also fills beside a non-zero errcode.
type keepOnError interface{ keepOnError() }

// decodeAnswer turns an answer into *Error when errcode is not 0, else decodes it into out. Malformed
// JSON is an error, never a panic.
func decodeAnswer(path string, data []byte, out any) error {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return apperr.Wrap(apperr.Upstream, ErrBadAnswer.Msg, fmt.Errorf("wechat %s: %w", path, err)).WithKey("err.wechat.bad_answer")
	}
	if env.Errcode != 0 {
		if _, keep := out.(keepOnError); keep {
			_ = json.Unmarshal(data, out) // e.g. 45065 names the earlier mass message's msg_id
		}
		return &Error{Errcode: env.Errcode, Errmsg: env.Errmsg, Path: path}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return apperr.Wrap(apperr.Upstream, ErrBadAnswer.Msg, fmt.Errorf("wechat %s: %w", path, err)).WithKey("err.wechat.bad_answer")
	}
	return nil
}

// rewind prepares the request to be sent again: always possible without an upload, and for an upload
// only when its reader can seek back.
func (r *request) rewind() error {
	if r.upload == nil {
		return nil
	}
	return r.upload.rewind()
}

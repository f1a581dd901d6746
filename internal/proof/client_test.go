package proof

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/mail/mailtest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// client calls the console's JSON API. Its methods that answer an error are safe in any goroutine; the
// must* ones fail the test and belong to the test's goroutine.
type client struct {
	t  testing.TB
	hc *http.Client
}

func newClient(t testing.TB) *client {
	return &client{t: t, hc: &http.Client{
		Timeout:       30 * time.Second,
		Transport:     &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is one answer of the console.
type response struct {
	status int
	header http.Header
	body   []byte
	obj    map[string]any // the body decoded, when it is a JSON object
}

func (r response) errcode() float64 {
	v, _ := r.obj["errcode"].(float64)
	return v
}

func (r response) String() string {
	return fmt.Sprintf("HTTP %d %.300s", r.status, r.body)
}

// call POSTs body as JSON to base+path, with the access token as a bearer token when given.
func (c *client) call(ctx context.Context, base, path, token string, body any) (response, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(c.hc, req)
}

func do(hc *http.Client, req *http.Request) (response, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return response{}, err
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: b}
	_ = json.Unmarshal(b, &r.obj)
	return r, nil
}

// mustCall is call that fails the test on a transport error.
func (c *client) mustCall(base, path, token string, body any) response {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := c.call(ctx, base, path, token, body)
	require.NoError(c.t, err, "POST %s%s", base, path)
	return r
}

// mustOK is mustCall that requires HTTP 200 with errcode 0.
func (c *client) mustOK(base, path, token string, body any) response {
	c.t.Helper()
	r := c.mustCall(base, path, token, body)
	require.Equal(c.t, http.StatusOK, r.status, "%s%s: %s", base, path, r)
	return r
}

// operator is a verified, logged-in operator.
type operator struct {
	username, password, email string
	token                     string
}

// registerOperator registers an operator through regBase, follows the mailed link on verifyBase (another
// process may verify what one process registered) and logs in through loginBase.
func registerOperator(t testing.TB, c *client, mail *mailtest.Server, regBase, verifyBase, loginBase string) operator {
	t.Helper()
	op := operator{username: "op" + randDigits(8), password: "correct horse battery"}
	op.email = op.username + "@example.com"
	c.mustOK(regBase, "/apis/user/register", "", map[string]string{"username": op.username, "password": op.password, "email": op.email})
	m := mail.Wait(t, op.email, 15*time.Second)
	link := m.Link(regBase + "/apis/user/verify?token=")
	require.NotEmpty(t, link, "the verification mail links to the registering process's BASE_URL: %s", m.Text)
	u, err := url.Parse(link)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, verifyBase+u.RequestURI(), nil)
	require.NoError(t, err)
	r, err := do(c.hc, req)
	require.NoError(t, err)
	require.Equal(t, http.StatusSeeOther, r.status, "verify: %s", r)
	r = c.mustOK(loginBase, "/apis/user/login", "", map[string]string{"username": op.username, "password": op.password})
	op.token, _ = r.obj["access_token"].(string)
	require.NotEmpty(t, op.token, "login: %s", r)
	return op
}

// bindAccount authorizes an emulator account for the operator through base.
func bindAccount(t testing.TB, c *client, base string, op operator, a wxemu.Account) {
	t.Helper()
	r := c.mustOK(base, "/apis/wxplatform/authorize", op.token, map[string]string{"appid": a.AppID,
		"secret": a.Secret, "token": a.Token, "encodingAESKey": a.EncodingAESKey, "name": a.Name})
	require.Equal(t, base+"/wxplatform/callback/"+a.AppID, r.obj["callbackUrl"], "%s", r)
}

// addTextRule adds the keyword rule answering keyword with the text answer, through base.
func addTextRule(t testing.TB, c *client, base string, op operator, keyword, answer string) {
	t.Helper()
	c.mustOK(base, "/apis/wxreplymanage/addReply", op.token, map[string]any{"type": "text", "request": keyword,
		"reply": map[string]string{"content": answer}})
}

// msgIDs hands out MsgIds no other test run uses: a random prefix above a counter.
var msgIDs = func() *atomic.Int64 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	n := new(atomic.Int64)
	n.Store(int64(binary.BigEndian.Uint32(b[:])&0x3fffffff) << 32)
	return n
}()

func nextMsgID() int64 { return msgIDs.Add(1) }

func randDigits(n int) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	s := strconv.FormatUint(binary.BigEndian.Uint64(b[:]), 10)
	for len(s) < n {
		s = "0" + s
	}
	return s[len(s)-n:]
}

// signedMessage is one text message signed and encrypted as WeChat sends it in safe mode: the same
// request can be POSTed to any process, as WeChat retries do.
type signedMessage struct {
	appid, token string
	from         string
	msgID        int64
	query        string
	body         []byte
	cipher       *wxcrypto.Cipher
}

// signText builds the safe-mode request of a text message from a follower to the account.
func signText(a wxemu.Account, from, content string, msgID int64) (*signedMessage, error) {
	ciph, err := wxcrypto.NewCipher(a.EncodingAESKey, a.AppID)
	if err != nil {
		return nil, err
	}
	now := time.Now().Unix()
	msg := wxcrypto.Message{ToUserName: a.OriginalID, FromUserName: from, CreateTime: now, MsgType: "text",
		Content: content, MsgID: msgID}
	enc, err := ciph.Encrypt(msg.Marshal())
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(now, 10)
	nonce := wxcrypto.RandomNonce()
	q := url.Values{}
	q.Set("signature", wxcrypto.Signature(a.Token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("openid", from)
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", wxcrypto.MsgSignature(a.Token, ts, nonce, enc))
	outer := wxcrypto.Message{ToUserName: a.OriginalID, Encrypt: enc}
	return &signedMessage{appid: a.AppID, token: a.Token, from: from, msgID: msgID, query: q.Encode(),
		body: outer.Marshal(), cipher: ciph}, nil
}

func mustSignText(t testing.TB, a wxemu.Account, from, content string) *signedMessage {
	t.Helper()
	m, err := signText(a, from, content, nextMsgID())
	require.NoError(t, err)
	return m
}

// callbackAnswer is what a console answered to a message.
type callbackAnswer struct {
	status int
	raw    []byte
	reply  *wxcrypto.Reply // the decrypted passive reply; nil for "success"
}

// text answers the reply's text, or "success" when there was none.
func (a callbackAnswer) text() string {
	if a.reply == nil {
		return "success"
	}
	return a.reply.Content
}

// send POSTs the message to base's callback and decrypts the answer. An answer that is neither "success"
// nor a reply WeChat would accept is an error.
func (m *signedMessage) send(ctx context.Context, hc *http.Client, base string) (callbackAnswer, error) {
	u := base + "/wxplatform/callback/" + m.appid + "?" + m.query
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(m.body))
	if err != nil {
		return callbackAnswer{}, err
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := hc.Do(req)
	if err != nil {
		return callbackAnswer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return callbackAnswer{}, err
	}
	ans := callbackAnswer{status: resp.StatusCode, raw: raw}
	if resp.StatusCode != http.StatusOK || string(raw) == "success" || len(raw) == 0 {
		return ans, nil
	}
	plain, err := m.cipher.OpenReply(m.token, raw)
	if err != nil {
		return ans, fmt.Errorf("open reply: %w", err)
	}
	if ans.reply, err = wxcrypto.ParseReply(plain); err != nil {
		return ans, fmt.Errorf("parse reply: %w", err)
	}
	if ans.reply.ToUserName != m.from {
		return ans, fmt.Errorf("reply addressed to %q, not %q", ans.reply.ToUserName, m.from)
	}
	return ans, nil
}

// mustSend is send on the test's goroutine.
func (m *signedMessage) mustSend(t testing.TB, hc *http.Client, base string) callbackAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ans, err := m.send(ctx, hc, base)
	require.NoError(t, err)
	return ans
}

// openDB opens a small pool on a console's database, to count what it stored.
func openDB(t testing.TB, dsn string) *gorm.DB {
	t.Helper()
	gdb, err := db.Open(context.Background(), dsn, db.Options{MaxOpenConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close(gdb) })
	return gdb
}

// countMessages counts the stored records of the MsgIds.
func countMessages(gdb *gorm.DB, ids []int64) (rows, distinct int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = gdb.WithContext(ctx).Raw(`SELECT count(*), count(DISTINCT msg_id) FROM wx_messages WHERE msg_id IN ?`, ids).
		Row().Scan(&rows, &distinct)
	return rows, distinct, err
}

// noKeepAlive is a client that opens a new connection for every request, so that each request's fate
// (refused, reset, answered) is its own.
func noKeepAlive(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true,
		DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext}}
}

// parallel runs fn(ctx, 0) … fn(ctx, n-1) at once and answers every outcome.
func parallel[T any](n int, fn func(ctx context.Context, i int) (T, error)) ([]T, []error) {
	rs := make([]T, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			<-start
			rs[i], errs[i] = fn(ctx, i)
		})
	}
	close(start)
	wg.Wait()
	return rs, errs
}

package callback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/testenv"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// env is one console process's callback stack on a test database: accounts, replies and the handler,
// served over real HTTP.
type env struct {
	t        testing.TB
	gdb      *gorm.DB
	url      string // the database's URL
	accounts *accounts.Service
	replies  *reply.Service
	handler  *callback.Handler
	engine   *gin.Engine
	srv      *httptest.Server
	clock    *testenv.Clock
	observed *observer
}

type envOptions struct {
	gdb  *gorm.DB // share a database (and its pool) instead of creating one
	url  string
	opts callback.Options
	// realClock stamps with time.Now instead of the settable test clock.
	realClock bool
	// engine serves the routes instead of a bare gin.New().
	engine *gin.Engine
}

// observer records the events it hears of.
type observer struct {
	mu     sync.Mutex
	events []observedEvent
}

type observedEvent struct {
	accountID int64
	msg       wxcrypto.Message
}

func (o *observer) OnEvent(_ context.Context, accountID int64, msg *wxcrypto.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, observedEvent{accountID, *msg})
}

func (o *observer) list() []observedEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]observedEvent(nil), o.events...)
}

var testKey = bytes.Repeat([]byte{7}, 32)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t testing.TB, eo envOptions) *env {
	t.Helper()
	e := &env{t: t, gdb: eo.gdb, url: eo.url, observed: &observer{}}
	if e.gdb == nil {
		e.gdb, e.url = dbtest.NewWithURL(t)
	}
	box, err := secretbox.New(testKey)
	require.NoError(t, err)
	e.accounts = accounts.NewService(e.gdb, box, accounts.Options{BaseURL: "http://console.test", Logger: quietLogger()})
	e.replies = reply.NewService(e.gdb, reply.Options{Logger: quietLogger()})
	t.Cleanup(func() { e.replies.Close() })
	e.clock = testenv.NewClockAt(time.Now().Round(0))
	opts := eo.opts
	opts.DB, opts.Accounts, opts.Replies = e.gdb, e.accounts, e.replies
	if opts.Observer == nil {
		opts.Observer = e.observed
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	if opts.Now == nil && !eo.realClock {
		opts.Now = e.clock.Now
	}
	e.handler = callback.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	e.handler.Start(ctx)
	e.engine = eo.engine
	if e.engine == nil {
		e.engine = gin.New()
	}
	e.handler.Routes(e.engine)
	e.srv = httptest.NewServer(e.engine)
	t.Cleanup(func() {
		e.srv.Close()
		e.handler.Close()
		cancel()
	})
	return e
}

// openDB opens another pool on the same database, as another console process would.
func openDB(t testing.TB, dsn string) *gorm.DB {
	t.Helper()
	gdb, err := db.Open(context.Background(), dsn, db.Options{MaxOpenConns: 5})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close(gdb) })
	return gdb
}

var userSeq atomic.Int64

// bind stores an operator and binds the account to them, as authorize would (without asking WeChat).
func (e *env) bind(a wxemu.Account) *accounts.Account {
	e.t.Helper()
	ctx := context.Background()
	n := userSeq.Add(1)
	var userID int64
	require.NoError(e.t, e.gdb.Raw(`INSERT INTO users (username, email, password_hash, verified_at)
		VALUES (?, ?, 'x', now()) RETURNING id`, fmt.Sprintf("op%d_%d", n, time.Now().UnixNano()),
		fmt.Sprintf("op%d_%d@example.com", n, time.Now().UnixNano())).Scan(&userID).Error)
	acct, err := e.accounts.Bind(ctx, userID, accounts.BindInput{AppID: a.AppID, Secret: a.Secret, Token: a.Token,
		EncodingAESKey: a.EncodingAESKey, Name: a.Name})
	require.NoError(e.t, err)
	return acct
}

// rule adds a keyword rule; body is the reply in the API's field names.
func (e *env) rule(accountID int64, keyword, typ string, body any) {
	e.t.Helper()
	_, err := e.replies.Add(context.Background(), accountID, reply.Input{Type: reply.ReplyType(typ),
		Content: contentOf(e.t, typ, body), Request: keyword})
	require.NoError(e.t, err)
}

func (e *env) callbackURL(appid string) string { return e.srv.URL + "/wxplatform/callback/" + appid }

// count answers how many messages are stored for the account.
func (e *env) count(accountID int64) int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.gdb.Raw(`SELECT count(*) FROM wx_messages WHERE account_id = ?`, accountID).Scan(&n).Error)
	return n
}

// signed builds WeChat's POST for msg in mode plain, compat or safe, signed at ts with a fresh nonce.
func signed(t testing.TB, a wxemu.Account, msg *wxcrypto.Message, mode string, ts int64) (query url.Values, body []byte) {
	t.Helper()
	tss := strconv.FormatInt(ts, 10)
	nonce := wxcrypto.RandomNonce()
	q := url.Values{}
	q.Set("signature", wxcrypto.Signature(a.Token, tss, nonce))
	q.Set("timestamp", tss)
	q.Set("nonce", nonce)
	q.Set("openid", msg.FromUserName)
	plain := msg.Marshal()
	if mode == wxemu.ModePlain {
		return q, plain
	}
	c, err := wxcrypto.NewCipher(a.EncodingAESKey, a.AppID)
	require.NoError(t, err)
	enc, err := c.Encrypt(plain)
	require.NoError(t, err)
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", wxcrypto.MsgSignature(a.Token, tss, nonce, enc))
	if mode == wxemu.ModeSafe {
		outer := wxcrypto.Message{ToUserName: msg.ToUserName, Encrypt: enc}
		return q, outer.Marshal()
	}
	withEnc := *msg
	withEnc.Encrypt = enc
	return q, withEnc.Marshal()
}

type answer struct {
	status int
	body   []byte
	took   time.Duration
}

func post(t testing.TB, target string, q url.Values, body []byte) answer {
	t.Helper()
	start := time.Now()
	resp, err := http.Post(target+"?"+q.Encode(), "text/xml", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, body: b, took: time.Since(start)}
}

// openAnswer decodes a callback answer: nil for "success", else the (decrypted) passive reply XML.
func openAnswer(t testing.TB, a wxemu.Account, body []byte) []byte {
	t.Helper()
	if string(body) == "success" {
		return nil
	}
	if bytes.Contains(body, []byte("<Encrypt>")) {
		c, err := wxcrypto.NewCipher(a.EncodingAESKey, a.AppID)
		require.NoError(t, err)
		plain, err := c.OpenReply(a.Token, body)
		require.NoError(t, err)
		return plain
	}
	return body
}

// textMsg is a text message from a follower with a fresh MsgId.
var msgSeq atomic.Int64

func textMsg(a wxemu.Account, from, content string, createTime int64) *wxcrypto.Message {
	return &wxcrypto.Message{ToUserName: a.OriginalID, FromUserName: from, CreateTime: createTime,
		MsgType: "text", Content: content, MsgID: 7_000_000_000_000_000_000 + time.Now().UnixNano()%1_000_000_000_000 + msgSeq.Add(1)}
}

// newAccount makes emulator-shaped credentials without an emulator.
func newAccount(t testing.TB) wxemu.Account {
	t.Helper()
	emu := wxemu.New(wxemu.Options{DemoFollowers: -1})
	return emu.NewAccount("测试号")
}

// contentOf reads a reply written in the API's field names ({"content"}, {"mediaId"}, an array of
// articles) into the typed value the reply service takes.
func contentOf(t testing.TB, typ string, body any) reply.Content {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	if typ == string(reply.TypeMultitext) {
		var items []struct {
			Title, Description string
			PicURL             string `json:"picurl"`
			URL                string `json:"url"`
		}
		require.NoError(t, json.Unmarshal(raw, &items))
		c := reply.Content{}
		for _, it := range items {
			c.Articles = append(c.Articles, reply.Article{Title: it.Title, Description: it.Description, PicURL: it.PicURL, URL: it.URL})
		}
		return c
	}
	var f struct {
		Content, Title, Description string
		MediaID                     string `json:"mediaId"`
		MusicURL                    string `json:"musicUrl"`
		HQMusicURL                  string `json:"hqMusicUrl"`
		ThumbMediaID                string `json:"thumbMediaId"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	return reply.Content{Content: f.Content, MediaID: f.MediaID, Title: f.Title, Description: f.Description,
		MusicURL: f.MusicURL, HQMusicURL: f.HQMusicURL, ThumbMediaID: f.ThumbMediaID}
}

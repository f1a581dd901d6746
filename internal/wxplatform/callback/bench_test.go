package callback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// withRules binds an account with n keyword rules: kw0…kw(n-1), a tenth of them "contains" rules and a
// few regex rules, as a busy account might have.
func withRules(tb testing.TB, e *env, n int) wxemu.Account {
	tb.Helper()
	a := newAccount(tb)
	acct := e.bind(a)
	ctx := context.Background()
	for i := range n {
		mode := reply.MatchExact
		kw := "kw" + strconv.Itoa(i)
		switch {
		case i%100 == 99:
			mode, kw = reply.MatchRegex, `^re`+strconv.Itoa(i)+`\d+$`
		case i%10 == 9:
			mode, kw = reply.MatchContains, "part"+strconv.Itoa(i)
		}
		_, err := e.replies.Add(ctx, acct.ID, reply.Input{Type: reply.TypeText,
			Content: reply.Content{Content: "answer " + strconv.Itoa(i)}, Request: kw, Match: mode})
		require.NoError(tb, err)
	}
	return a
}

// BenchmarkCallbackSafe is the whole handler in-process, in safe mode, with 1,000 rules, against real
// Postgres: decrypt, match, one INSERT, encrypt. Each iteration also builds (encrypts and signs) its
// request, which is WeChat's share of the work.
func BenchmarkCallbackSafe(b *testing.B) {
	e := newEnv(b, envOptions{realClock: true})
	a := withRules(b, e, 1000)
	c, err := wxcrypto.NewCipher(a.EncodingAESKey, a.AppID)
	require.NoError(b, err)
	target := "/wxplatform/callback/" + a.AppID
	var seq atomic.Int64
	base := time.Now().UnixNano()
	var replies atomic.Int64

	// WeChat delivers concurrently: many requests are in flight at once, as under the HTTP server.
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			ts := time.Now().Unix()
			msg := &wxcrypto.Message{ToUserName: a.OriginalID, FromUserName: "oBench" + strconv.FormatInt(n%1000, 10),
				CreateTime: ts, MsgType: "text", Content: "kw" + strconv.FormatInt(n%1200, 10), MsgID: base + n}
			enc, _ := c.Encrypt(msg.Marshal())
			tss := strconv.FormatInt(ts, 10)
			nonce := wxcrypto.RandomNonce()
			q := "signature=" + wxcrypto.Signature(a.Token, tss, nonce) + "&timestamp=" + tss + "&nonce=" + nonce +
				"&openid=" + msg.FromUserName + "&encrypt_type=aes&msg_signature=" + wxcrypto.MsgSignature(a.Token, tss, nonce, enc)
			req := httptest.NewRequest(http.MethodPost, target+"?"+q, strings.NewReader("<xml><ToUserName><![CDATA["+a.OriginalID+"]]></ToUserName><Encrypt><![CDATA["+enc+"]]></Encrypt></xml>"))
			w := httptest.NewRecorder()
			e.engine.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body.String())
			}
			if !bytes.Equal(w.Body.Bytes(), []byte("success")) {
				replies.Add(1)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	if e.handler.QueueLen() != 0 {
		b.Logf("queued: %d (Postgres did not keep up within the write deadline): %+v", e.handler.QueueLen(), e.handler.Health())
	}
	_ = replies.Load()
}

// TestLoadServer serves a console's callback on CALLBACK_LOADSERVER_ADDR (e.g. 127.0.0.1:18080) for
// CALLBACK_LOADSERVER_FOR (default 60s), with an account of 1,000 rules on a fresh database, for
// tools/loadgen to drive from another process. It writes the account's credentials as JSON to
// CALLBACK_LOADSERVER_CREDS and prints the process's peak RSS at the end. It is skipped unless the address
// is set:
//
//	CALLBACK_LOADSERVER_ADDR=127.0.0.1:18080 CALLBACK_LOADSERVER_CREDS=/tmp/creds.json \
//	  go test ./internal/wxplatform/callback -run TestLoadServer -v
func TestLoadServer(t *testing.T) {
	addr := os.Getenv("CALLBACK_LOADSERVER_ADDR")
	if addr == "" {
		t.Skip("CALLBACK_LOADSERVER_ADDR not set")
	}
	dur := time.Minute
	if d, err := time.ParseDuration(os.Getenv("CALLBACK_LOADSERVER_FOR")); err == nil {
		dur = d
	}
	// The console's own edge middleware (request id, access log at info level to a discarded text
	// handler, recovery, security headers) unless CALLBACK_LOADSERVER_BARE is set.
	var eng *gin.Engine
	if os.Getenv("CALLBACK_LOADSERVER_BARE") == "" {
		eng = httpapi.NewEngine(slog.New(slog.NewTextHandler(discard{}, nil)))
	}
	e := newEnv(t, envOptions{realClock: true, engine: eng})
	h := e.handler
	a := withRules(t, e, 1000)
	creds, _ := json.Marshal(map[string]string{"appid": a.AppID, "token": a.Token, "aeskey": a.EncodingAESKey})
	require.NoError(t, os.WriteFile(os.Getenv("CALLBACK_LOADSERVER_CREDS"), creds, 0o600))
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := httpapi.NewServer(addr, e.engine, nil)
	go func() { _ = srv.Serve(ln) }()
	t.Logf("serving %s for %s; credentials in %s", addr, dur, os.Getenv("CALLBACK_LOADSERVER_CREDS"))
	time.Sleep(dur)
	_ = srv.Close()
	hl := h.Health()
	var stored int64
	require.NoError(t, e.gdb.Raw(`SELECT count(*) FROM wx_messages`).Scan(&stored).Error)
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM") || strings.HasPrefix(line, "VmRSS") {
			t.Log(line)
		}
	}
	t.Logf("health %+v; rows stored %d", hl, stored)
	fmt.Fprintf(os.Stderr, "rows stored: %d\n", stored)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Command loadgen drives a running console's WeChat callback the way WeChat does: unique text messages,
// signed, and in safe mode encrypted, POSTed to {url}/wxplatform/callback/{appid} by -c concurrent
// senders. It checks every answer (status, and in safe mode the reply's signature and decryption) and
// prints throughput, latency percentiles and the error count.
//
// It is bounded: it stops after -n messages or -d, whichever comes first, and refuses non-loopback targets
// unless -allow-remote is given.
//
//	go run ./tools/loadgen -appid wx... -token T -aeskey K -c 32 -d 20s
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// Hard ceilings, whatever the flags say, so a typo cannot run a load test for hours.
const (
	maxMessages = 10_000_000
	maxDuration = 10 * time.Minute
)

type config struct {
	base        string
	appid       string
	token       string
	aesKey      string
	concurrency int
	n           int
	d           time.Duration
	mode        string
	keywords    []string
	timeout     time.Duration
	verify      bool
	allowRemote bool
	senders     int
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := drive(ctx, cfg)
	if err != nil {
		return err
	}
	res.print(out, cfg)
	if res.errors > 0 {
		return fmt.Errorf("%d errors", res.errors)
	}
	return nil
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	cfg := &config{}
	var keywords string
	fs.StringVar(&cfg.base, "url", "http://127.0.0.1:8080", "base URL of the console")
	fs.StringVar(&cfg.appid, "appid", "", "AppID of a bound account (required)")
	fs.StringVar(&cfg.token, "token", "", "the account's callback token (required)")
	fs.StringVar(&cfg.aesKey, "aeskey", "", "the account's EncodingAESKey (required in safe mode)")
	fs.IntVar(&cfg.concurrency, "c", 16, "concurrent senders")
	fs.IntVar(&cfg.n, "n", 0, "messages to send (default 10000 when -d is not given)")
	fs.DurationVar(&cfg.d, "d", 0, "how long to send (at most 10m)")
	fs.StringVar(&cfg.mode, "mode", "safe", "safe (encrypted) or plain")
	fs.StringVar(&keywords, "keywords", "hello", "comma-separated texts the messages cycle through")
	fs.DurationVar(&cfg.timeout, "timeout", 5*time.Second, "per-request timeout (WeChat gives 5s)")
	fs.BoolVar(&cfg.verify, "verify", true, "check each answer: status 200 and, in safe mode, a signed reply that decrypts")
	fs.BoolVar(&cfg.allowRemote, "allow-remote", false, "allow a target that is not on this machine")
	fs.IntVar(&cfg.senders, "senders", 100_000, "distinct followers the messages come from (each new one starts a conversation)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case cfg.appid == "" || cfg.token == "":
		return nil, errors.New("-appid and -token are required")
	case cfg.mode != "safe" && cfg.mode != "plain":
		return nil, errors.New("-mode must be safe or plain")
	case cfg.mode == "safe" && !wxcrypto.ValidEncodingAESKey(cfg.aesKey):
		return nil, errors.New("-aeskey must be the account's 43-character EncodingAESKey in safe mode")
	case cfg.senders < 1:
		return nil, errors.New("-senders must be at least 1")
	case cfg.concurrency < 1 || cfg.concurrency > 1024:
		return nil, errors.New("-c must be between 1 and 1024")
	case cfg.n < 0 || cfg.n > maxMessages:
		return nil, fmt.Errorf("-n must be between 1 and %d", maxMessages)
	case cfg.d < 0 || cfg.d > maxDuration:
		return nil, fmt.Errorf("-d must be at most %s", maxDuration)
	}
	if cfg.n == 0 && cfg.d == 0 {
		cfg.n = 10_000
	}
	if cfg.d == 0 {
		cfg.d = maxDuration
	}
	if cfg.n == 0 {
		cfg.n = maxMessages
	}
	for _, k := range strings.Split(keywords, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.keywords = append(cfg.keywords, k)
		}
	}
	if len(cfg.keywords) == 0 {
		cfg.keywords = []string{"hello"}
	}
	u, err := url.Parse(cfg.base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("-url must be an http(s) URL")
	}
	if !cfg.allowRemote && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%s is not this machine: pass -allow-remote to load another host", u.Hostname())
	}
	cfg.base = strings.TrimRight(cfg.base, "/")
	return cfg, nil
}

// isLoopback accepts localhost and loopback addresses only; names are resolved and must all be loopback.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false
		}
	}
	return true
}

type result struct {
	sent, ok, errors int64
	replies          int64 // answers carrying a passive reply (not "success")
	elapsed          time.Duration
	latencies        []time.Duration
	firstErrors      []string
}

// sender is one concurrent client; it owns its latencies.
type sender struct {
	cfg       *config
	client    *http.Client
	cipher    *wxcrypto.Cipher
	target    string
	latencies []time.Duration
	errs      []string
	replies   int64
	failed    int64
}

func drive(ctx context.Context, cfg *config) (*result, error) {
	var ciph *wxcrypto.Cipher
	if cfg.mode == "safe" {
		c, err := wxcrypto.NewCipher(cfg.aesKey, cfg.appid)
		if err != nil {
			return nil, err
		}
		ciph = c
	}
	client := &http.Client{
		Timeout: cfg.timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        cfg.concurrency * 2,
			MaxIdleConnsPerHost: cfg.concurrency * 2,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
	}
	target := cfg.base + "/wxplatform/callback/" + url.PathEscape(cfg.appid)

	// MsgIds unique across runs: a random 32-bit prefix above a per-run counter.
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	base := int64(binary.BigEndian.Uint32(seed[:])&0x3fffffff) << 32
	var counter atomic.Int64

	ctx, cancel := context.WithTimeout(ctx, cfg.d)
	defer cancel()
	senders := make([]*sender, cfg.concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range senders {
		s := &sender{cfg: cfg, client: client, cipher: ciph, target: target}
		senders[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				n := counter.Add(1)
				if n > int64(cfg.n) {
					return
				}
				s.send(ctx, base+n, n)
			}
		}()
	}
	wg.Wait()
	res := &result{elapsed: time.Since(start)}
	for _, s := range senders {
		res.latencies = append(res.latencies, s.latencies...)
		res.errors += s.failed
		res.replies += s.replies
		for _, e := range s.errs {
			if len(res.firstErrors) < 5 {
				res.firstErrors = append(res.firstErrors, e)
			}
		}
	}
	res.sent = int64(len(res.latencies))
	res.ok = res.sent - res.errors
	return res, nil
}

// send delivers one message and records its latency (errors included: a slow failure is still slow).
func (s *sender) send(ctx context.Context, msgID, n int64) {
	from := fmt.Sprintf("oLoadgen%020d", n%int64(s.cfg.senders))
	msg := &wxcrypto.Message{
		ToUserName:   "gh_0123456789ab",
		FromUserName: from,
		CreateTime:   time.Now().Unix(),
		MsgType:      "text",
		Content:      s.cfg.keywords[int(n)%len(s.cfg.keywords)],
		MsgID:        msgID,
	}
	q, body, err := wxcrypto.SealMessage(s.cfg.token, s.cipher, false, msg, strconv.FormatInt(time.Now().Unix(), 10), wxcrypto.RandomNonce())
	if err != nil {
		s.fail("seal: " + err.Error())
		return
	}
	t0 := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target+"?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		s.fail(err.Error())
		return
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return // the run ended while this request was in flight: not counted
		}
		s.latencies = append(s.latencies, time.Since(t0))
		s.fail(err.Error())
		return
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	s.latencies = append(s.latencies, time.Since(t0))
	if err != nil {
		s.fail("read answer: " + err.Error())
		return
	}
	if resp.StatusCode != http.StatusOK {
		s.fail(fmt.Sprintf("HTTP %d: %.100s", resp.StatusCode, answer))
		return
	}
	if string(answer) == "success" || len(answer) == 0 {
		return
	}
	s.replies++
	if !s.cfg.verify {
		return
	}
	plainReply := answer
	if s.cipher != nil {
		plainReply, err = s.cipher.OpenReply(s.cfg.token, answer)
		if err != nil {
			s.fail("open reply: " + err.Error())
			return
		}
	}
	r, err := wxcrypto.ParseReply(plainReply)
	if err != nil {
		s.fail("parse reply: " + err.Error())
		return
	}
	if r.ToUserName != from || r.FromUserName != msg.ToUserName {
		s.fail("reply addressed to " + r.ToUserName + " from " + r.FromUserName)
	}
}

func (s *sender) fail(msg string) {
	s.failed++
	if len(s.errs) < 5 {
		s.errs = append(s.errs, msg)
	}
}

func (r *result) print(w io.Writer, cfg *config) {
	slices.Sort(r.latencies)
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		i := int(p * float64(len(r.latencies)-1))
		return r.latencies[i]
	}
	rate := 0.0
	if r.elapsed > 0 {
		rate = float64(r.sent) / r.elapsed.Seconds()
	}
	fmt.Fprintf(w, "target      %s (mode %s, concurrency %d)\n", cfg.base, cfg.mode, cfg.concurrency)
	fmt.Fprintf(w, "messages    %d in %s: %.0f msg/s\n", r.sent, r.elapsed.Round(time.Millisecond), rate)
	fmt.Fprintf(w, "answers     %d ok (%d with a passive reply), %d errors\n", r.ok, r.replies, r.errors)
	fmt.Fprintf(w, "latency     p50 %s  p90 %s  p99 %s  max %s\n",
		pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond),
		pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	for _, e := range r.firstErrors {
		fmt.Fprintln(w, "error      ", e)
	}
}

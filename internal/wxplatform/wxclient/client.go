// Package wxclient is the console's typed client of WeChat's HTTP API (api.weixin.qq.com, and the URLs of
// open.weixin.qq.com and mp.weixin.qq.com it builds), and the keeper of each account's access_token and
// jsapi_ticket.
//
// Tokens and tickets live in Postgres (table wx_credentials), sealed with secretbox, so every console
// process sharing the database uses the same ones: fetching a new access_token invalidates the previous
// one at WeChat, so two processes refreshing on their own would keep breaking each other. A refresh takes
// the row's lock (SELECT … FOR UPDATE) and reads the row again under it, so a process that waited uses the
// token the other one fetched. Inside a process, concurrent callers share one database round trip
// (singleflight), and a small in-memory cache answers the common case without any I/O.
//
// Every call has a deadline. WeChat's errors come back as *Error (errcode, errmsg and a plain explanation
// for the operator); WeChat not answering in time is an apperr of kind UpstreamTimeout, not reachable one
// of kind Upstream. Busy answers (-1) are retried twice with jittered backoff, and an access_token that
// WeChat rejects (40001, 40014, 42001) is refreshed, unless another process already did, and the call
// retried once. Quota and permission errors (45009, 45011, 48001, 40164) are never retried.
package wxclient

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/secretbox"
)

// Default base URLs (contract §1).
const (
	DefaultAPIBase  = "https://api.weixin.qq.com"
	DefaultOpenBase = "https://open.weixin.qq.com"
	DefaultMPBase   = "https://mp.weixin.qq.com"
)

// Options configure a Client. DB, Box and Credentials are required: New panics without them.
type Options struct {
	// APIBase serves /cgi-bin/... and /sns/... (default https://api.weixin.qq.com).
	APIBase string
	// OpenBase serves /connect/oauth2/authorize (default https://open.weixin.qq.com).
	OpenBase string
	// MPBase serves /cgi-bin/showqrcode (default https://mp.weixin.qq.com).
	MPBase string
	// Timeout bounds one HTTP exchange with WeChat (default 5 s); UploadTimeout bounds one upload
	// (default 60 s: 10 MB over a slow uplink).
	Timeout       time.Duration
	UploadTimeout time.Duration
	// RetryBackoff is the base wait before retrying a busy answer (-1); the n-th retry waits about
	// n × RetryBackoff, jittered by ±50 % (default 200 ms).
	RetryBackoff time.Duration
	// DB holds wx_credentials; Box seals the values kept there.
	DB  *gorm.DB
	Box *secretbox.Box
	// Credentials answers an account's AppSecret when a token must be fetched.
	Credentials CredentialSource
	// StableToken fetches access_tokens with cgi-bin/stable_token instead of cgi-bin/token. The stable
	// token is a series of its own: other systems fetching cgi-bin/token with the same AppSecret do not
	// invalidate it.
	StableToken bool
	// RefreshAt is the fraction of a token's lifetime after which it is refreshed (default 0.8).
	RefreshAt float64
	// Logger receives refreshes, retries and failures; never a token or secret (default slog.Default()).
	Logger *slog.Logger
	// HTTPClient makes the calls (default NewHTTPClient()).
	HTTPClient *http.Client
	// Now is the clock of token expiry (default time.Now), so tests can move time.
	Now func() time.Time
	// Observer is told of every exchange with WeChat and every credential fetched (optional: metrics).
	Observer Observer
}

// Client calls WeChat for any number of accounts. It is safe for concurrent use; make one per process.
type Client struct {
	opts Options
	http *http.Client
	log  *slog.Logger
	now  func() time.Time

	flights singleflight.Group
	mu      sync.RWMutex
	cache   map[cacheKey]cacheEntry

	authz atomic.Pointer[authorizersBox]
}

// New builds a Client, filling the defaults of opts.
func New(opts Options) *Client {
	if opts.DB == nil || opts.Box == nil || opts.Credentials == nil {
		// A wiring mistake, found at start-up rather than on the first token call.
		panic("wxclient: Options.DB, Box and Credentials are required")
	}
	opts.APIBase = strings.TrimRight(orDefault(opts.APIBase, DefaultAPIBase), "/")
	opts.OpenBase = strings.TrimRight(orDefault(opts.OpenBase, DefaultOpenBase), "/")
	opts.MPBase = strings.TrimRight(orDefault(opts.MPBase, DefaultMPBase), "/")
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.UploadTimeout <= 0 {
		opts.UploadTimeout = 60 * time.Second
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = 200 * time.Millisecond
	}
	if opts.RefreshAt <= 0 || opts.RefreshAt >= 1 {
		opts.RefreshAt = 0.8
	}
	c := &Client{opts: opts, http: opts.HTTPClient, log: opts.Logger, now: opts.Now, cache: map[cacheKey]cacheEntry{}}
	if c.http == nil {
		c.http = NewHTTPClient()
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return strings.TrimSpace(s)
}

// NewHTTPClient answers the HTTP client the package uses by default: connections kept alive and reused
// for WeChat's few hosts, bounded dial and TLS handshake times, the environment's proxy. It sets no
// overall timeout: each call carries its own deadline.
func NewHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   32,
			MaxConnsPerHost:       64,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   5 * time.Second,
			ExpectContinueTimeout: time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
		},
		// WeChat's API never redirects; a redirect means a captive portal or a misconfigured base URL.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// OAuth scopes of web authorization (wechat-protocol.md §5).
const (
	ScopeBase     = "snsapi_base"
	ScopeUserInfo = "snsapi_userinfo"
)

// AuthorizeURL answers the page WeChat's browser must open for web authorization:
// {OpenBase}/connect/oauth2/authorize?appid=&redirect_uri=&response_type=code&scope=&state=#wechat_redirect,
// parameters in WeChat's documented order. state must be at most 128 letters or digits, as WeChat
// requires.
func (c *Client) AuthorizeURL(appid, redirectURI, scope, state string) (string, error) {
	if err := checkAppID(appid); err != nil {
		return "", err
	}
	u, err := url.Parse(redirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", apperr.Invalidf("redirect_uri", "must be an absolute http(s) URL").WithKey("err.url.absolute", "redirect_uri")
	}
	if scope != ScopeBase && scope != ScopeUserInfo {
		return "", apperr.Invalidf("scope", "must be %s or %s", ScopeBase, ScopeUserInfo).WithKey("err.field.either", "scope", ScopeBase, ScopeUserInfo)
	}
	if len(state) > 128 || strings.IndexFunc(state, func(r rune) bool { return !isAlnum(r) }) >= 0 {
		return "", apperr.Invalidf("state", "must be at most 128 letters or digits").WithKey("wxclient.err.state", "state")
	}
	return c.opts.OpenBase + "/connect/oauth2/authorize?appid=" + url.QueryEscape(appid) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) + "&response_type=code&scope=" + scope +
		"&state=" + state + "#wechat_redirect", nil
}

// QRCodeImageURL answers the link of a QR code's image: {MPBase}/cgi-bin/showqrcode?ticket=T (no token).
func (c *Client) QRCodeImageURL(ticket string) string {
	return c.opts.MPBase + "/cgi-bin/showqrcode?ticket=" + url.QueryEscape(ticket)
}

func isAlnum(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

func checkAppID(appid string) error {
	if appid == "" {
		return apperr.Missing("appid")
	}
	if len(appid) > 64 || strings.IndexFunc(appid, func(r rune) bool { return !isAlnum(r) }) >= 0 {
		return apperr.Invalidf("appid", "must be letters and digits").WithKey("err.field.alnum", "appid")
	}
	return nil
}

// drain reads what is left of an answer so its connection can be reused.
func drain(r io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
	_ = r.Close()
}

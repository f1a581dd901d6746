// Package wxemu is an in-memory stand-in for WeChat's servers: api.weixin.qq.com (/cgi-bin, /sns),
// open.weixin.qq.com (/connect/oauth2/authorize) and mp.weixin.qq.com (/cgi-bin/showqrcode).
//
// Every endpoint answers with WeChat's own HTTP methods, JSON shapes and error codes (errors are HTTP 200
// with {"errcode":N,"errmsg":"... rid: ..."}), so a client that works against the emulator works against
// WeChat with nothing changed but its base URLs. Tests mount Handler on an httptest.Server; the console
// mounts it under /sandbox/ when SANDBOX=true. A follower simulator (Deliver, SendText, SendEvent, Scan)
// plays WeChat's side of the message callback: it signs, encrypts and POSTs message XML to an account's
// callback and decodes the passive reply.
//
// All state lives in memory behind one mutex; the emulator is safe for concurrent use.
package wxemu

import (
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Options configure an Emulator. The zero value is usable.
type Options struct {
	// Now is the emulator's clock (default time.Now). Token, code and QR expiry all read it, so a test can
	// move time forward instead of sleeping.
	Now func() time.Time
	// TokenTTL is the lifetime of access_tokens, jsapi tickets and OAuth access tokens (default 7200s).
	TokenTTL time.Duration
	// TokenOverlap is how long an access_token keeps working after a newer one was fetched for the same
	// account (cgi-bin/token, or stable_token with force_refresh). WeChat keeps the previous token valid
	// for 5 minutes; the default here is 0, so that a test of "invalid or not latest" (40001) is
	// deterministic. Set 5*time.Minute to reproduce WeChat exactly.
	TokenOverlap time.Duration
	// AutoConsent makes /connect/oauth2/authorize redirect at once with a code (for tests); when false it
	// shows a small HTML consent page listing the account's followers to log in as (for the sandbox).
	AutoConsent bool
	// Logger receives one debug line per request and warnings from the simulator (default: discarded).
	Logger *slog.Logger
	// DemoFollowers is how many followers the demo account gets in New (0 means 200, negative means none).
	DemoFollowers int
	// DemoAccount fixes the demo account's credentials (the console derives them from its SECRET_KEY, so
	// the demo binding survives a restart); nil makes a random one.
	DemoAccount *Account
	// ProfilelessUserInfo makes cgi-bin/user/info and batchget answer as WeChat has since December 2021:
	// the same keys, with nickname, headimgurl, sex, city, province and country left blank. By default
	// they carry the generated profile, so the sandbox shows names.
	ProfilelessUserInfo bool
	// HTTPClient delivers simulated messages to callbacks (default: a client without proxy settings).
	HTTPClient *http.Client
	// DeliveryTimeout bounds one simulated delivery, as WeChat gives a callback 5 s (default 5s).
	DeliveryTimeout time.Duration
	// PublishDelay is how long a freepublish/submit job runs before it ends and PUBLISHJOBFINISH is pushed
	// (default 2 s); negative: jobs end only when CompletePublishing is called.
	PublishDelay time.Duration
	// MaxRequests is how many received requests Requests keeps, oldest dropped first (default 10000).
	MaxRequests int
	// JobFinishDelay is how long after a mass or template message WeChat's MASSSENDJOBFINISH or
	// TEMPLATESENDJOBFINISH event reaches the account's callback (default 2s; negative: never).
	JobFinishDelay time.Duration
}

// Account is an official account known to the emulator: its credentials as WeChat's admin shows them.
type Account struct {
	AppID          string `json:"appid"`
	Secret         string `json:"secret"`
	Token          string `json:"token"`
	EncodingAESKey string `json:"encodingAESKey"`
	OriginalID     string `json:"originalId"` // gh_ followed by 12 hex digits
	Name           string `json:"name"`
}

// Emulator is the WeChat stand-in. Create it with New.
type Emulator struct {
	opts    Options
	now     func() time.Time
	ttl     time.Duration
	log     *slog.Logger
	client  *http.Client
	handler http.Handler

	mu         sync.Mutex
	accounts   map[string]*account
	demoAppID  string
	tokens     map[string]*accessToken // access_token -> state, every account
	qrTickets  map[string]*qrCode      // QR ticket -> code, every account (showqrcode has no appid)
	oauthCodes map[string]*oauthCode
	snsTokens  map[string]*snsToken
	snsRefresh map[string]*snsRefresh
	requests   []Request
	faults     map[string]*Fault
	comp       *componentState            // the Open Platform component side (component.go)
	bcStates   map[string]*broadcastState // mass and template messages, per appid (broadcast.go)
	lastMsgID  int64
}

// New returns an emulator holding one demo account (see Demo) with generated followers.
func New(opts Options) *Emulator {
	e := &Emulator{
		opts:       opts,
		now:        opts.Now,
		ttl:        opts.TokenTTL,
		log:        opts.Logger,
		client:     opts.HTTPClient,
		accounts:   map[string]*account{},
		tokens:     map[string]*accessToken{},
		qrTickets:  map[string]*qrCode{},
		oauthCodes: map[string]*oauthCode{},
		snsTokens:  map[string]*snsToken{},
		snsRefresh: map[string]*snsRefresh{},
		faults:     map[string]*Fault{},
		comp:       newComponentState(),
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.ttl <= 0 {
		e.ttl = 7200 * time.Second
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.client == nil {
		e.client = &http.Client{Transport: &http.Transport{Proxy: nil}}
	}
	if e.opts.DeliveryTimeout <= 0 {
		e.opts.DeliveryTimeout = 5 * time.Second
	}
	if e.opts.MaxRequests <= 0 {
		e.opts.MaxRequests = 10000
	}
	var demo Account
	if opts.DemoAccount != nil {
		demo = *opts.DemoAccount
		e.AddAccount(demo)
	} else {
		demo = e.NewAccount("沙盒演示号 Sandbox Demo")
	}
	e.demoAppID = demo.AppID
	n := opts.DemoFollowers
	if n == 0 {
		n = 200
	}
	if n > 0 {
		e.AddFollowers(demo.AppID, n)
	}
	e.handler = e.routes()
	return e
}

// Handler serves every endpoint at paths relative to the emulator's root (/cgi-bin/token, /sns/userinfo,
// /connect/oauth2/authorize, /demo, /simulator/send …). Mount it with http.StripPrefix.
func (e *Emulator) Handler() http.Handler { return e.handler }

// Demo returns the demo account created by New.
func (e *Emulator) Demo() Account {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.accounts[e.demoAppID].Account
}

// AddAccount registers an account, or replaces the credentials of one with the same AppID (its
// followers, tags and materials stay). An empty OriginalID is generated.
func (e *Emulator) AddAccount(a Account) {
	if a.OriginalID == "" {
		a.OriginalID = "gh_" + randHex(12)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc, ok := e.accounts[a.AppID]; ok {
		acc.Account = a
		return
	}
	e.accounts[a.AppID] = newAccount(a)
}

// NewAccount creates, registers and returns an account with random credentials: appid wx + 16 hex,
// a 32-hex secret, a token, a 43-character EncodingAESKey and a gh_ original id.
func (e *Emulator) NewAccount(name string) Account {
	a := Account{
		AppID:          "wx" + randHex(16),
		Secret:         randHex(32),
		Token:          randString(alnum, 32),
		EncodingAESKey: randString(alnum, 43),
		OriginalID:     "gh_" + randHex(12),
		Name:           name,
	}
	e.AddAccount(a)
	return a
}

// account returns the state of appid, or nil. The caller holds e.mu.
func (e *Emulator) account(appid string) *account {
	return e.accounts[appid]
}

// account is everything the emulator keeps for one official account. Guarded by Emulator.mu.
type account struct {
	Account
	openidPrefix string

	followers map[string]*follower
	order     []*follower // subscribed followers, in subscription order
	nextSeq   int64

	tags      map[int]*Tag
	nextTagID int

	materials []*material // permanent materials, oldest first
	images    []Material  // media/uploadimg pictures

	qrcodes []*qrCode

	menuRaw     []byte
	menuButtons []menuButton
	conditional []*conditionalMenu // oldest first (conditional.go)
	nextMenuID  int64
	platforms   map[string]int // openid -> client platform for menu/trymatch

	callbackURL  string
	callbackMode string
	delivered    map[string]int // messages the simulator delivered, per Beijing day (datacube.go)

	news     *newsState           // draft box and publishing (drafts.go)
	windows  map[string]*csWindow // openid -> customer-service window (customservice.go)
	received []CustomDelivery     // customer-service messages delivered to followers, oldest first

	tokenFetches  int
	stable        *accessToken
	ticket        string
	ticketExpires time.Time
	oauthUser     string
}

func newAccount(a Account) *account {
	return &account{
		Account:      a,
		openidPrefix: "o" + randString(openidChars, 5),
		followers:    map[string]*follower{},
		tags:         map[int]*Tag{starTagID: {ID: starTagID, Name: "星标组"}},
		nextTagID:    firstUserTagID,
	}
}

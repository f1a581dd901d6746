// Package config holds the console's configuration: every setting of contract §1, read from the environment
// and from command-line flags of the same name, validated once at start and passed down as one value.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // TIMEZONE works on hosts without a zone database (scratch images)
)

// Config is the whole configuration of one console process.
type Config struct {
	DatabaseURL    string
	ListenAddr     string
	BaseURL        string
	SecretKey      string // raw text as given; Key() decodes it
	SMTPURL        string
	MailFrom       string
	WechatAPIBase  string
	WechatOpenBase string
	WechatMPBase   string
	Sandbox        bool
	SandboxDemo    bool // SANDBOX_DEMO_DATA: seed the demo account with rules, synced followers and messages
	MetricsToken   string
	LogLevel       string
	LogFormat      string
	// WechatTimeout bounds every call to WeChat.
	WechatTimeout time.Duration
	// DBMaxOpenConns bounds this process's Postgres pool.
	DBMaxOpenConns int
	// TrustedProxies is TRUSTED_PROXIES as given: comma-separated addresses or CIDRs of the reverse proxies
	// whose X-Forwarded-For is believed (Proxies answers the list).
	TrustedProxies string
	// ShutdownDrain is how long, after SIGTERM, requests are still served (with Connection: close) while
	// /readyz answers 503, so a load balancer takes the process out before it stops listening.
	ShutdownDrain time.Duration
	// The WeChat Open Platform third-party platform ("component") the console runs as (contract §15): all
	// four or none. In sandbox mode, none means the emulator's demo component.
	ComponentAppID  string
	ComponentSecret string
	ComponentToken  string
	ComponentAESKey string
	// SandboxTicketInterval is how often the sandbox emulator pushes a component_verify_ticket.
	SandboxTicketInterval time.Duration
	// TemplateRate is how many template messages per second a broadcast sends for one account (§18).
	TemplateRate int
	// BroadcastLease is how long a broadcast's sender may stay silent before another process takes over.
	BroadcastLease time.Duration
	// MassChunkSize is the most openids of one mass/send call of an openid-list broadcast (§18; WeChat's
	// and the default 10,000).
	MassChunkSize int
	// MessageRetentionDays is how long received messages are kept, in days (0 keeps them all): older
	// months of wx_messages are dropped whole.
	MessageRetentionDays int
	// TimeZone is the operators' time zone (an IANA name): daily statistics, charts, rule time windows.
	// Location answers it loaded.
	TimeZone string
}

// DefaultTimeZone is TIMEZONE's default: WeChat's own days are Beijing days.
const DefaultTimeZone = "Asia/Shanghai"

// Location answers TIMEZONE as a *time.Location (the zone database is embedded, so every IANA name works
// on any host); UTC if it does not load, which Validate reports first.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Defaults as contract §1 lists them.
const (
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/socialinzen?sslmode=disable"
	DefaultListenAddr  = ":8080"
	DefaultBaseURL     = "http://localhost:8080"
	DefaultMailFrom    = "socialinzen <no-reply@localhost>"
	DefaultAPIBase     = "https://api.weixin.qq.com"
	DefaultOpenBase    = "https://open.weixin.qq.com"
	DefaultMPBase      = "https://mp.weixin.qq.com"
)

type setting struct {
	env, usage string
	str        *string
	boolean    *bool
	dur        *time.Duration
	num        *int
	def        string
}

func (c *Config) settings() []setting {
	return []setting{
		{env: "DATABASE_URL", usage: "Postgres URL", str: &c.DatabaseURL, def: DefaultDatabaseURL},
		{env: "LISTEN_ADDR", usage: "HTTP listen address", str: &c.ListenAddr, def: DefaultListenAddr},
		{env: "BASE_URL", usage: "public URL of the console", str: &c.BaseURL, def: DefaultBaseURL},
		{env: "SECRET_KEY", usage: "32+ random bytes, hex or base64 (generated and stored in the DB when empty)", str: &c.SecretKey},
		{env: "SMTP_URL", usage: "smtp://user:pass@host:port or smtps://...; empty writes mail to the log", str: &c.SMTPURL},
		{env: "MAIL_FROM", usage: "sender address", str: &c.MailFrom, def: DefaultMailFrom},
		{env: "WECHAT_API_BASE", usage: "WeChat API base", str: &c.WechatAPIBase},
		{env: "WECHAT_OPEN_BASE", usage: "WeChat OAuth authorize base", str: &c.WechatOpenBase},
		{env: "WECHAT_MP_BASE", usage: "WeChat QR image base", str: &c.WechatMPBase},
		{env: "SANDBOX", usage: "serve the WeChat emulator under /sandbox/ and point the WeChat bases at it", boolean: &c.Sandbox, def: "false"},
		{env: "METRICS_TOKEN", usage: "bearer token required by /metrics (unset: loopback clients only)", str: &c.MetricsToken},
		{env: "LOG_LEVEL", usage: "debug, info, warn or error", str: &c.LogLevel, def: "info"},
		{env: "LOG_FORMAT", usage: "text or json", str: &c.LogFormat, def: "text"},
		{env: "WECHAT_TIMEOUT", usage: "deadline of one call to WeChat", dur: &c.WechatTimeout, def: "5s"},
		{env: "DB_MAX_OPEN_CONNS", usage: "Postgres connections per process", num: &c.DBMaxOpenConns, def: "20"},
		{env: "TIMEZONE", usage: "the operators' time zone (IANA name): daily statistics, charts, rule time windows", str: &c.TimeZone, def: DefaultTimeZone},
		{env: "TRUSTED_PROXIES", usage: "comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For names the client", str: &c.TrustedProxies},
		{env: "SHUTDOWN_DRAIN", usage: "on SIGTERM, how long /readyz answers 503 while requests are still served", dur: &c.ShutdownDrain, def: "5s"},
		{env: "WECHAT_COMPONENT_APPID", usage: "AppID of the WeChat Open Platform third-party platform (component); all four WECHAT_COMPONENT_* or none", str: &c.ComponentAppID},
		{env: "WECHAT_COMPONENT_SECRET", usage: "AppSecret of the component", str: &c.ComponentSecret},
		{env: "WECHAT_COMPONENT_TOKEN", usage: "message-verification token of the component", str: &c.ComponentToken},
		{env: "WECHAT_COMPONENT_AES_KEY", usage: "EncodingAESKey (43 characters) of the component", str: &c.ComponentAESKey},
		{env: "SANDBOX_DEMO_DATA", usage: "in sandbox mode, give the demo account a few rules, its followers synced and a few inbox messages (make run sets it)", boolean: &c.SandboxDemo, def: "false"},
		{env: "SANDBOX_TICKET_INTERVAL", usage: "how often the sandbox emulator pushes a component_verify_ticket", dur: &c.SandboxTicketInterval, def: "10m"},
		{env: "TEMPLATE_RATE", usage: "template messages per second per account in a broadcast", num: &c.TemplateRate, def: "50"},
		{env: "BROADCAST_LEASE", usage: "silence after which another process resumes a broadcast", dur: &c.BroadcastLease, def: "30s"},
		{env: "MASS_CHUNK_SIZE", usage: "most openids of one mass/send call of an openid-list broadcast (4 to 10000)", num: &c.MassChunkSize, def: "10000"},
		{env: "MESSAGE_RETENTION", usage: "days received messages are kept (whole months are dropped past it); 0 keeps all", num: &c.MessageRetentionDays, def: "365"},
	}
}

// Load reads the environment through getenv, then the flags in args (flags win). The flag names are the
// variable names in lower case with dashes: DATABASE_URL is -database-url.
func Load(args []string, getenv func(string) string) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	for _, s := range c.settings() {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		name := strings.ReplaceAll(strings.ToLower(s.env), "_", "-")
		usage := s.usage + " (env " + s.env + ")"
		switch {
		case s.str != nil:
			fs.StringVar(s.str, name, v, usage)
		case s.boolean != nil:
			b, err := parseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.env, err)
			}
			fs.BoolVar(s.boolean, name, b, usage)
		case s.dur != nil:
			d, err := time.ParseDuration(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s.env, err)
			}
			fs.DurationVar(s.dur, name, d, usage)
		case s.num != nil:
			var n int
			if _, err := fmt.Sscan(v, &n); err != nil {
				return nil, fmt.Errorf("%s: not a number: %q", s.env, v)
			}
			fs.IntVar(s.num, name, n, usage)
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	c.applySandbox()
	return c, c.Validate()
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", v)
}

// applySandbox points the WeChat bases at the built-in emulator when SANDBOX is on, and fills the real
// WeChat bases otherwise. A base given explicitly always wins.
func (c *Config) applySandbox() {
	api, open, mp := DefaultAPIBase, DefaultOpenBase, DefaultMPBase
	if c.Sandbox {
		api, open, mp = c.SandboxBase(), c.SandboxBase(), c.SandboxBase()
	}
	if c.WechatAPIBase == "" {
		c.WechatAPIBase = api
	}
	if c.WechatOpenBase == "" {
		c.WechatOpenBase = open
	}
	if c.WechatMPBase == "" {
		c.WechatMPBase = mp
	}
	c.WechatAPIBase = strings.TrimRight(c.WechatAPIBase, "/")
	c.WechatOpenBase = strings.TrimRight(c.WechatOpenBase, "/")
	c.WechatMPBase = strings.TrimRight(c.WechatMPBase, "/")
}

// SandboxBase is where the emulator is mounted.
func (c *Config) SandboxBase() string { return c.BaseURL + "/sandbox" }

// Validate reports every wrong setting at once.
func (c *Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		errs = append(errs, errors.New("DATABASE_URL must be a postgres:// URL"))
	}
	if c.ListenAddr == "" {
		errs = append(errs, errors.New("LISTEN_ADDR is empty"))
	}
	for name, v := range map[string]string{"BASE_URL": c.BaseURL, "WECHAT_API_BASE": c.WechatAPIBase,
		"WECHAT_OPEN_BASE": c.WechatOpenBase, "WECHAT_MP_BASE": c.WechatMPBase} {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an absolute http(s) URL, got %q", name, v))
		}
	}
	if c.SecretKey != "" {
		if _, err := DecodeKey(c.SecretKey); err != nil {
			errs = append(errs, fmt.Errorf("SECRET_KEY: %w", err))
		}
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			errs = append(errs, errors.New("SMTP_URL must look like smtp://user:pass@host:port or smtps://user:pass@host:port"))
		}
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		errs = append(errs, fmt.Errorf("MAIL_FROM is not an address: %q", c.MailFrom))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, got %q", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT must be text or json, got %q", c.LogFormat))
	}
	if c.WechatTimeout <= 0 {
		errs = append(errs, errors.New("WECHAT_TIMEOUT must be positive"))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "" {
		errs = append(errs, fmt.Errorf("TIMEZONE must be an IANA time zone such as Asia/Shanghai, got %q", c.TimeZone))
	}
	if _, err := c.Proxies(); err != nil {
		errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %w", err))
	}
	if c.ShutdownDrain < 0 {
		errs = append(errs, errors.New("SHUTDOWN_DRAIN must not be negative"))
	}
	if c.TemplateRate < 1 {
		errs = append(errs, errors.New("TEMPLATE_RATE must be at least 1"))
	}
	if c.MassChunkSize < 4 || c.MassChunkSize > 10000 {
		errs = append(errs, errors.New("MASS_CHUNK_SIZE must be between 4 and 10000"))
	}
	if c.BroadcastLease < time.Second {
		errs = append(errs, errors.New("BROADCAST_LEASE must be at least 1s"))
	}
	if c.MessageRetentionDays < 0 {
		errs = append(errs, errors.New("MESSAGE_RETENTION must be a number of days, 0 to keep every message"))
	}
	if c.DBMaxOpenConns < 2 {
		errs = append(errs, errors.New("DB_MAX_OPEN_CONNS must be at least 2"))
	}
	errs = append(errs, c.validateComponent()...)
	return errors.Join(errs...)
}

// Proxies answers TRUSTED_PROXIES as a list of CIDRs (a bare address is a /32 or /128), or what is wrong.
func (c *Config) Proxies() ([]string, error) {
	var out []string
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", f)
			}
			out = append(out, p.Masked().String())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()).String())
	}
	return out, nil
}

// HTTPS says whether BASE_URL is https: cookies get the Secure flag and answers carry HSTS.
func (c *Config) HTTPS() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// SecureCookies says whether cookies get the Secure flag: when the console is served over https.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// DecodeKey decodes a SECRET_KEY given as hex or base64; it must hold at least 32 bytes.
func DecodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	var key []byte
	if b, err := hex.DecodeString(s); err == nil {
		key = b
	} else if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		key = b
	} else if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil {
		key = b
	} else {
		return nil, errors.New("neither hex nor base64")
	}
	if len(key) < 32 {
		return nil, fmt.Errorf("holds %d bytes, needs at least 32", len(key))
	}
	return key, nil
}

// String prints the configuration with secrets masked, for the start-up log.
func (c *Config) String() string {
	var b strings.Builder
	for _, s := range c.settings() {
		var v string
		switch {
		case s.str != nil:
			v = *s.str
		case s.boolean != nil:
			v = fmt.Sprint(*s.boolean)
		case s.dur != nil:
			v = s.dur.String()
		case s.num != nil:
			v = fmt.Sprint(*s.num)
		}
		switch s.env {
		case "SECRET_KEY", "METRICS_TOKEN", "WECHAT_COMPONENT_SECRET", "WECHAT_COMPONENT_TOKEN", "WECHAT_COMPONENT_AES_KEY":
			if v != "" {
				v = "****"
			}
		case "DATABASE_URL", "SMTP_URL":
			v = maskURL(v)
		}
		fmt.Fprintf(&b, "%s=%s\n", s.env, v)
	}
	return b.String()
}

func maskURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return v
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "****")
	}
	return u.String()
}

// MessageRetention is MESSAGE_RETENTION as a duration; 0 keeps every message.
func (c *Config) MessageRetention() time.Duration {
	return time.Duration(c.MessageRetentionDays) * 24 * time.Hour
}

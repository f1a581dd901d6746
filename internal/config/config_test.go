package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	c, err := Load(nil, env(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultDatabaseURL, c.DatabaseURL)
	require.Equal(t, ":8080", c.ListenAddr)
	require.Equal(t, "http://localhost:8080", c.BaseURL)
	require.Equal(t, DefaultAPIBase, c.WechatAPIBase)
	require.Equal(t, DefaultOpenBase, c.WechatOpenBase)
	require.Equal(t, DefaultMPBase, c.WechatMPBase)
	require.False(t, c.Sandbox)
}

func TestSandboxPointsTheBasesAtTheEmulator(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"SANDBOX": "true", "BASE_URL": "http://example.test:9000/"}))
	require.NoError(t, err)
	require.Equal(t, "http://example.test:9000/sandbox", c.WechatAPIBase)
	require.Equal(t, "http://example.test:9000/sandbox", c.WechatOpenBase)
	require.Equal(t, "http://example.test:9000/sandbox", c.WechatMPBase)

	c, err = Load(nil, env(map[string]string{"SANDBOX": "true", "WECHAT_API_BASE": "http://wx.test"}))
	require.NoError(t, err)
	require.Equal(t, "http://wx.test", c.WechatAPIBase, "an explicit base wins over the sandbox")
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	c, err := Load([]string{"-listen-addr", ":9999", "-sandbox"}, env(map[string]string{"LISTEN_ADDR": ":1"}))
	require.NoError(t, err)
	require.Equal(t, ":9999", c.ListenAddr)
	require.True(t, c.Sandbox)
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"database url", map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{"base url", map[string]string{"BASE_URL": "localhost:8080"}, "BASE_URL"},
		{"short secret", map[string]string{"SECRET_KEY": "abcd"}, "SECRET_KEY"},
		{"smtp", map[string]string{"SMTP_URL": "http://mail"}, "SMTP_URL"},
		{"mail from", map[string]string{"MAIL_FROM": "not an address"}, "MAIL_FROM"},
		{"sandbox word", map[string]string{"SANDBOX": "maybe"}, "SANDBOX"},
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"time zone", map[string]string{"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(nil, env(tc.env))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestDecodeKey(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	k, err := DecodeKey(hexKey)
	require.NoError(t, err)
	require.Len(t, k, 32)
	_, err = DecodeKey("c2hvcnQ=")
	require.Error(t, err)
}

func TestStringMasksSecrets(t *testing.T) {
	c, err := Load(nil, env(map[string]string{
		"SECRET_KEY":    strings.Repeat("cd", 32),
		"SMTP_URL":      "smtp://user:hunter2@mail.test:25",
		"DATABASE_URL":  "postgres://app:pgsecret@db.test/x",
		"METRICS_TOKEN": "metrics-secret",
	}))
	require.NoError(t, err)
	s := c.String()
	for _, secret := range []string{strings.Repeat("cd", 32), "hunter2", "pgsecret", "metrics-secret"} {
		require.NotContains(t, s, secret)
	}
	require.Contains(t, s, "SECRET_KEY=****")
}

func TestTimeZone(t *testing.T) {
	c, err := Load(nil, env(nil))
	require.NoError(t, err)
	require.Equal(t, "Asia/Shanghai", c.TimeZone)
	require.Equal(t, "Asia/Shanghai", c.Location().String())
	c, err = Load(nil, env(map[string]string{"TIMEZONE": "Europe/Paris"}))
	require.NoError(t, err)
	require.Equal(t, "Europe/Paris", c.Location().String())
	c, err = Load([]string{"-timezone", "UTC"}, env(map[string]string{"TIMEZONE": "Europe/Paris"}))
	require.NoError(t, err)
	require.Equal(t, "UTC", c.Location().String(), "the flag wins")
}

func TestComponentSettings(t *testing.T) {
	full := map[string]string{
		"WECHAT_COMPONENT_APPID":   "wx0123456789abcdef",
		"WECHAT_COMPONENT_SECRET":  strings.Repeat("s", 32),
		"WECHAT_COMPONENT_TOKEN":   "componenttoken",
		"WECHAT_COMPONENT_AES_KEY": strings.Repeat("k", 43),
	}
	c, err := Load(nil, env(full))
	require.NoError(t, err)
	require.True(t, c.HasComponent())
	require.Equal(t, "10m0s", c.SandboxTicketInterval.String())
	s := c.String()
	require.NotContains(t, s, strings.Repeat("s", 32))
	require.NotContains(t, s, strings.Repeat("k", 43))
	require.NotContains(t, s, "componenttoken")

	partial := map[string]string{"WECHAT_COMPONENT_APPID": "wx0123456789abcdef"}
	_, err = Load(nil, env(partial))
	require.ErrorContains(t, err, "all four or none")

	bad := map[string]string{}
	for k, v := range full {
		bad[k] = v
	}
	bad["WECHAT_COMPONENT_AES_KEY"] = "short"
	_, err = Load(nil, env(bad))
	require.ErrorContains(t, err, "WECHAT_COMPONENT_AES_KEY")

	c, err = Load([]string{"-sandbox-ticket-interval", "30s"}, env(nil))
	require.NoError(t, err)
	require.False(t, c.HasComponent())
	require.Equal(t, "30s", c.SandboxTicketInterval.String())
}

func TestTrustedProxiesAndShutdownDrain(t *testing.T) {
	c, err := Load(nil, env(nil))
	require.NoError(t, err)
	p, err := c.Proxies()
	require.NoError(t, err)
	require.Empty(t, p, "no proxy is trusted by default")
	require.Equal(t, "5s", c.ShutdownDrain.String())

	c, err = Load([]string{"-trusted-proxies", "10.0.0.0/8, 192.0.2.7,::1", "-shutdown-drain", "0s"},
		env(map[string]string{"TRUSTED_PROXIES": "127.0.0.1"}))
	require.NoError(t, err)
	p, err = c.Proxies()
	require.NoError(t, err)
	require.Equal(t, []string{"10.0.0.0/8", "192.0.2.7/32", "::1/128"}, p)
	require.Zero(t, c.ShutdownDrain)

	_, err = Load(nil, env(map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,balancer.local"}))
	require.ErrorContains(t, err, "TRUSTED_PROXIES")
	_, err = Load(nil, env(map[string]string{"SHUTDOWN_DRAIN": "-1s"}))
	require.ErrorContains(t, err, "SHUTDOWN_DRAIN")
}

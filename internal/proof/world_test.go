package proof

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/socialinzen/socialinzen/internal/mail/mailtest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// world is what the console processes of a test talk to: one WeChat emulator and one SMTP server, both
// in this test process.
type world struct {
	emu  *wxemu.Emulator
	wx   *httptest.Server
	mail *mailtest.Server
}

func newWorld(t *testing.T) *world {
	t.Helper()
	emu := wxemu.New(wxemu.Options{AutoConsent: true})
	wx := httptest.NewServer(emu.Handler())
	t.Cleanup(wx.Close)
	return &world{emu: emu, wx: wx, mail: mailtest.Start(t)}
}

// env points a console at the world and at the database.
func (w *world) env(dbURL string) map[string]string {
	return map[string]string{
		"DATABASE_URL":     dbURL,
		"WECHAT_API_BASE":  w.wx.URL,
		"WECHAT_OPEN_BASE": w.wx.URL,
		"WECHAT_MP_BASE":   w.wx.URL,
		"SMTP_URL":         w.mail.URL(),
	}
}

// requestsTo counts the requests the emulator received for path.
func requestsTo(emu *wxemu.Emulator, path string) int {
	n := 0
	for _, r := range emu.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

var (
	loopbackAliasOnce sync.Once
	loopbackAliases   bool
)

// fromAddress answers a client whose connections leave from the loopback address ip (Linux routes all of
// 127.0.0.0/8 to lo), so that the console sees distinct client addresses. Where a loopback alias cannot be
// bound, connections leave from the default address.
func fromAddress(ip string) *http.Client {
	loopbackAliasOnce.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.2:0")
		if err == nil {
			loopbackAliases = true
			_ = ln.Close()
		}
	})
	d := &net.Dialer{Timeout: 5 * time.Second}
	if loopbackAliases {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(ip)}
	}
	return &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true, DialContext: d.DialContext}}
}

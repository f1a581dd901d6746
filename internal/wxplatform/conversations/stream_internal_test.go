package conversations

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

type oneAccount struct{}

func (oneAccount) List(context.Context, int64) ([]*accounts.Account, error) {
	return []*accounts.Account{{ID: 7, AppID: "wx0000000000000007"}}, nil
}

// TestStreamOutlivesServerTimeouts: a stream stays open, and delivers, past the server's read and write
// timeouts (which suit ordinary requests), with heartbeats while idle.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	gin.SetMode(gin.TestMode)
	h := NewHub(nil, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	e := gin.New()
	e.Use(func(c *gin.Context) { c.Set("httpapi.principal", httpapi.Principal{UserID: 1, Username: "op"}) })
	(&Handler{Hub: h, Accounts: oneAccount{}, Heartbeat: 200 * time.Millisecond}).StreamRoutes(e.Group("/apis/wxplatform"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: e, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { h.Close(); _ = srv.Close() })

	resp, err := http.Get("http://" + ln.Addr().String() + "/apis/wxplatform/events")
	require.NoError(t, err)
	defer resp.Body.Close()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	time.Sleep(time.Second) // three times both timeouts
	h.publish([]Event{{ID: 99, AccountID: 7, Name: "message", Data: []byte(`{"id":99}`)}})
	h.publish([]Event{{ID: 100, AccountID: 8, Name: "message", Data: []byte(`{"id":100}`)}}) // not the caller's
	var got []string
	deadline := time.After(3 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "the stream ended: %v", got)
			got = append(got, l)
			if l == "data: {\"id\":99}" {
				all := strings.Join(got, "\n")
				require.Contains(t, all, ": ping", "heartbeats while idle")
				require.Contains(t, all, "id: 99\nevent: message")
				require.NotContains(t, all, "id: 100")
				return
			}
		case <-deadline:
			t.Fatalf("no event; the stream said: %v", got)
		}
	}
}

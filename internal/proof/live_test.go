package proof

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// liveEvent is one event of /apis/wxplatform/events.
type liveEvent struct {
	id   int64
	name string
	data map[string]any
	at   time.Time
}

// openStream holds /apis/wxplatform/events on base and answers its events as they arrive.
func openStream(t *testing.T, base, token string, lastID int64) <-chan liveEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/apis/wxplatform/events", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	resp, err := (&http.Client{}).Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := make(chan liveEvent, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev liveEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					ev.at = time.Now()
					out <- ev
				}
				ev = liveEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &ev.data)
			}
		}
	}()
	return out
}

// nextEvent answers the next event of a stream within timeout.
func nextEvent(t *testing.T, events <-chan liveEvent, timeout time.Duration) liveEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		require.True(t, ok, "the stream ended")
		return ev
	case <-time.After(timeout):
		t.Fatalf("no event within %s", timeout)
	}
	return liveEvent{}
}

// TestLiveStreamAcrossProcesses: three console processes on one database. A follower's message delivered
// to process A, and an operator's answer sent through process B, both reach a stream held on process C
// within a second (Postgres LISTEN/NOTIFY); a client reconnecting to process A with Last-Event-ID gets
// what it missed.
func TestLiveStreamAcrossProcesses(t *testing.T) {
	skipShort(t)
	dbURL := dbtest.NewURL(t)
	w := newWorld(t)
	procs := startConsoles(t, []string{"A", "B", "C"}, w.env(dbURL))
	pa, pb, pc := procs[0], procs[1], procs[2]
	c := newClient(t)
	op := registerOperator(t, c, w.mail, pa.url, pa.url, pa.url)
	acct := w.emu.NewAccount("实时会话 Proof")
	w.emu.AddFollowers(acct.AppID, 5)
	bindAccount(t, c, pa.url, op, acct)
	w.emu.SetCallback(acct.AppID, pa.url+"/wxplatform/callback/"+acct.AppID, wxemu.ModeSafe)
	follower := w.emu.Followers(acct.AppID)[0].OpenID

	onC := openStream(t, pc.url, op.token, 0)
	// The stream is subscribed once its first bytes arrived; give C's listener a moment to be up.
	time.Sleep(200 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sent := time.Now()
	d, err := w.emu.SendText(ctx, acct.AppID, follower, "发给进程A的消息")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, d.Status, "%s", d.Body)
	ev := nextEvent(t, onC, 3*time.Second)
	require.Equal(t, "message", ev.name)
	msg := ev.data["message"].(map[string]any)
	require.Equal(t, "发给进程A的消息", msg["content"])
	require.Equal(t, "in", msg["direction"])
	require.Equal(t, acct.AppID, ev.data["appid"])
	took := ev.at.Sub(sent)
	require.Less(t, took, time.Second, "the message received by A reached the stream on C after %s", took)
	t.Logf("a message into process A reached the stream on process C after %s", took.Round(time.Millisecond))
	first := ev.id

	r := c.mustOK(pb.url, "/apis/wxplatform/sendMessage", op.token, map[string]any{"openid": follower, "type": "text",
		"reply": map[string]string{"content": "进程B的回复"}})
	require.Equal(t, "sent", r.obj["message"].(map[string]any)["status"], "%s", r)
	ev = nextEvent(t, onC, time.Second)
	require.Equal(t, "out", ev.data["message"].(map[string]any)["direction"])
	require.Equal(t, "进程B的回复", ev.data["message"].(map[string]any)["content"])
	got := w.emu.Received(acct.AppID, follower)
	require.Len(t, got, 1)
	require.Equal(t, "进程B的回复", got[0].Content)

	// A client that saw only the first event reconnects to another process: the answer is replayed.
	again := openStream(t, pa.url, op.token, first)
	ev = nextEvent(t, again, 3*time.Second)
	require.Equal(t, "进程B的回复", ev.data["message"].(map[string]any)["content"])
}

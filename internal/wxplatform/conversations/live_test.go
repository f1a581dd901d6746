package conversations_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// sseEvent is one server-sent event as a browser's EventSource sees it.
type sseEvent struct {
	ID   int64
	Name string
	Data map[string]any
}

// stream is an open /apis/wxplatform/events.
type stream struct {
	t      *testing.T
	events chan sseEvent
	cancel context.CancelFunc
}

func (c *console) stream(lastID int64) *stream {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.con.URL+"/apis/wxplatform/events?access_token="+url.QueryEscape(c.token), nil)
	require.NoError(c.t, err)
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	resp, err := (&http.Client{}).Do(req)
	require.NoError(c.t, err)
	require.Equal(c.t, 200, resp.StatusCode)
	require.Equal(c.t, "text/event-stream; charset=utf-8", resp.Header.Get("Content-Type"))
	s := &stream{t: c.t, events: make(chan sseEvent, 100), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Name != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				ev.Name = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &ev.Data)
			}
		}
	}()
	c.t.Cleanup(cancel)
	return s
}

// next answers the next event. The wait is generous: delivery speed is a benchmark's business, and under
// -race on a loaded 2-core machine a healthy stream has been seen to take over a second.
func (s *stream) next() sseEvent {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		require.True(s.t, ok, "the stream ended")
		return ev
	case <-time.After(10 * time.Second):
		s.t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

// TestLiveStream: the follower's message, the rule's answer, an operator's answer and the conversation's
// changes reach an open stream; a stream reconnecting with Last-Event-ID gets what it
// missed.
func TestLiveStream(t *testing.T) {
	c := start(t)
	s := c.stream(0)
	alice := c.follower(0)
	c.say(alice, "有人吗")
	ev := s.next()
	require.Equal(t, "message", ev.Name)
	require.Equal(t, c.appid, ev.Data["appid"])
	require.Equal(t, alice, ev.Data["openid"])
	msg := ev.Data["message"].(map[string]any)
	require.Equal(t, "in", msg["direction"])
	require.Equal(t, "有人吗", msg["content"])
	require.EqualValues(t, 1, ev.Data["conversation"].(map[string]any)["unread"])
	first := ev.ID

	c.ok("sendMessage", map[string]any{"openid": alice, "type": "text", "reply": "在的"})
	ev = s.next()
	require.Equal(t, "message", ev.Name)
	msg = ev.Data["message"].(map[string]any)
	require.Equal(t, "out", msg["direction"])
	require.Equal(t, "在的", msg["content"])
	require.Equal(t, "demo", msg["operator"])

	c.ok("assignConversation", map[string]any{"openid": alice, "userId": "me"})
	ev = s.next()
	require.Equal(t, "conversation", ev.Name)
	require.Equal(t, "assigned", ev.Data["action"])
	require.EqualValues(t, c.uid, ev.Data["conversation"].(map[string]any)["assignee"])
	last := ev.ID

	// A client that saw only the first event reconnects: the rest is replayed, then live events follow.
	s2 := c.stream(first)
	ev = s2.next()
	require.Equal(t, "message", ev.Name)
	require.Equal(t, "out", ev.Data["message"].(map[string]any)["direction"])
	ev = s2.next()
	require.Equal(t, last, ev.ID)
	c.ok("markRead", map[string]any{"openid": alice})
	ev = s2.next()
	require.Equal(t, "read", ev.Data["action"])
	require.Equal(t, "read", s.next().Data["action"])

	// Without a token: 40100.
	resp, err := http.Get(c.con.URL + "/apis/wxplatform/events")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode)
}

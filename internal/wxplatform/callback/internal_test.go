package callback

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

func TestRecentCache(t *testing.T) {
	c := newRecentCache(4, RetryWindow)
	t0 := time.Unix(1_700_000_000, 0)
	k := func(i int64) msgKey { return msgKey{account: 1, msgID: i} }
	c.put(k(1), answer{keyword: "one"}, t0)
	got, ok := c.get(k(1), t0.Add(RetryWindow))
	require.True(t, ok)
	require.Equal(t, "one", got.keyword)
	_, ok = c.get(k(1), t0.Add(RetryWindow+time.Second))
	require.False(t, ok, "older than the retry window")

	// putIfAbsent keeps the first answer.
	first, loaded := c.putIfAbsent(k(2), answer{keyword: "first"}, t0)
	require.False(t, loaded)
	require.Equal(t, "first", first.keyword)
	first, loaded = c.putIfAbsent(k(2), answer{keyword: "second"}, t0.Add(time.Second))
	require.True(t, loaded)
	require.Equal(t, "first", first.keyword)

	// Bounded: two generations of size/2 each.
	for i := int64(10); i < 1000; i++ {
		c.put(k(i), answer{}, t0)
	}
	require.LessOrEqual(t, c.Len(), 4)
	_, ok = c.get(k(999), t0)
	require.True(t, ok, "the newest survive")
	// Events are keyed by sender, time and event.
	ev := keyOf(1, &wxcrypto.Message{MsgType: "event", Event: "subscribe", FromUserName: "o", CreateTime: 5, MsgID: 77})
	require.Equal(t, msgKey{account: 1, from: "o", createTime: 5, event: "subscribe"}, ev)
}

func TestRenderLimitsArticlesAndSwapsAddresses(t *testing.T) {
	arts := make([]wxcrypto.Article, 10)
	for i := range arts {
		arts[i] = wxcrypto.Article{Title: "t", URL: "https://e.com"}
	}
	m := &reply.Match{RuleID: 3, Keyword: "k", Kind: "keyword", Reply: wxcrypto.Reply{MsgType: "news", Articles: arts}}
	now := time.Unix(1_700_000_000, 0)
	msg := &wxcrypto.Message{ToUserName: "gh_me", FromUserName: "oYou", MsgType: "text"}
	a := render(m, msg, now)
	r, err := wxcrypto.ParseReply(a.xml)
	require.NoError(t, err)
	require.Len(t, r.Articles, 1)
	require.Equal(t, [3]any{"oYou", "gh_me", now.Unix()}, [3]any{r.ToUserName, r.FromUserName, r.CreateTime})
	require.Len(t, arts, 10, "the matcher's slice is not changed")

	ev := &wxcrypto.Message{ToUserName: "gh_me", FromUserName: "oYou", MsgType: "event", Event: "subscribe"}
	r, err = wxcrypto.ParseReply(render(m, ev, now).xml)
	require.NoError(t, err)
	require.Len(t, r.Articles, 8)
}

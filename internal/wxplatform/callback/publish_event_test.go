package callback_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// PUBLISHJOBFINISH, as WeChat pushes it when a publishing job ends (safe mode), reaches every observer of
// the fan-out with its PublishEventInfo, once.
func TestPublishJobFinishIsObserved(t *testing.T) {
	t.Parallel()
	second := &observer{}
	first := &observer{}
	e := newEnv(t, envOptions{opts: callback.Options{Observer: callback.Observers{first, second}}})
	emu := wxemu.New(wxemu.Options{DemoFollowers: -1})
	a := emu.NewAccount("发布")
	acct := e.bind(a)
	emu.SetCallback(a.AppID, e.callbackURL(a.AppID), wxemu.ModeSafe)
	msg := &wxcrypto.Message{FromUserName: "oPublisher", MsgType: "event", Event: "PUBLISHJOBFINISH",
		CreateTime: e.clock.Now().Unix(), PublishEventInfo: &wxcrypto.PublishEventInfo{PublishID: "2247483001",
			PublishStatus: 0, ArticleID: "ART", Count: 1, Items: []wxcrypto.PublishedArticle{{Idx: 1, ArticleURL: "http://mp.weixin.qq.com/s/x"}}}}
	for range 2 { // the retry is not observed again
		d, err := emu.Deliver(context.Background(), a.AppID, msg)
		require.NoError(t, err)
		require.Equal(t, 200, d.Status)
	}
	require.Eventually(t, func() bool { return len(second.list()) == 1 }, 3*time.Second, 10*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	for _, o := range []*observer{first, second} {
		got := o.list()
		require.Len(t, got, 1)
		require.Equal(t, acct.ID, got[0].accountID)
		require.Equal(t, "ART", got[0].msg.PublishEventInfo.ArticleID)
		require.Equal(t, "http://mp.weixin.qq.com/s/x", got[0].msg.PublishEventInfo.Items[0].ArticleURL)
	}
}

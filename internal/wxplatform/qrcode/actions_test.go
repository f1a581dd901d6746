package qrcode_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/jobs/jobstest"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/callback"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/messages"
	"github.com/socialinzen/socialinzen/internal/wxplatform/qrcode"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// live is the fixture with the real callback answering through the codes' actions and the keyword rules
// (with a subscribe reply), and the tagging jobs running.
type live struct {
	*fixture
	ctx     context.Context
	tag     int
	replies *reply.Service
}

func newLive(t *testing.T) *live {
	t.Helper()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	tag, err := f.WX.CreateTag(ctx, f.acct.AppID, "海报VIP")
	require.NoError(t, err)

	replies := reply.NewService(f.DB, reply.Options{})
	_, err = replies.SetSpecial(ctx, f.acct.ID, reply.KindSubscribe, reply.TypeText, reply.Content{Content: "感谢关注"})
	require.NoError(t, err)

	q := jobstest.New(t, f.DB, f.DBURL)
	fol := followers.NewService(f.DB, followers.Options{WeChat: f.WX, Jobs: q})
	t.Cleanup(fol.Close)
	require.NoError(t, f.svc.RegisterJobs(q))
	f.svc.SetMirror(fol)
	require.NoError(t, q.Start(ctx))
	f.svc.Start(ctx, f.DBURL)
	t.Cleanup(f.svc.Close)

	cb := callback.New(callback.Options{DB: f.DB, Accounts: f.Accounts, Replies: f.svc.Answering(replies),
		Observer: callback.Observers{fol.Observer(), f.svc}})
	cb.Start(ctx)
	t.Cleanup(func() { cancel(); cb.Close() })
	e := gin.New()
	cb.Routes(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	f.Emu.SetCallback(f.acct.AppID, srv.URL+"/wxplatform/callback/"+f.acct.AppID, wxemu.ModeSafe)
	return &live{fixture: f, ctx: ctx, tag: tag.ID, replies: replies}
}

// taggings counts batchtagging calls at the emulator for openid.
func (l *live) taggings(openid string) int {
	n := 0
	for _, r := range l.Requests("/cgi-bin/tags/members/batchtagging") {
		if r.Method == "POST" && strings.Contains(string(r.Body), openid) {
			n++
		}
	}
	return n
}

// TestFollowThroughCodeAnswersItsReplyAndTagsOnce: a new user scans a code with a tag and a reply: the
// subscribe (qrscene_) is answered with the code's reply instead of the subscribe reply, the follower is
// tagged once at the emulator, and WeChat retrying the same event gets the same answer and no second
// tagging. A SCAN by the now-follower answers the code's reply too and tags again (a new scan).
func TestFollowThroughCodeAnswersItsReplyAndTagsOnce(t *testing.T) {
	t.Parallel()
	l := newLive(t)
	status, out := l.call("qrcode", `{"sceneId":"poster-1","tagIds":[`+strconv.Itoa(l.tag)+`],"reply":{"type":"text","reply":{"content":"欢迎来到活动"}}}`)
	require.Equal(t, 200, status, "%v", out)
	require.Equal(t, []any{float64(l.tag)}, out["tagIds"])
	require.Equal(t, map[string]any{"type": "text", "reply": map[string]any{"content": "欢迎来到活动"}}, out["reply"])
	ticket := out["ticket"].(string)

	d, err := l.Emu.Scan(l.ctx, l.acct.AppID, "", ticket)
	require.NoError(t, err)
	require.Equal(t, "subscribe", d.Message.Event)
	require.NotNil(t, d.Reply, "%s", d.Body)
	require.Equal(t, "欢迎来到活动", d.Reply.Content)
	openid := d.Message.FromUserName

	require.Eventually(t, func() bool { return l.taggings(openid) == 1 }, 10*time.Second, 20*time.Millisecond)
	require.Contains(t, l.Emu.FollowerTags(l.acct.AppID, openid), l.tag)
	// The followers' mirror shows the tag too, before any sync.
	require.Eventually(t, func() bool {
		var tags []int64
		_ = l.DB.Raw(`SELECT unnest(tagid_list) FROM wx_followers WHERE account_id = ? AND openid = ?`, l.acct.ID, openid).Scan(&tags)
		return len(tags) == 1 && tags[0] == int64(l.tag)
	}, 5*time.Second, 20*time.Millisecond)

	// WeChat retries the very same event (same sender and CreateTime): same answer, no second tagging.
	again, err := l.Emu.Deliver(l.ctx, l.acct.AppID, d.Message)
	require.NoError(t, err)
	require.NotNil(t, again.Reply)
	require.Equal(t, "欢迎来到活动", again.Reply.Content)
	time.Sleep(500 * time.Millisecond)
	require.Equal(t, 1, l.taggings(openid))

	// A follow that is not through a code still gets the subscribe reply.
	plain, err := l.Emu.SendEvent(l.ctx, l.acct.AppID, "", "subscribe", "")
	require.NoError(t, err)
	require.NotNil(t, plain.Reply)
	require.Equal(t, "感谢关注", plain.Reply.Content)

	// The follower scans again: SCAN, the code's reply, a new scan tagged once more.
	time.Sleep(1100 * time.Millisecond) // a new CreateTime: another event for WeChat
	scan, err := l.Emu.Scan(l.ctx, l.acct.AppID, openid, ticket)
	require.NoError(t, err)
	require.Equal(t, "SCAN", scan.Message.Event)
	require.Equal(t, "poster-1", scan.Message.EventKey)
	require.NotNil(t, scan.Reply)
	require.Equal(t, "欢迎来到活动", scan.Reply.Content)
	require.Eventually(t, func() bool { return l.taggings(openid) == 2 }, 10*time.Second, 20*time.Millisecond)

	// listQrcodes shows the actions and the counts.
	require.Eventually(t, func() bool {
		_, out := l.call("listQrcodes", "")
		c := out["qrcodes"].([]any)[0].(map[string]any)
		return c["scans"] == 1.0 && c["subscribes"] == 1.0 && c["reply"] != nil && len(c["tagIds"].([]any)) == 1
	}, 5*time.Second, 20*time.Millisecond)
}

// TestTaggingRetriedUntilDone: WeChat failing batchtagging for a while does not lose the tagging.
func TestTaggingRetriedUntilDone(t *testing.T) {
	t.Parallel()
	l := newLive(t)
	_, out := l.call("qrcode", `{"sceneId":9,"expire":600,"tagIds":"`+strconv.Itoa(l.tag)+`"}`)
	ticket := out["ticket"].(string)
	l.Emu.SetFault("/cgi-bin/tags/members/batchtagging", wxemu.Fault{Errcode: -1, Times: 1})
	d, err := l.Emu.Scan(l.ctx, l.acct.AppID, "", ticket)
	require.NoError(t, err)
	// No reply on the code: the subscribe reply answers.
	require.NotNil(t, d.Reply)
	require.Equal(t, "感谢关注", d.Reply.Content)
	openid := d.Message.FromUserName
	require.Eventually(t, func() bool {
		return len(l.Emu.FollowerTags(l.acct.AppID, openid)) == 1
	}, 20*time.Second, 50*time.Millisecond)
}

// TestActionsSeenByAnotherProcess: a code made through one process answers in another at once (LISTEN).
func TestActionsSeenByAnotherProcess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	other := qrcode.NewService(f.DB, f.Client(), messages.NewStore(f.DB))
	other.Start(ctx, f.DBURL)
	t.Cleanup(other.Close)
	_, out := f.call("qrcode", `{"sceneId":"elsewhere","reply":{"type":"text","reply":{"content":"hi"}}}`)
	ticket := out["ticket"].(string)
	ans := other.Answering(noRules{})
	msg := &wxcrypto.Message{MsgType: "event", Event: "SCAN", EventKey: "elsewhere", Ticket: ticket, FromUserName: "oX", CreateTime: time.Now().Unix()}
	require.Eventually(t, func() bool {
		m, err := ans.Match(ctx, f.acct.ID, msg)
		return err == nil && m != nil && m.Reply.Content == "hi" && m.Kind == reply.MatchKindQRCode
	}, 3*time.Second, 10*time.Millisecond)
	// By scene when the event carries no ticket; not for another account.
	msg.Ticket = ""
	m, err := ans.Match(ctx, f.acct.ID, msg)
	require.NoError(t, err)
	require.NotNil(t, m)
	m, err = ans.Match(ctx, f.acct.ID+1, msg)
	require.NoError(t, err)
	require.Nil(t, m)
	// A text message is the rules' business.
	m, err = ans.Match(ctx, f.acct.ID, &wxcrypto.Message{MsgType: "text", Content: "elsewhere"})
	require.NoError(t, err)
	require.Nil(t, m)
}

func TestCreateQRCodeActionsBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tag, err := f.WX.CreateTag(context.Background(), f.acct.AppID, "ok")
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"unknown tag", `{"sceneId":1,"tagIds":[999]}`, 404, "tagIds"},
		{"blacklist tag", `{"sceneId":1,"tagIds":[1]}`, 400, "tagIds[0]"},
		{"tag not a number", `{"sceneId":1,"tagIds":["x"]}`, 400, "tagIds[0]"},
		{"tags not a list", `{"sceneId":1,"tagIds":{"a":1}}`, 400, "tagIds"},
		{"reply without type", `{"sceneId":1,"reply":{"reply":{"content":"x"}}}`, 400, "reply.type"},
		{"reply bad type", `{"sceneId":1,"reply":{"type":"sticker","reply":{"content":"x"}}}`, 400, "type"},
		{"text reply empty", `{"sceneId":1,"reply":{"type":"text","reply":{"content":""}}}`, 400, "reply.content"},
		{"reply not an object", `{"sceneId":1,"reply":"hello"}`, 400, "reply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.call("qrcode", tc.body)
			require.Equal(t, tc.status, status, "%v", out)
			require.Contains(t, out["msg"], tc.field)
		})
	}
	require.Empty(t, f.Emu.QRCodes(f.acct.AppID), "nothing asked of WeChat on bad input")
	status, out := f.call("qrcode", `{"sceneId":1,"tagIds":[`+strconv.Itoa(tag.ID)+`],"reply":{"type":"multitext","reply":[{"title":"a","description":"b","picurl":"https://x.test/p.png","url":"https://x.test/"},{"title":"c","description":"d","picurl":"https://x.test/p.png","url":"https://x.test/2"}]}}`)
	require.Equal(t, 200, status, "%v", out)
	require.Len(t, out["reply"].(map[string]any)["reply"].([]any), 2, "an event shows up to 8 articles")
}

package broadcasts_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/broadcasts"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/jobs/jobstest"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

type fixture struct {
	env     *wxtest.Env
	svc     *broadcasts.Service
	acct    *domain.Account
	op      int64
	openids []string
}

// newFixture binds an account with n followers at the emulator, mirrors them (tag 100 on the first half)
// and starts the service on a job queue.
func newFixture(t *testing.T, n int, opts broadcasts.Options) *fixture {
	t.Helper()
	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1, JobFinishDelay: -1}})
	op := env.Operator("op")
	a := env.Emu.NewAccount("群发测试")
	ids := env.Emu.AddFollowers(a.AppID, n)
	acct := env.Bind(op, a)
	for i, id := range ids {
		tags := db.Int64Array{}
		if i < n/2 {
			tags = append(tags, 100)
		}
		require.NoError(t, env.DB.Exec(`INSERT INTO wx_followers (account_id, openid, tagid_list) VALUES (?, ?, ?::int[])`, acct.ID, id, tags).Error)
	}
	q := jobstest.New(t, env.DB, env.DBURL)
	opts.WeChat = env.WX
	opts.Jobs = q
	svc, err := broadcasts.New(env.DB, opts)
	require.NoError(t, err)
	require.NoError(t, q.Start(context.Background()))
	return &fixture{env: env, svc: svc, acct: acct, op: op, openids: ids}
}

func (f *fixture) wait(t *testing.T, id int64, state string) broadcasts.Broadcast {
	t.Helper()
	var b broadcasts.Broadcast
	require.Eventually(t, func() bool {
		var err error
		b, err = f.svc.Get(context.Background(), f.acct.ID, id)
		return err == nil && b.State == state
	}, 15*time.Second, 50*time.Millisecond, "broadcast %d never reached %s: %s %d/%d %+v", id, state, b.State, b.Done, b.Total, b.Counts)

	return b
}

func (f *fixture) addTemplate(t *testing.T) broadcasts.Template {
	t.Helper()
	ctx := context.Background()
	id, err := f.svc.AddTemplate(ctx, f.acct, "TM00015", []string{"订单号", "状态"})
	require.NoError(t, err)
	list, err := f.svc.Templates(ctx, f.acct.ID)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, id, list[0].TemplateID)
	require.Equal(t, []string{"first", "keyword1", "keyword2", "remark"}, list[0].Fields)
	return list[0]
}

var data = map[string]string{"first": "您好", "keyword1": "A-1", "keyword2": "已发货", "remark": "谢谢"}

func TestTemplateBroadcastToATag(t *testing.T) {
	f := newFixture(t, 40, broadcasts.Options{TemplateRate: 1000})
	ctx := context.Background()
	tpl := f.addTemplate(t)
	f.env.Emu.SetFailShare(f.acct.AppID, 0.25)
	tag := 100
	_, id, err := f.svc.SendTemplate(ctx, f.acct, f.op, broadcasts.TemplateInput{TemplateID: tpl.TemplateID,
		Target: broadcasts.Target{TagID: &tag}, Data: data})
	require.NoError(t, err)
	b := f.wait(t, id, broadcasts.StateSent)
	require.Equal(t, 20, b.Total)
	require.Equal(t, 20, b.Done)
	require.Equal(t, 20, b.Counts.Sent+b.Counts.Failed)
	require.Positive(t, b.Counts.Failed, "the emulator fails a share of recipients: 43101")
	failed, n, err := f.svc.Recipients(ctx, f.acct.ID, id, broadcasts.StatusFailed, 0, 100)
	require.NoError(t, err)
	require.EqualValues(t, b.Counts.Failed, n)
	require.Contains(t, failed[0].Reason, "43101")
	for k, c := range f.env.Emu.Deliveries(f.acct.AppID) {
		require.Equal(t, 1, c, "%v", k)
	}
	require.Len(t, f.env.Emu.Deliveries(f.acct.AppID), b.Counts.Sent)
}

func TestTemplateEvents(t *testing.T) {
	f := newFixture(t, 4, broadcasts.Options{TemplateRate: 1000})
	ctx := context.Background()
	tpl := f.addTemplate(t)
	_, id, err := f.svc.SendTemplate(ctx, f.acct, f.op, broadcasts.TemplateInput{TemplateID: tpl.TemplateID,
		Target: broadcasts.Target{OpenIDs: f.openids}, Data: data})
	require.NoError(t, err)
	f.wait(t, id, broadcasts.StateSent)
	sent, _, err := f.svc.Recipients(ctx, f.acct.ID, id, broadcasts.StatusSent, 0, 10)
	require.NoError(t, err)
	require.Len(t, sent, 4)
	ev := func(msgID int64, status string) []byte {
		return []byte("<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o]]></FromUserName><CreateTime>1</CreateTime>" +
			"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>" +
			jsonInt(msgID) + "</MsgID><Status><![CDATA[" + status + "]]></Status></xml>")
	}
	require.NoError(t, f.svc.OnJobFinish(ctx, f.acct.ID, ev(*sent[0].MsgID, "success")))
	require.NoError(t, f.svc.OnJobFinish(ctx, f.acct.ID, ev(*sent[1].MsgID, "failed:user block")))
	b, err := f.svc.Get(ctx, f.acct.ID, id)
	require.NoError(t, err)
	require.Equal(t, broadcasts.Counts{Sent: 3, Failed: 1}, b.Counts)
	got, _, err := f.svc.Recipients(ctx, f.acct.ID, id, broadcasts.StatusFailed, 0, 10)
	require.NoError(t, err)
	require.Equal(t, "failed:user block", got[0].Reason)
	got, _, err = f.svc.Recipients(ctx, f.acct.ID, id, broadcasts.StatusDelivered, 0, 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestMassSendInChunks(t *testing.T) {
	f := newFixture(t, 10, broadcasts.Options{ChunkSize: 4})
	ctx := context.Background()
	id, err := f.svc.MassSend(ctx, f.acct, f.op, broadcasts.MassInput{Target: broadcasts.Target{OpenIDs: f.openids},
		Type: "text", Content: json.RawMessage(`"周末活动通知"`)})
	require.NoError(t, err)
	b := f.wait(t, id, broadcasts.StateSent)
	require.Equal(t, 10, b.Done)
	jobs := f.env.Emu.MassJobs(f.acct.AppID)
	require.Len(t, jobs, 3, "10 openids in chunks of at most 4: 4, 3, 3")
	for _, j := range jobs {
		require.NotEmpty(t, j.ClientMsgID)
	}
	for k, c := range f.env.Emu.Deliveries(f.acct.AppID) {
		require.Equal(t, 1, c, "%v", k)
	}
	require.Len(t, f.env.Emu.Deliveries(f.acct.AppID), 10)

	// MASSSENDJOBFINISH fills the counts.
	for _, j := range jobs {
		raw := "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o]]></FromUserName><CreateTime>1</CreateTime>" +
			"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>" + jsonInt(j.MsgID) +
			"</MsgID><Status><![CDATA[send success]]></Status><TotalCount>" + jsonInt(int64(j.Total)) + "</TotalCount><FilterCount>0</FilterCount><SentCount>" +
			jsonInt(int64(j.Sent)) + "</SentCount><ErrorCount>0</ErrorCount></xml>"
		require.NoError(t, f.svc.OnJobFinish(ctx, f.acct.ID, []byte(raw)))
	}
	b, err = f.svc.Get(ctx, f.acct.ID, id)
	require.NoError(t, err)
	require.Equal(t, broadcasts.Counts{Sent: 10}, b.Counts)
	require.Equal(t, "send success", b.WxStatus)
	_, n, err := f.svc.Recipients(ctx, f.acct.ID, id, broadcasts.StatusDelivered, 0, 100)
	require.NoError(t, err)
	require.EqualValues(t, 10, n)
}

func TestApproval(t *testing.T) {
	f := newFixture(t, 6, broadcasts.Options{})
	ctx := context.Background()
	editor := f.env.Operator("editor")
	in := broadcasts.MassInput{Target: broadcasts.Target{All: true}, Type: "text", Content: json.RawMessage(`"全体通知"`)}
	id, err := f.svc.MassSend(ctx, f.acct, editor, in)
	require.NoError(t, err)
	b, err := f.svc.Get(ctx, f.acct.ID, id)
	require.NoError(t, err)
	require.Equal(t, broadcasts.StatePendingApproval, b.State, "a send to all by someone who cannot approve waits")
	require.Equal(t, apperr.Forbidden, apperr.KindOf(f.svc.Approve(ctx, f.acct.ID, editor, id)))
	require.NoError(t, f.svc.Approve(ctx, f.acct.ID, f.op, id))
	b = f.wait(t, id, broadcasts.StateSent)
	require.Equal(t, f.op, *b.ApprovedBy)
	require.Len(t, f.env.Emu.MassJobs(f.acct.AppID), 1)

	id2, err := f.svc.MassSend(ctx, f.acct, editor, in)
	require.NoError(t, err)
	require.NoError(t, f.svc.Reject(ctx, f.acct.ID, f.op, id2))
	f.wait(t, id2, broadcasts.StateRejected)

	// The owner's own send to all goes at once; with the setting off, anyone's does.
	id3, err := f.svc.MassSend(ctx, f.acct, f.op, in)
	require.NoError(t, err)
	f.wait(t, id3, broadcasts.StateSent)
	require.NoError(t, f.svc.SetApproval(ctx, f.acct.ID, f.op, false))
	id4, err := f.svc.MassSend(ctx, f.acct, editor, in)
	require.NoError(t, err)
	f.wait(t, id4, broadcasts.StateSent)
}

func TestBadInput(t *testing.T) {
	f := newFixture(t, 4, broadcasts.Options{})
	ctx := context.Background()
	tpl := f.addTemplate(t)
	tooMany := make([]string, broadcasts.MaxOpenIDs+1)
	for i := range tooMany {
		tooMany[i] = "o" + jsonInt(int64(i))
	}
	noTag := 999
	cases := map[string]error{}
	_, cases["empty target"] = f.svc.MassSend(ctx, f.acct, f.op, broadcasts.MassInput{Type: "text", Content: json.RawMessage(`"x"`)})
	_, cases["tag without followers"] = f.svc.MassSend(ctx, f.acct, f.op, broadcasts.MassInput{Target: broadcasts.Target{TagID: &noTag}, Type: "text", Content: json.RawMessage(`"x"`)})
	_, cases["too many openids"] = f.svc.MassSend(ctx, f.acct, f.op, broadcasts.MassInput{Target: broadcasts.Target{OpenIDs: tooMany}, Type: "text", Content: json.RawMessage(`"x"`)})
	_, cases["bad type"] = f.svc.MassSend(ctx, f.acct, f.op, broadcasts.MassInput{Target: broadcasts.Target{All: true}, Type: "video", Content: json.RawMessage(`"x"`)})
	_, _, cases["missing field"] = f.svc.SendTemplate(ctx, f.acct, f.op, broadcasts.TemplateInput{TemplateID: tpl.TemplateID,
		Target: broadcasts.Target{OpenIDs: f.openids}, Data: map[string]string{"first": "x", "keyword1": "y"}})
	for name, err := range cases {
		require.Error(t, err, name)
		require.Equal(t, apperr.Invalid, apperr.KindOf(err), "%s: %v", name, err)
	}
	require.Contains(t, cases["missing field"].Error(), "data.keyword2")
	require.Contains(t, cases["tag without followers"].Error(), "target.tagId")

	// One follower: synchronous, a msgid.
	msgID, id, err := f.svc.SendTemplate(ctx, f.acct, f.op, broadcasts.TemplateInput{TemplateID: tpl.TemplateID,
		Target: broadcasts.Target{OpenID: f.openids[0]}, Data: data})
	require.NoError(t, err)
	require.Zero(t, id)
	require.NotZero(t, msgID)
}

func TestCancel(t *testing.T) {
	f := newFixture(t, 30, broadcasts.Options{TemplateRate: 5})
	ctx := context.Background()
	tpl := f.addTemplate(t)
	_, id, err := f.svc.SendTemplate(ctx, f.acct, f.op, broadcasts.TemplateInput{TemplateID: tpl.TemplateID,
		Target: broadcasts.Target{OpenIDs: f.openids}, Data: data})
	require.NoError(t, err)
	f.wait(t, id, broadcasts.StateSending)
	require.NoError(t, f.svc.Cancel(ctx, f.acct.ID, id))
	time.Sleep(1500 * time.Millisecond)
	before := len(f.env.Emu.Deliveries(f.acct.AppID))
	time.Sleep(1500 * time.Millisecond)
	require.Equal(t, before, len(f.env.Emu.Deliveries(f.acct.AppID)), "nothing more is sent after cancel")
	require.Less(t, before, 30)
	b, err := f.svc.Get(ctx, f.acct.ID, id)
	require.NoError(t, err)
	require.Equal(t, broadcasts.StateCancelled, b.State)
}

// TestMassNewsNamesADraft: an mpnews mass message or preview must name a draft of the account's draft box
// (the console's copy, contract §17): an unknown mediaId is 40400 and a published one 40000, before
// anything is queued; a draft saved in the console goes out.
func TestMassNewsNamesADraft(t *testing.T) {
	f := newFixture(t, 4, broadcasts.Options{})
	ctx := context.Background()
	mediaID := f.env.Emu.AddDraft(f.acct.AppID, []wxemu.DraftArticle{{Title: "周报", Content: "<p>本周</p>"}})
	require.NoError(t, f.env.DB.Exec(`INSERT INTO article_drafts (account_id, media_id, articles, origin) VALUES (?, ?, '[]', 'wechat')`,
		f.acct.ID, mediaID).Error)
	require.NoError(t, f.env.DB.Exec(`INSERT INTO article_drafts (account_id, media_id, articles, state) VALUES (?, 'PUBLISHED', '[]', 'published')`,
		f.acct.ID).Error)
	to := broadcasts.Target{OpenIDs: f.openids}
	_, err := f.svc.MassSend(ctx, f.acct, f.op, broadcasts.MassInput{Target: to, Type: "mpnews", Content: json.RawMessage(`"NOPE"`)})
	require.Equal(t, apperr.NotFound, apperr.KindOf(err), "%v", err)
	require.ErrorIs(t, err, broadcasts.ErrNoDraft)
	_, err = f.svc.Preview(ctx, f.acct, f.openids[0], "", "mpnews", json.RawMessage(`"NOPE"`))
	require.ErrorIs(t, err, broadcasts.ErrNoDraft)
	_, err = f.svc.MassSend(ctx, f.acct, f.op, broadcasts.MassInput{Target: to, Type: "mpnews", Content: json.RawMessage(`"PUBLISHED"`)})
	require.Equal(t, apperr.Invalid, apperr.KindOf(err), "%v", err)
	require.ErrorIs(t, err, broadcasts.ErrDraftPublished)
	var n int64
	require.NoError(t, f.env.DB.Raw(`SELECT count(*) FROM broadcasts`).Scan(&n).Error)
	require.Zero(t, n, "nothing queued")

	id, err := f.svc.MassSend(ctx, f.acct, f.op, broadcasts.MassInput{Target: to, Type: "mpnews", Content: json.RawMessage(`"` + mediaID + `"`)})
	require.NoError(t, err)
	f.wait(t, id, broadcasts.StateSent)
	require.Len(t, f.env.Emu.Deliveries(f.acct.AppID), 4)
}

func TestDeleteMassArticle(t *testing.T) {
	f := newFixture(t, 3, broadcasts.Options{})
	ctx := context.Background()
	mediaID := f.env.Emu.AddDraft(f.acct.AppID, []wxemu.DraftArticle{{Title: "周报", Content: "<p>本周</p>"}, {Title: "附录", Content: "<p>表</p>"}})
	require.NoError(t, f.env.DB.Exec(`INSERT INTO article_drafts (account_id, media_id, articles, origin) VALUES (?, ?, '[]', 'wechat')`,
		f.acct.ID, mediaID).Error)
	text, err := f.svc.MassSend(ctx, f.acct, f.op, broadcasts.MassInput{Target: broadcasts.Target{OpenIDs: f.openids}, Type: "text", Content: json.RawMessage(`"你好"`)})
	require.NoError(t, err)
	f.wait(t, text, broadcasts.StateSent)
	err = f.svc.DeleteMassArticle(ctx, f.acct, text, 0)
	require.Equal(t, apperr.Invalid, apperr.KindOf(err), "a text broadcast has no articles to delete: %v", err)

	id, err := f.svc.MassSend(ctx, f.acct, f.op, broadcasts.MassInput{Target: broadcasts.Target{OpenIDs: f.openids}, Type: "mpnews", Content: json.RawMessage(`"` + mediaID + `"`)})
	require.NoError(t, err)
	f.wait(t, id, broadcasts.StateSent)
	require.Equal(t, apperr.Invalid, apperr.KindOf(f.svc.DeleteMassArticle(ctx, f.acct, id, -1)))
	require.Equal(t, apperr.NotFound, apperr.KindOf(f.svc.DeleteMassArticle(ctx, f.acct, id+100, 0)))

	require.NoError(t, f.svc.DeleteMassArticle(ctx, f.acct, id, 2))
	b, err := f.svc.Get(ctx, f.acct.ID, id)
	require.NoError(t, err)
	require.Equal(t, "article 2 deleted", b.WxStatus)
	var changes string
	require.NoError(t, f.env.DB.Raw(`SELECT changes::text FROM audit_entries WHERE account_id = ? AND action = 'deleteMassArticle' AND target = ?`,
		f.acct.ID, "broadcast:"+jsonInt(id)).Scan(&changes).Error)
	require.Contains(t, changes, "article 2 deleted", "the deletion is in the audit log")
}

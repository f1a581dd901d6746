package wxemu

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

func TestMassSend(t *testing.T) {
	v := newEnv(t, Options{DemoFollowers: 5, JobFinishDelay: -1})
	app := v.demo.AppID
	fs := v.emu.Followers(app)
	ids := []string{fs[0].OpenID, fs[1].OpenID, "oNotAFollower000000000000000"}
	body := map[string]any{"touser": ids, "msgtype": "text", "text": map[string]any{"content": "hi"}, "clientmsgid": "c1", "send_ignore_reprint": 0}
	m := v.post("/cgi-bin/message/mass/send", v.q(), body)
	require.Equal(t, json.Number("0"), m["errcode"])
	require.Equal(t, "send job submission success", m["errmsg"])
	first := m["msg_id"]
	require.NotNil(t, first)

	// The same clientmsgid: 45065 with the earlier msg_id, and nobody gets it twice.
	m = v.post("/cgi-bin/message/mass/send", v.q(), body)
	require.Equal(t, json.Number("45065"), m["errcode"])
	require.True(t, strings.HasPrefix(m["errmsg"].(string), "clientmsgid exist"))
	require.Equal(t, first, m["msg_id"])
	d := v.emu.Deliveries(app)
	require.Equal(t, map[DeliveryKey]int{{"c1", fs[0].OpenID}: 1, {"c1", fs[1].OpenID}: 1}, d)
	jobs := v.emu.MassJobs(app)
	require.Len(t, jobs, 1)
	require.Equal(t, 3, jobs[0].Total)
	require.Equal(t, 1, jobs[0].Filter)

	requireErrcode(t, v.post("/cgi-bin/message/mass/send", v.q(), map[string]any{"touser": ids[:1], "msgtype": "text", "text": map[string]any{"content": "x"}}), 40130)
	requireErrcode(t, v.post("/cgi-bin/message/mass/send", v.q(), map[string]any{"touser": ids, "msgtype": "video"}), 40008)
	requireErrcode(t, v.post("/cgi-bin/message/mass/sendall", v.q(), map[string]any{"filter": map[string]any{"is_to_all": false, "tag_id": 999}, "msgtype": "text", "text": map[string]any{"content": "x"}}), 45159)
	// mpnews names a draft of the account's draft box: WeChat refuses anything else with 40007.
	requireErrcode(t, v.post("/cgi-bin/message/mass/sendall", v.q(), map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": "draft1"}}), 40007)
	draft := v.emu.AddDraft(app, []DraftArticle{{Title: "周报", Content: "<p>x</p>"}})
	m = v.post("/cgi-bin/message/mass/sendall", v.q(), map[string]any{"filter": map[string]any{"is_to_all": true}, "msgtype": "mpnews", "mpnews": map[string]any{"media_id": draft}})
	require.Equal(t, json.Number("0"), m["errcode"])
	require.NotNil(t, m["msg_data_id"])
	got := v.post("/cgi-bin/message/mass/get", v.q(), map[string]any{"msg_id": m["msg_id"].(json.Number).String()})
	require.Equal(t, "SEND_SUCCESS", got["msg_status"])
	requireOK(t, v.post("/cgi-bin/message/mass/delete", v.q(), map[string]any{"msg_id": m["msg_id"], "article_idx": 0}))
	m = v.post("/cgi-bin/message/mass/preview", v.q(), map[string]any{"touser": fs[2].OpenID, "msgtype": "text", "text": map[string]any{"content": "x"}})
	require.Equal(t, "preview success", m["errmsg"])
}

func TestTemplates(t *testing.T) {
	v := newEnv(t, Options{DemoFollowers: 3, JobFinishDelay: -1})
	app := v.demo.AppID
	fs := v.emu.Followers(app)
	m := v.post("/cgi-bin/template/api_add_template", v.q(), map[string]any{"template_id_short": "TM00015", "keyword_name_list": []string{"订单号"}})
	id, _ := m["template_id"].(string)
	require.NotEmpty(t, id)
	list := v.get("/cgi-bin/template/get_all_private_template", v.q())
	tl := list["template_list"].([]any)
	require.Len(t, tl, 1)
	require.Contains(t, tl[0].(map[string]any)["content"], "{{keyword1.DATA}}")
	requireErrcode(t, v.post("/cgi-bin/template/api_add_template", v.q(), map[string]any{"template_id_short": "nope"}), 40037)

	send := map[string]any{"touser": fs[0].OpenID, "template_id": id, "client_msg_id": "k1", "data": map[string]any{"keyword1": map[string]any{"value": "1"}}}
	m = v.post("/cgi-bin/message/template/send", v.q(), send)
	require.Equal(t, "ok", m["errmsg"])
	again := v.post("/cgi-bin/message/template/send", v.q(), send)
	require.Equal(t, m["msgid"], again["msgid"], "the same openid and client_msg_id send once")
	require.Equal(t, 1, v.emu.Deliveries(app)[DeliveryKey{"k1", fs[0].OpenID}])

	send["template_id"] = "unknown"
	requireErrcode(t, v.post("/cgi-bin/message/template/send", v.q(), send), 40037)
	send["template_id"] = id
	v.emu.SetFailShare(app, 1)
	send["client_msg_id"] = "k2"
	requireErrcode(t, v.post("/cgi-bin/message/template/send", v.q(), send), 43101)
	v.emu.SetFailShare(app, 0)

	for range 24 {
		v.post("/cgi-bin/template/api_add_template", v.q(), map[string]any{"template_id_short": "TM00016"})
	}
	requireErrcode(t, v.post("/cgi-bin/template/api_add_template", v.q(), map[string]any{"template_id_short": "TM00017"}), 45026)
	requireOK(t, v.post("/cgi-bin/template/del_private_template", v.q(), map[string]any{"template_id": id}))
	requireErrcode(t, v.post("/cgi-bin/template/del_private_template", v.q(), map[string]any{"template_id": id}), 40037)
}

// The JOBFINISH events reach the callback after the delay, signed, in WeChat's XML.
func TestJobFinishPush(t *testing.T) {
	got := make(chan string, 4)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
		_, _ = w.Write([]byte("success"))
	}))
	t.Cleanup(cb.Close)
	v := newEnv(t, Options{DemoFollowers: 3, JobFinishDelay: 10 * time.Millisecond})
	app := v.demo.AppID
	v.emu.SetCallback(app, cb.URL, ModePlain)
	fs := v.emu.Followers(app)
	m := v.post("/cgi-bin/message/mass/send", v.q(), map[string]any{"touser": []string{fs[0].OpenID, fs[1].OpenID}, "msgtype": "text", "text": map[string]any{"content": "hi"}})
	var raw string
	select {
	case raw = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no MASSSENDJOBFINISH")
	}
	require.Contains(t, raw, "<Event><![CDATA[MASSSENDJOBFINISH]]></Event>")
	require.Contains(t, raw, "<MsgID>"+m["msg_id"].(json.Number).String()+"</MsgID>")
	require.Contains(t, raw, "<SentCount>2</SentCount>")
	msg, err := wxcrypto.ParseMessage([]byte(raw))
	require.NoError(t, err)
	require.Equal(t, "event", msg.MsgType)
	require.Equal(t, "send success", msg.Status)
	require.True(t, strings.HasPrefix(msg.ToUserName, "gh_"))
}

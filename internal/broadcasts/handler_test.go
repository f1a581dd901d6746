package broadcasts_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/broadcasts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

func TestAPI(t *testing.T) {
	f := newFixture(t, 3, broadcasts.Options{TemplateRate: 1000})
	r := wxtest.Router()
	(&broadcasts.Handler{Service: f.svc}).Routes(f.env.APIGroup(r, "/apis/broadcasts", wxtest.AsUser(f.op)))
	call := func(path string, body any) (int, map[string]any) {
		w := wxtest.Serve(t, r, wxtest.Request{Target: "/apis/broadcasts/" + path + "?appid=" + f.acct.AppID, Body: body})
		return w.Code, wxtest.Decode(t, w)
	}
	bad := func(path string, body any, names string) {
		t.Helper()
		code, m := call(path, body)
		require.Equal(t, http.StatusBadRequest, code, "%s: %v", path, m)
		require.Equal(t, float64(40000), m["errcode"], "%v", m)
		require.Contains(t, m["msg"], names)
	}
	bad("massSend", map[string]any{"type": "text", "content": "x"}, "target")
	bad("massSend", map[string]any{"target": map[string]any{}, "type": "text", "content": "x"}, "target")
	bad("massSend", map[string]any{"target": map[string]any{"openids": []string{}}, "type": "text", "content": "x"}, "target.openids")
	bad("massSend", map[string]any{"target": map[string]any{"tagId": 555}, "type": "text", "content": "x"}, "target.tagId")
	many := make([]string, broadcasts.MaxOpenIDs+1)
	for i := range many {
		many[i] = "o" + jsonInt(int64(i))
	}
	bad("massSend", map[string]any{"target": map[string]any{"openids": many}, "type": "text", "content": "x"}, "target.openids")
	bad("massPreview", map[string]any{"openids": many, "type": "text", "content": "x"}, "openids")
	bad("massPreview", map[string]any{"type": "text", "content": "x"}, "openid")

	code, m := call("addTemplate", map[string]any{"shortId": "TM00015", "keywordNames": []string{"订单号"}})
	require.Equal(t, http.StatusOK, code, "%v", m)
	tplID := m["templateId"].(string)
	code, m = call("listTemplates", nil)
	require.Equal(t, http.StatusOK, code)
	tpls := m["templates"].([]any)
	require.Equal(t, []any{"first", "keyword1", "remark"}, tpls[0].(map[string]any)["fields"])
	bad("sendTemplate", map[string]any{"templateId": tplID, "target": map[string]any{"openid": f.openids[0]}, "data": map[string]any{"first": "a", "remark": "b"}}, "data.keyword1")

	code, m = call("sendTemplate", map[string]any{"templateId": tplID, "target": map[string]any{"openid": f.openids[0]},
		"data": map[string]any{"first": "a", "keyword1": map[string]any{"value": "k"}, "remark": "b"}})
	require.Equal(t, http.StatusOK, code, "%v", m)
	require.NotEmpty(t, m["msgid"])
	code, m = call("sendTemplate", map[string]any{"templateId": tplID, "target": map[string]any{"openids": f.openids},
		"data": map[string]any{"first": "a", "keyword1": "k", "remark": "b"}})
	require.Equal(t, http.StatusOK, code, "%v", m)
	id := int64(m["broadcastId"].(float64))
	f.wait(t, id, broadcasts.StateSent)
	code, m = call("getBroadcast", map[string]any{"broadcastId": id})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "template", m["kind"])
	require.Equal(t, float64(3), m["total"])
	require.Equal(t, float64(3), m["done"])
	require.Equal(t, map[string]any{"sent": float64(3), "failed": float64(0), "filtered": float64(0)}, m["counts"])
	code, m = call("broadcastRecipients", map[string]any{"broadcastId": id, "status": "sent"})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, float64(3), m["total"])
	code, m = call("listBroadcasts", nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, float64(1), m["total"])
	code, _ = call("getBroadcast", map[string]any{"broadcastId": 999})
	require.Equal(t, http.StatusNotFound, code)
	bad("cancelBroadcast", map[string]any{"broadcastId": id}, "broadcastId")
	code, m = call("getSettings", nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, m["broadcastApproval"])
	code, m = call("targetCount", map[string]any{"target": map[string]any{"all": true}})
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, float64(3), m["count"])
}

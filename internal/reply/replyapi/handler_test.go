package replyapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

type api struct {
	t       *testing.T
	engine  *gin.Engine
	svc     *reply.Service
	account *accounts.Account
	other   *accounts.Account // bound by another operator
}

// newAPI mounts the handler as the lead does (body limit, auth, accounts.Scope), with a test middleware in
// place of RequireAuth that sets the principal of a real user row who bound a real account.
func newAPI(t *testing.T) *api {
	t.Helper()
	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1}, Unchecked: true})
	var seq atomic.Int64
	uid, otherUID := env.Operator(fmt.Sprintf("op%d", seq.Add(1))), env.Operator(fmt.Sprintf("op%d", seq.Add(1)))
	bind := func(uid int64) *accounts.Account {
		return env.Bind(uid, wxemu.Account{AppID: fmt.Sprintf("wx%016d", seq.Add(1)), Secret: "0123456789abcdef", Token: "token123"})
	}
	svc := reply.NewService(env.DB, reply.Options{})
	t.Cleanup(svc.Close)
	a := &api{t: t, svc: svc}
	a.account = bind(uid)
	a.other = bind(otherUID)

	a.engine = httpapi.NewEngine(slog.New(slog.DiscardHandler))
	NewHandler(a.svc).Routes(env.APIGroup(a.engine, "/apis/wxreplymanage", wxtest.AsUser(uid)))
	return a
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func text(s string) *wxcrypto.Message { return &wxcrypto.Message{MsgType: "text", Content: s} }

func event(name, key string) *wxcrypto.Message {
	return &wxcrypto.Message{MsgType: "event", Event: name, EventKey: key}
}

// do sends a request and answers the status and the decoded JSON body.
func (a *api) do(method, path, contentType string, body io.Reader) (int, any) {
	a.t.Helper()
	req := httptest.NewRequest(method, "/apis/wxreplymanage/"+path, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	a.engine.ServeHTTP(w, req)
	require.Equal(a.t, "application/json; charset=utf-8", w.Header().Get("Content-Type"), w.Body.String())
	var out any
	require.NoError(a.t, json.Unmarshal(w.Body.Bytes(), &out), w.Body.String())
	return w.Code, out
}

// postJSON posts JSON the spec's way: with the form Content-Type.
func (a *api) postJSON(path string, body any) (int, map[string]any) {
	a.t.Helper()
	code, out := a.do(http.MethodPost, path, "application/x-www-form-urlencoded", bytes.NewReader(mustJSON(body)))
	m, ok := out.(map[string]any)
	require.True(a.t, ok, "not an object: %v", out)
	return code, m
}

func (a *api) postForm(path string, form url.Values) (int, map[string]any) {
	a.t.Helper()
	code, out := a.do(http.MethodPost, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	m, ok := out.(map[string]any)
	require.True(a.t, ok, "not an object: %v", out)
	return code, m
}

func (a *api) list() []any {
	a.t.Helper()
	code, out := a.do(http.MethodGet, "listReply", "", nil)
	require.Equal(a.t, http.StatusOK, code)
	list, ok := out.([]any)
	require.True(a.t, ok, "listReply must answer a bare array: %v", out)
	return list
}

func requireFailure(t *testing.T, code int, body map[string]any, status, errcode int, msgPrefix string) {
	t.Helper()
	require.Equal(t, status, code, "%v", body)
	require.Equal(t, float64(errcode), body["errcode"], "%v", body)
	require.True(t, strings.HasPrefix(body["msg"].(string), msgPrefix), "msg %q should start with %q", body["msg"], msgPrefix)
}

func TestHandler(t *testing.T) {
	t.Parallel()
	a := newAPI(t)

	require.Empty(t, a.list())

	// The spec's way: JSON sent as a form, with its typos.
	code, body := a.postJSON("addReply", obj{"type": "vedio", "request": "movie",
		"reply": obj{"type": "vedio", "content": obj{"title": "T", "description": "D", "mediald": "V1"}}})
	require.Equal(t, http.StatusOK, code, "%v", body)
	require.Equal(t, float64(0), body["errcode"])
	require.NotZero(t, body["id"])
	require.Equal(t, map[string]any{"id": body["id"], "type": "video", "request": "movie", "match": "exact", "enabled": true,
		"reply": map[string]any{"title": "T", "description": "D", "mediaId": "V1"}}, body["rule"])

	// Form fields, with the reply as JSON text in one of them.
	code, body = a.postForm("addReply", url.Values{"type": {"image"}, "request": {"pic"}, "match": {"contains"},
		"reply": {`{"type":"image","content":{"mediald":"M1"}}`}})
	require.Equal(t, http.StatusOK, code, "%v", body)

	// An HTML form: the reply's fields at the top level.
	code, body = a.postForm("addReply", url.Values{"type": {"text"}, "request": {"hi"}, "content": {"hello!"}})
	require.Equal(t, http.StatusOK, code, "%v", body)

	// Multipart.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	require.NoError(t, mw.WriteField("type", "multitext"))
	require.NoError(t, mw.WriteField("request", `^news\d*$`))
	require.NoError(t, mw.WriteField("match", "regex"))
	require.NoError(t, mw.WriteField("reply", `[{"title":"t","description":"d","picurl":"http://p/1.jpg","url":"https://u/1"}]`))
	require.NoError(t, mw.Close())
	status, out := a.do(http.MethodPost, "addReply", mw.FormDataContentType(), &mp)
	require.Equal(t, http.StatusOK, status, "%v", out)

	code, body = a.postJSON("addReply", obj{"type": "music", "request": "song", "reply": obj{"title": "S",
		"musicUrl": "http://m/s.mp3", "thumbMediald": "TH"}})
	require.Equal(t, http.StatusOK, code, "%v", body)

	t.Run("failures", func(t *testing.T) {
		code, body := a.postJSON("addReply", obj{"type": "text", "request": "HI", "reply": obj{"content": "again"}})
		requireFailure(t, code, body, http.StatusConflict, 40900, "")
		code, body = a.postJSON("addReply", obj{"type": "image", "request": "x", "reply": obj{"type": "image", "content": obj{}}})
		requireFailure(t, code, body, http.StatusBadRequest, 40000, "reply.mediaId")
		code, body = a.postJSON("addReply", obj{"type": "gif", "request": "x", "reply": obj{}})
		requireFailure(t, code, body, http.StatusBadRequest, 40000, "type")
		code, body = a.postJSON("addReply", obj{"type": "text", "request": "(x", "match": "regex", "reply": "x"})
		requireFailure(t, code, body, http.StatusBadRequest, 40000, "request")
		code, body = a.postJSON("addReply", obj{"type": "text", "reply": "x"})
		requireFailure(t, code, body, http.StatusBadRequest, 40000, "request")
		code, body = a.postJSON("deleteReply", obj{"request": "nope"})
		requireFailure(t, code, body, http.StatusNotFound, 40400, "")
		code, body = a.postJSON("deleteReply", obj{})
		requireFailure(t, code, body, http.StatusBadRequest, 40000, "request")
		code, body = a.postJSON("updateReply", obj{"id": 999999, "enabled": false})
		requireFailure(t, code, body, http.StatusNotFound, 40400, "")
		code, body = a.postJSON("enableReply", obj{"request": "hi"})
		requireFailure(t, code, body, http.StatusBadRequest, 40000, "enabled")
		code, body = a.postJSON("listReply?appid="+a.other.AppID, obj{})
		requireFailure(t, code, body, http.StatusForbidden, 40300, "")
	})

	list := a.list()
	require.Len(t, list, 5)
	want := []map[string]any{
		{"type": "video", "request": "movie", "match": "exact", "enabled": true, "reply": map[string]any{"title": "T", "description": "D", "mediaId": "V1"}},
		{"type": "image", "request": "pic", "match": "contains", "enabled": true, "reply": map[string]any{"mediaId": "M1"}},
		{"type": "text", "request": "hi", "match": "exact", "enabled": true, "reply": map[string]any{"content": "hello!"}},
		{"type": "multitext", "request": `^news\d*$`, "match": "regex", "enabled": true,
			"reply": map[string]any{"title": "t", "description": "d", "picurl": "http://p/1.jpg", "url": "https://u/1"}},
		{"type": "music", "request": "song", "match": "exact", "enabled": true, "reply": map[string]any{"title": "S",
			"description": "", "musicUrl": "http://m/s.mp3", "hqMusicUrl": "", "thumbMediaId": "TH"}},
	}
	for i, w := range want {
		got := list[i].(map[string]any)
		require.NotZero(t, got["id"])
		w["id"] = got["id"]
		w["hits"], w["lastHitAt"] = float64(0), nil
		require.Equal(t, w, got, "rule %d", i)
	}
	// POST answers the same.
	_, postList := a.do(http.MethodPost, "listReply", "", nil)
	require.Equal(t, list, postList)

	// What the callback sees.
	ctx := context.Background()
	m, err := a.svc.Match(ctx, a.account.ID, text("news42"))
	require.NoError(t, err)
	require.Equal(t, "news", m.Reply.MsgType)
	other, err := a.svc.Match(ctx, a.other.ID, text("news42"))
	require.NoError(t, err)
	require.Nil(t, other)

	t.Run("update", func(t *testing.T) {
		id := list[2].(map[string]any)["id"]
		code, body := a.postJSON("updateReply", obj{"id": id, "request": "hey", "match": "contains", "reply": "hey you"})
		require.Equal(t, http.StatusOK, code, "%v", body)
		require.Equal(t, map[string]any{"id": id, "type": "text", "request": "hey", "match": "contains", "enabled": true,
			"reply": map[string]any{"content": "hey you"}}, body["rule"])
		code, body = a.postForm("updateReply", url.Values{"request": {"HEY"}, "newRequest": {"hey there"}, "enabled": {"false"}})
		require.Equal(t, http.StatusOK, code, "%v", body)
		rule := body["rule"].(map[string]any)
		require.Equal(t, "hey there", rule["request"])
		require.Equal(t, false, rule["enabled"])
		code, body = a.postJSON("enableReply", obj{"id": id, "enabled": true})
		require.Equal(t, http.StatusOK, code, "%v", body)
		require.Equal(t, true, body["rule"].(map[string]any)["enabled"])
		m, err := a.svc.Match(ctx, a.account.ID, text("well, hey there!"))
		require.NoError(t, err)
		require.Equal(t, "hey you", m.Reply.Content)
	})

	t.Run("delete", func(t *testing.T) {
		code, body := a.postForm("deleteReply", url.Values{"request": {"Song"}})
		require.Equal(t, http.StatusOK, code, "%v", body)
		require.Equal(t, map[string]any{"errcode": float64(0), "msg": "ok"}, body)
		require.Len(t, a.list(), 4)
	})

	t.Run("special replies", func(t *testing.T) {
		code, body := a.postJSON("getSpecialReplies", obj{})
		require.Equal(t, http.StatusOK, code)
		require.Nil(t, body["subscribe"])
		require.Nil(t, body["default"])

		code, body = a.postJSON("setSubscribeReply", obj{"type": "multitext", "reply": articles(3)})
		require.Equal(t, http.StatusOK, code, "%v", body)
		require.Len(t, body["subscribe"].(map[string]any)["reply"], 3)
		code, body = a.postForm("setDefaultReply", url.Values{"type": {"text"}, "content": {"I did not get that"}})
		require.Equal(t, http.StatusOK, code, "%v", body)
		code, body = a.postJSON("setSubscribeReply", obj{"type": "multitext", "reply": articles(9)})
		requireFailure(t, code, body, http.StatusBadRequest, 40000, "reply")

		_, got := a.do(http.MethodGet, "getSpecialReplies", "", nil)
		g := got.(map[string]any)
		require.Equal(t, "multitext", g["subscribe"].(map[string]any)["type"])
		require.Len(t, g["subscribe"].(map[string]any)["reply"], 3)
		require.Equal(t, map[string]any{"content": "I did not get that"}, g["default"].(map[string]any)["reply"])

		m, err := a.svc.Match(ctx, a.account.ID, event("subscribe", ""))
		require.NoError(t, err)
		require.Len(t, m.Reply.Articles, 3)

		// An empty body clears.
		code, body = a.postForm("setDefaultReply", url.Values{})
		require.Equal(t, http.StatusOK, code, "%v", body)
		require.Contains(t, body, "default")
		require.Nil(t, body["default"])
		_, got = a.do(http.MethodGet, "getSpecialReplies", "", nil)
		require.Nil(t, got.(map[string]any)["default"])
		require.NotNil(t, got.(map[string]any)["subscribe"])
	})
}

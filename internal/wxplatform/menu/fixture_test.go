package menu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxtest"
)

// fixture is a console around the menu capability: the shared WeChat fixture (a fresh database, the WeChat
// emulator served over HTTP, the real WeChat client), two operators each with one bound account, and the
// API routes.
type fixture struct {
	*wxtest.Env
	t      testing.TB
	svc    *menu.Service
	acct   *accounts.Account // the first operator's
	other  *accounts.Account // the second operator's
	userID int64
	user2  int64
	h      http.Handler
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	env := wxtest.New(t, wxtest.Options{Emulator: wxemu.Options{DemoFollowers: -1}})
	f := &fixture{Env: env, t: t}
	f.userID, f.acct = f.operator("op1", "一号")
	f.user2, f.other = f.operator("op2", "二号")
	f.svc = menu.NewService(env.DB, env.WX, slog.New(slog.NewTextHandler(io.Discard, nil)))

	// The test tokens of the two operators.
	env.Tokens.Give("t1", httpapi.Principal{UserID: f.userID, Username: "op"})
	env.Tokens.Give("t2", httpapi.Principal{UserID: f.user2, Username: "op"})
	r := wxtest.Router()
	menu.NewHandler(f.svc).Routes(env.APIGroup(r, "/apis/wxplatform", env.Tokens.RequireAuth()))
	f.h = r
	return f
}

// operator makes a verified user with one bound emulator account.
func (f *fixture) operator(username, accountName string) (int64, *accounts.Account) {
	f.t.Helper()
	id := f.Operator(username)
	return id, f.Bind(id, f.Emu.NewAccount(accountName))
}

// call POSTs body (JSON text, a value to encode as JSON, or url.Values as a form) as the first operator to
// /apis/wxplatform/<path>, and answers the status and the decoded answer.
func (f *fixture) call(path string, body any) (int, map[string]any) {
	f.t.Helper()
	return f.callAs("t1", path, body)
}

func (f *fixture) callAs(token, path string, body any) (int, map[string]any) {
	f.t.Helper()
	w := wxtest.Serve(f.t, f.h, wxtest.Request{Target: "/apis/wxplatform/" + path, Token: token, Body: body})
	return w.Code, wxtest.Decode(f.t, w)
}

// requireOK checks a success answer.
func requireOK(t testing.TB, status int, out map[string]any) {
	t.Helper()
	require.Equal(t, http.StatusOK, status, "answer: %v", out)
	require.EqualValues(t, 0, out["errcode"], "answer: %v", out)
}

// requireFail checks the contract's failure with errcode and a message naming field.
func requireFail(t testing.TB, status int, out map[string]any, wantStatus, errcode int, field string) {
	t.Helper()
	require.Equal(t, wantStatus, status, "answer: %v", out)
	require.EqualValues(t, errcode, out["errcode"], "answer: %v", out)
	if field != "" {
		require.True(t, strings.HasPrefix(out["msg"].(string), field+": "), "msg names %s: %v", field, out)
	}
}

// uploadImage adds a permanent image material to the account at the emulator, for media_id buttons.
func (f *fixture) uploadImage(appid string) string {
	f.t.Helper()
	var buf bytes.Buffer
	require.NoError(f.t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 2, 2))))
	res, err := f.WX.AddMaterial(context.Background(), appid, wxclient.MaterialImage,
		wxclient.File{Filename: "a.png", ContentType: "image/png", Body: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len())}, nil)
	require.NoError(f.t, err)
	require.NotEmpty(f.t, res.MediaID)
	return res.MediaID
}

// menuJSON answers the "menu" of an answer as JSON text.
func menuJSON(t testing.TB, out map[string]any) string {
	t.Helper()
	data, err := json.Marshal(out["menu"])
	require.NoError(t, err)
	return string(data)
}

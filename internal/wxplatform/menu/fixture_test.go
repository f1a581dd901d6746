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
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxemu"
)

// fixture is a console around the menu capability: a fresh database, the WeChat emulator served over
// HTTP, the real WeChat client, two operators each with one bound account, and the API routes.
type fixture struct {
	t      testing.TB
	db     *gorm.DB
	emu    *wxemu.Emulator
	wx     *wxclient.Client
	svc    *menu.Service
	accts  *accounts.Service
	acct   *accounts.Account // the first operator's
	other  *accounts.Account // the second operator's
	userID int64
	user2  int64
	h      http.Handler
}

// tokenAuth maps the test tokens to the two operators.
type tokenAuth map[string]int64

func (a tokenAuth) Authenticate(_ context.Context, tok string) (httpapi.Principal, error) {
	id, ok := a[tok]
	if !ok {
		return httpapi.Principal{}, apperr.New(apperr.Unauthenticated, "invalid access_token")
	}
	return httpapi.Principal{UserID: id, Username: "op"}, nil
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	gdb := dbtest.New(t)
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	emu := wxemu.New(wxemu.Options{DemoFollowers: -1})
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)

	src := &wxclient.AccountSecrets{}
	wx := wxclient.New(wxclient.Options{APIBase: srv.URL, OpenBase: srv.URL, MPBase: srv.URL, DB: gdb, Box: box,
		Credentials: src, RetryBackoff: time.Millisecond})
	accts := accounts.NewService(gdb, box, accounts.Options{BaseURL: "http://console.test", Checker: wx})
	src.Accounts = accts

	f := &fixture{t: t, db: gdb, emu: emu, wx: wx, accts: accts}
	f.userID, f.acct = f.operator("op1", "一号")
	f.user2, f.other = f.operator("op2", "二号")
	f.svc = menu.NewService(gdb, wx, slog.New(slog.NewTextHandler(io.Discard, nil)))

	gin.SetMode(gin.TestMode)
	e := gin.New()
	g := e.Group("/apis/wxplatform", httpapi.LimitBody(httpapi.MaxBodyBytes),
		httpapi.RequireAuth(tokenAuth{"t1": f.userID, "t2": f.user2}, nil), accounts.Scope(accts))
	menu.NewHandler(f.svc).Routes(httpapi.Group{IRouter: g})
	f.h = e
	return f
}

// operator makes a verified user with one bound emulator account.
func (f *fixture) operator(username, accountName string) (int64, *accounts.Account) {
	f.t.Helper()
	var id int64
	require.NoError(f.t, f.db.Raw(`INSERT INTO users (username, email, password_hash, verified_at)
		VALUES (?, ?, 'x', now()) RETURNING id`, username, username+"@example.com").Scan(&id).Error)
	ea := f.emu.NewAccount(accountName)
	a, err := f.accts.Bind(context.Background(), id, accounts.BindInput{AppID: ea.AppID, Secret: ea.Secret,
		Token: ea.Token, EncodingAESKey: ea.EncodingAESKey, Name: ea.Name})
	require.NoError(f.t, err)
	return id, a
}

// call POSTs body (JSON text, a value to encode as JSON, or url.Values as a form) as the first operator to
// /apis/wxplatform/<path>, and answers the status and the decoded answer.
func (f *fixture) call(path string, body any) (int, map[string]any) {
	f.t.Helper()
	return f.callAs("t1", path, body)
}

func (f *fixture) callAs(token, path string, body any) (int, map[string]any) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case url.Values:
		rd = strings.NewReader(b.Encode())
	default:
		data, err := json.Marshal(b)
		require.NoError(f.t, err)
		rd = bytes.NewReader(data)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	req := httptest.NewRequest(http.MethodPost, "/apis/wxplatform/"+path+sep+"access_token="+token, rd)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded") // as the spec sends JSON
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	var out map[string]any
	require.NoError(f.t, json.Unmarshal(w.Body.Bytes(), &out), "answer: %s", w.Body.String())
	return w.Code, out
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

// requests answers the requests the emulator received at path.
func (f *fixture) requests(path string) []wxemu.Request {
	var out []wxemu.Request
	for _, r := range f.emu.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// uploadImage adds a permanent image material to the account at the emulator, for media_id buttons.
func (f *fixture) uploadImage(appid string) string {
	f.t.Helper()
	var buf bytes.Buffer
	require.NoError(f.t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 2, 2))))
	res, err := f.wx.AddMaterial(context.Background(), appid, wxclient.MaterialImage,
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

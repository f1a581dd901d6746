package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/app/apptest"
)

// auditEntries asks auditLog with the query q and answers its total and entries.
func auditEntries(t *testing.T, c *client, tok, appid, q string) (float64, []map[string]any) {
	t.Helper()
	code, out := c.postJSON("/apis/team/auditLog?access_token="+tok+"&appid="+appid+q, map[string]any{}, nil)
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.EqualValues(t, 0, out["errcode"])
	var entries []map[string]any
	for _, e := range out["entries"].([]any) {
		entries = append(entries, e.(map[string]any))
	}
	return out["total"].(float64), entries
}

// TestAuditLogThroughTheAPIAndThePages: a change made through the API and one made through a page both
// leave an entry with the operator, the action, the target, the request id and the client address; the
// secrets of a binding and of a rotation never enter the log.
func TestAuditLogThroughTheAPIAndThePages(t *testing.T) {
	con := apptest.Start(t, apptest.Options{})
	c := newClient(t, con.URL)
	_, out := c.postJSON("/apis/user/login", map[string]string{"username": "demo", "password": "demo-password"}, nil)
	rawTok := out["access_token"].(string)
	tok := url.QueryEscape(rawTok)
	emu := con.Emulator()

	// Bind an account, use it (an access_token is fetched), rebind it with a rotated secret and keys, rotate
	// its MSDK key.
	acct := emu.NewAccount("审计号 Audited")
	code, out := c.postJSON("/apis/wxplatform/authorize?access_token="+tok, map[string]any{"appid": acct.AppID,
		"secret": acct.Secret, "token": acct.Token, "encodingAESKey": acct.EncodingAESKey}, nil)
	require.Equal(t, http.StatusOK, code, "%v", out)
	firstMsdk := out["msdkKey"].(string)
	code, out = c.postJSON("/apis/wxplatform/qrcode?access_token="+tok+"&appid="+acct.AppID, map[string]any{"sceneId": 7}, nil)
	require.Equal(t, http.StatusOK, code, "%v", out)
	old := acct
	acct.Secret, acct.Token, acct.EncodingAESKey = strings.Repeat("ab", 16), "RotatedToken42xyz", strings.Repeat("Z", 43)
	emu.AddAccount(acct) // WeChat's admin reset the secret
	code, out = c.postJSON("/apis/wxplatform/authorize?access_token="+tok, map[string]any{"appid": acct.AppID,
		"secret": acct.Secret, "token": acct.Token, "encodingAESKey": acct.EncodingAESKey}, nil)
	require.Equal(t, http.StatusOK, code, "%v", out)
	code, out = c.postJSON("/apis/wxplatform/rotateMsdkKey?access_token="+tok, map[string]any{"appid": acct.AppID}, nil)
	require.Equal(t, http.StatusOK, code, "%v", out)
	newMsdk := out["msdkKey"].(string)
	code, out = c.postJSON("/apis/wxplatform/qrcode?access_token="+tok+"&appid="+acct.AppID, map[string]any{"sceneId": 8}, nil)
	require.Equal(t, http.StatusOK, code, "%v", out)

	// A rule through the API.
	code, out = c.postJSON("/apis/wxreplymanage/addReply?access_token="+tok+"&appid="+acct.AppID,
		map[string]any{"type": "text", "request": "api-kw", "reply": map[string]any{"content": "from the API"}},
		map[string]string{"X-Forwarded-For": "198.51.100.1"})
	require.Equal(t, http.StatusOK, code, "%v", out)
	ruleID := int64(out["id"].(float64))

	// A rule through the page, with the session cookie as a browser sends it.
	u, _ := url.Parse(con.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "SocialinzenToken", Value: rawTok, Path: "/"}})
	form := url.Values{"appid": {acct.AppID}, "request": {"page-kw"}, "match": {"exact"}, "type": {"text"}, "content": {"from the page"}}
	code, hdr, _ := c.do(http.MethodPost, "/console/replies", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusSeeOther, code)
	pageRequestID := hdr.Get("X-Request-Id")
	require.NotEmpty(t, pageRequestID)

	total, entries := auditEntries(t, c, tok, acct.AppID, "&action=addReply")
	require.EqualValues(t, 2, total)
	byKeyword := map[string]map[string]any{}
	for _, e := range entries {
		ch := e["changes"].(map[string]any)
		kw := ch["request"].(map[string]any)["after"].(string)
		byKeyword[kw] = e
		require.Equal(t, "addReply", e["action"])
		require.Equal(t, "demo", e["username"])
		require.NotNil(t, e["userId"])
		require.Equal(t, "127.0.0.1", e["clientAddr"], "X-Forwarded-For from an untrusted peer is ignored")
		require.Len(t, e["requestId"], 16)
		require.Regexp(t, `^rule:\d+$`, e["target"])
	}
	require.Contains(t, byKeyword, "api-kw")
	require.Contains(t, byKeyword, "page-kw")
	require.Equal(t, "rule:"+itoa(ruleID), byKeyword["api-kw"]["target"])
	require.Equal(t, pageRequestID, byKeyword["page-kw"]["requestId"], "the page's request id, as its answer said")

	// Binding, rebinding and rotating are there, with the secrets only marked as changed.
	total, entries = auditEntries(t, c, tok, acct.AppID, "&action=authorize")
	require.EqualValues(t, 2, total)
	rebind := entries[0]["changes"].(map[string]any)
	require.Equal(t, map[string]any{"redacted": true}, rebind["secret"])
	require.Equal(t, map[string]any{"redacted": true}, rebind["encodingAESKey"])
	require.NotContains(t, rebind, "name", "the name did not change")
	total, _ = auditEntries(t, c, tok, acct.AppID, "&action=rotateMsdkKey")
	require.EqualValues(t, 1, total)
	total, _ = auditEntries(t, c, tok, acct.AppID, "&target=qrcode")
	require.EqualValues(t, 2, total)

	// The secrets test: the whole table as text holds none of them.
	var everything string
	require.NoError(t, con.App.DB().Raw(`SELECT coalesce(string_agg(audit_entries::text, ' '), '') FROM audit_entries`).Scan(&everything).Error)
	require.Contains(t, everything, "api-kw")
	secrets := map[string]string{"AppSecret": old.Secret, "new AppSecret": acct.Secret, "AES key": old.EncodingAESKey,
		"new AES key": acct.EncodingAESKey, "callback token": old.Token, "new callback token": acct.Token,
		"MSDK key": firstMsdk, "new MSDK key": newMsdk, "operator token": rawTok}
	tokens := emu.AccessTokens(acct.AppID)
	require.NotEmpty(t, tokens, "the QR codes needed an access_token")
	for i, at := range tokens {
		secrets["access_token "+itoa(int64(i))] = at
	}
	for name, s := range secrets {
		require.NotContains(t, everything, s, "the %s is in the audit log", name)
	}

	// Filters are validated: 40000, never 500.
	for _, q := range []string{"&from=yesterday", "&limit=1000", "&offset=-2", "&userId=x", "&from=2026-12-05&to=2026-12-01"} {
		code, out := c.postJSON("/apis/team/auditLog?access_token="+tok+"&appid="+acct.AppID+q, map[string]any{}, nil)
		require.Equal(t, http.StatusBadRequest, code, "%s: %v", q, out)
		require.EqualValues(t, 40000, out["errcode"], q)
	}
	// Paging.
	total, entries = auditEntries(t, c, tok, acct.AppID, "&limit=2&offset=1")
	require.Len(t, entries, 2)
	require.GreaterOrEqual(t, total, float64(7))

	// The page lists them, filtered by target from a rule's "who changed this?" link.
	code, _, body := c.do(http.MethodGet, "/console/replies?appid="+acct.AppID, nil, nil)
	require.Equal(t, http.StatusOK, code)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	require.NoError(t, err)
	link, ok := doc.Find("#rule-" + itoa(ruleID) + " a.audit-link").Attr("href")
	require.True(t, ok, "the rule links to its history")
	code, _, body = c.do(http.MethodGet, link, nil, nil)
	require.Equal(t, http.StatusOK, code, string(body))
	doc, err = goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	require.NoError(t, err)
	rows := doc.Find("#audit-entries tbody tr")
	require.Equal(t, 1, rows.Length())
	require.Equal(t, "addReply", rows.AttrOr("data-action", ""))
	require.Contains(t, rows.Text(), "api-kw")
	require.Contains(t, rows.Text(), "demo")

	code, _, body = c.do(http.MethodGet, "/console/settings/audit?appid="+acct.AppID+"&from=nonsense", nil, nil)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, string(body), `id="e-from"`, "the error is next to its field")
	code, _, body = c.do(http.MethodGet, "/console/settings/audit?appid="+acct.AppID+"&action=deleteMenu", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(body), `id="audit-empty"`)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

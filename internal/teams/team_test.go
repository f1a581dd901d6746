package teams_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func ok(t *testing.T, code int, out map[string]any) {
	t.Helper()
	require.Equal(t, 200, code, "%v", out)
	require.EqualValues(t, 0, out["errcode"], "%v", out)
}

func fails(t *testing.T, code int, out map[string]any, status int, errcode int) {
	t.Helper()
	require.Equal(t, status, code, "%v", out)
	require.EqualValues(t, errcode, out["errcode"], "%v", out)
}

// inviteAndAccept invites o by mail with role and accepts through the mailed link's token.
func (e *env) inviteAndAccept(t *testing.T, o operator, role string) {
	t.Helper()
	code, out := e.call(e.owner.Token, "/apis/team/inviteMember", map[string]any{"appid": e.appid, "email": o.Email, "role": role})
	ok(t, code, out)
	m := e.con.Mail.Wait(t, o.Email, 10*time.Second)
	link := m.Link(e.con.URL + "/invite?token=")
	require.NotEmpty(t, link, "the mail carries the link: %s", m.Text)
	u, err := url.Parse(link)
	require.NoError(t, err)
	code, out = e.call(o.Token, "/apis/team/acceptInvitation", map[string]any{"token": u.Query().Get("token")})
	ok(t, code, out)
	require.Equal(t, e.appid, out["appid"])
	require.Equal(t, role, out["role"])
}

func TestMembersJourney(t *testing.T) {
	e := start(t)
	ed := e.operator("eddie")
	vi := e.operator("vicky")

	// Before joining, the account is not theirs.
	code, out := e.call(ed.Token, "/apis/wxreplymanage/listReply", map[string]any{"appid": e.appid})
	fails(t, code, out, 403, 40300)

	// Invitation by mail over SMTP; the link is single use.
	code, out = e.call(e.owner.Token, "/apis/team/inviteMember", map[string]any{"appid": e.appid, "email": ed.Email, "role": "editor"})
	ok(t, code, out)
	m := e.con.Mail.Wait(t, ed.Email, 10*time.Second)
	link := m.Link(e.con.URL + "/invite?token=")
	require.NotEmpty(t, link, m.Text)
	u, _ := url.Parse(link)
	token := u.Query().Get("token")

	// Someone else cannot use it.
	code, out = e.call(vi.Token, "/apis/team/acceptInvitation", map[string]any{"token": token})
	fails(t, code, out, 403, 40300)
	require.Contains(t, out["msg"], ed.Email)

	code, out = e.call(ed.Token, "/apis/team/acceptInvitation", map[string]any{"token": token})
	ok(t, code, out)
	code, out = e.call(ed.Token, "/apis/team/acceptInvitation", map[string]any{"token": token})
	fails(t, code, out, 400, 40000)
	require.Contains(t, out["msg"], "already been used")

	// Two operators, one account: the editor sees and changes the owner's rules.
	code, out = e.call(ed.Token, "/apis/wxreplymanage/addReply", map[string]any{"appid": e.appid, "type": "text", "request": "team-rule", "reply": map[string]any{"content": "hi"}})
	ok(t, code, out)
	code, out = e.call(e.owner.Token, "/apis/wxreplymanage/listReply", map[string]any{"appid": e.appid})
	require.Equal(t, 200, code)
	require.Contains(t, string(out["array"].(json.RawMessage)), "team-rule")
	// Without an appid, the editor's first account is this one; `account` lists it.
	code, out = e.call(ed.Token, "/apis/wxplatform/account", nil)
	ok(t, code, out)
	require.Len(t, out["accounts"], 1)

	// The editor cannot manage members.
	code, out = e.call(ed.Token, "/apis/team/listMembers", map[string]any{"appid": e.appid})
	fails(t, code, out, 403, 40300)
	require.Contains(t, out["msg"], "admin")

	// Already a member → 40900.
	code, out = e.call(e.owner.Token, "/apis/team/inviteMember", map[string]any{"appid": e.appid, "email": ed.Email, "role": "viewer"})
	fails(t, code, out, 409, 40900)

	// Bad input.
	for _, body := range []map[string]any{
		{"appid": e.appid, "email": "not-an-address", "role": "viewer"},
		{"appid": e.appid, "email": "x@example.com", "role": "owner"},
		{"appid": e.appid, "email": "x@example.com", "role": "boss"},
		{"appid": e.appid, "role": "viewer"},
	} {
		code, out = e.call(e.owner.Token, "/apis/team/inviteMember", body)
		fails(t, code, out, 400, 40000)
	}

	// A cancelled invitation's link no longer works.
	code, out = e.call(e.owner.Token, "/apis/team/inviteMember", map[string]any{"appid": e.appid, "email": vi.Email, "role": "viewer"})
	ok(t, code, out)
	invID := out["invitation"].(map[string]any)["id"]
	m = e.con.Mail.Wait(t, vi.Email, 10*time.Second)
	u, _ = url.Parse(m.Link(e.con.URL + "/invite?token="))
	code, out = e.call(e.owner.Token, "/apis/team/listMembers", map[string]any{"appid": e.appid})
	ok(t, code, out)
	require.Len(t, out["members"], 2)
	require.Len(t, out["invitations"], 1)
	code, out = e.call(e.owner.Token, "/apis/team/cancelInvitation", map[string]any{"appid": e.appid, "id": invID})
	ok(t, code, out)
	code, out = e.call(vi.Token, "/apis/team/acceptInvitation", map[string]any{"token": u.Query().Get("token")})
	fails(t, code, out, 400, 40000)
	require.Contains(t, out["msg"], "cancelled")
	code, out = e.call(vi.Token, "/apis/team/acceptInvitation", map[string]any{"token": "nonsense"})
	fails(t, code, out, 404, 40400)

	// An expired one says so.
	require.NoError(t, e.con.App.DB().Exec(`INSERT INTO account_invitations (account_id, email, role, token_hash, expires_at)
SELECT id, 'late@example.com', 'viewer', sha256('late-token'::bytea), now() - interval '1 minute' FROM wx_accounts WHERE appid = ?`, e.appid).Error)
	code, out = e.call(vi.Token, "/apis/team/acceptInvitation", map[string]any{"token": "late-token"})
	fails(t, code, out, 400, 40000)
	require.Contains(t, out["msg"], "expired")

	// Roles change; the owner is fixed.
	code, out = e.call(e.owner.Token, "/apis/team/setMemberRole", map[string]any{"appid": e.appid, "userId": ed.ID, "role": "viewer"})
	ok(t, code, out)
	code, out = e.call(ed.Token, "/apis/wxreplymanage/addReply", map[string]any{"appid": e.appid, "type": "text", "request": "nope", "reply": map[string]any{"content": "x"}})
	fails(t, code, out, 403, 40300)
	require.Contains(t, out["msg"], "editor")
	code, out = e.call(e.owner.Token, "/apis/team/setMemberRole", map[string]any{"appid": e.appid, "userId": ed.ID, "role": "admin"})
	ok(t, code, out)
	code, out = e.call(ed.Token, "/apis/team/removeMember", map[string]any{"appid": e.appid, "userId": e.owner.ID})
	fails(t, code, out, 403, 40300)
	code, out = e.call(ed.Token, "/apis/team/setMemberRole", map[string]any{"appid": e.appid, "userId": e.owner.ID, "role": "viewer"})
	fails(t, code, out, 403, 40300)
	code, out = e.call(e.owner.Token, "/apis/team/leaveAccount", map[string]any{"appid": e.appid})
	fails(t, code, out, 403, 40300)
	code, out = e.call(ed.Token, "/apis/team/transferOwnership", map[string]any{"appid": e.appid, "userId": ed.ID})
	fails(t, code, out, 403, 40300)
	require.Contains(t, out["msg"], "owner")

	// Transfer: the old owner becomes admin; exactly one owner.
	code, out = e.call(e.owner.Token, "/apis/team/transferOwnership", map[string]any{"appid": e.appid, "userId": ed.ID})
	ok(t, code, out)
	code, out = e.call(ed.Token, "/apis/team/listMembers", map[string]any{"appid": e.appid})
	ok(t, code, out)
	roles := map[string]string{}
	for _, m := range out["members"].([]any) {
		mm := m.(map[string]any)
		roles[mm["username"].(string)] = mm["role"].(string)
	}
	require.Equal(t, map[string]string{"demo": "admin", "eddie": "owner"}, roles)
	var owners int64
	require.NoError(t, e.con.App.DB().Raw(`SELECT count(*) FROM account_members m JOIN wx_accounts a ON a.id = m.account_id WHERE a.appid = ? AND m.role = 'owner'`, e.appid).Scan(&owners).Error)
	require.EqualValues(t, 1, owners)
	code, out = e.call(e.owner.Token, "/apis/wxplatform/rotateMsdkKey", map[string]any{"appid": e.appid})
	fails(t, code, out, 403, 40300)

	// The old owner, now an admin, leaves; the account is no longer theirs.
	code, out = e.call(e.owner.Token, "/apis/team/leaveAccount", map[string]any{"appid": e.appid})
	ok(t, code, out)
	code, out = e.call(e.owner.Token, "/apis/wxreplymanage/listReply", map[string]any{"appid": e.appid})
	fails(t, code, out, 403, 40300)
}

func TestAPITokens(t *testing.T) {
	e := start(t)
	code, out := e.call(e.owner.Token, "/apis/user/createApiToken", map[string]any{"name": "deploy script"})
	ok(t, code, out)
	tok := out["token"].(string)
	id := out["id"]
	exp, err := time.Parse(time.RFC3339, out["expiresAt"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(90*24*time.Hour), exp, time.Hour)

	// Used like an access token, by query and by bearer; it acts as its operator.
	code, out = e.get(tok, "/apis/wxreplymanage/listReply?appid="+e.appid)
	require.Equal(t, 200, code, "%v", out)
	code, out = e.call(tok, "/apis/user/me", nil)
	ok(t, code, out)
	require.Equal(t, "demo", out["username"])

	// Listed without its secret; lastUsedAt set.
	code, out = e.call(e.owner.Token, "/apis/user/listApiTokens", nil)
	ok(t, code, out)
	list := out["tokens"].([]any)
	require.Len(t, list, 1)
	require.Equal(t, "deploy script", list[0].(map[string]any)["name"])
	require.NotNil(t, list[0].(map[string]any)["lastUsedAt"])
	require.NotContains(t, list[0], "token")

	// It cannot make tokens.
	code, out = e.call(tok, "/apis/user/createApiToken", map[string]any{"name": "child"})
	fails(t, code, out, 403, 40300)

	// Bad input.
	for _, body := range []map[string]any{{}, {"name": "x", "expiresInDays": 0}, {"name": "x", "expiresInDays": 366}, {"name": "x", "expiresInDays": "soon"}} {
		code, out = e.call(e.owner.Token, "/apis/user/createApiToken", body)
		fails(t, code, out, 400, 40000)
	}
	code, out = e.call(e.owner.Token, "/apis/user/createApiToken", map[string]any{"name": "short", "expiresInDays": 1})
	ok(t, code, out)
	short := out["token"].(string)

	// Revoked → 40100; expired → 40100.
	code, out = e.call(e.owner.Token, "/apis/user/revokeApiToken", map[string]any{"id": id})
	ok(t, code, out)
	code, out = e.call(tok, "/apis/user/me", nil)
	fails(t, code, out, 401, 40100)
	code, out = e.call(e.owner.Token, "/apis/user/revokeApiToken", map[string]any{"id": id})
	fails(t, code, out, 404, 40400)
	require.NoError(t, e.con.App.DB().Exec(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'short'`).Error)
	code, out = e.call(short, "/apis/user/me", nil)
	fails(t, code, out, 401, 40100)

	// Only hashes are stored.
	var n int64
	require.NoError(t, e.con.App.DB().Raw(`SELECT count(*) FROM api_tokens WHERE token_hash = sha256(convert_to(?, 'UTF8'))`, tok).Scan(&n).Error)
	require.EqualValues(t, 1, n)
	var plain int64
	require.NoError(t, e.con.App.DB().Raw(`SELECT count(*) FROM api_tokens WHERE position(convert_to(?, 'UTF8') in token_hash) > 0`, tok).Scan(&plain).Error)
	require.Zero(t, plain)

	// A password reset revokes the API tokens with the sessions.
	code, out = e.call(e.owner.Token, "/apis/user/createApiToken", map[string]any{"name": "before reset"})
	ok(t, code, out)
	kept := out["token"].(string)
	code, out = e.call("", "/apis/user/forgotPassword", map[string]any{"email": "demo@example.com"})
	ok(t, code, out)
	m := e.con.Mail.Wait(t, "demo@example.com", 10*time.Second)
	u, err := url.Parse(m.Link(e.con.URL + "/reset?token="))
	require.NoError(t, err)
	code, out = e.call("", "/apis/user/resetPassword", map[string]any{"token": u.Query().Get("token"), "password": "a-new-password"})
	ok(t, code, out)
	code, out = e.call(kept, "/apis/user/me", nil)
	fails(t, code, out, 401, 40100)
}

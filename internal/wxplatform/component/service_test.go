package component

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/secretbox"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

var testCreds = Credentials{AppID: "wx0123456789abcdef", Secret: strings.Repeat("s", 32), Token: "componenttoken",
	EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}

func newTestService(t *testing.T, now *time.Time) *Service {
	t.Helper()
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	s, err := New(Options{Box: box, Credentials: testCreds, BaseURL: "https://console.test", Now: func() time.Time { return *now }})
	require.NoError(t, err)
	return s
}

func TestState(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newTestService(t, &now)
	st := s.signState(42, now.Add(StateTTL))
	uid, err := s.VerifyState(st)
	require.NoError(t, err)
	require.EqualValues(t, 42, uid)

	for name, bad := range map[string]string{
		"empty":       "",
		"forged mac":  st[:strings.LastIndexByte(st, '.')+1] + strings.Repeat("0", 64),
		"other user":  strings.Replace(st, "42.", "43.", 1),
		"no dots":     "abc",
		"too long":    strings.Repeat("1", 300),
		"negative id": s.signState(-1, now.Add(StateTTL)),
	} {
		_, err := s.VerifyState(bad)
		require.ErrorIs(t, err, ErrBadState, name)
	}
	now = now.Add(StateTTL + time.Second)
	_, err = s.VerifyState(st)
	require.ErrorIs(t, err, ErrBadState, "expired after 10 minutes")
}

// seal builds a push as WeChat sends it.
func seal(t *testing.T, c Credentials, ts int64, inner string) (url.Values, []byte) {
	t.Helper()
	ciph, err := wxcrypto.NewCipher(c.EncodingAESKey, c.AppID)
	require.NoError(t, err)
	enc, err := ciph.Encrypt([]byte(inner))
	require.NoError(t, err)
	tss, nonce := fmt.Sprint(ts), "1320562132"
	q := url.Values{"signature": {wxcrypto.Signature(c.Token, tss, nonce)}, "timestamp": {tss}, "nonce": {nonce},
		"encrypt_type": {"aes"}, "msg_signature": {wxcrypto.MsgSignature(c.Token, tss, nonce, enc)}}
	return q, []byte("<xml><AppId><![CDATA[" + c.AppID + "]]></AppId><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
}

func TestOpenPush(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newTestService(t, &now)
	inner := "<xml><AppId><![CDATA[" + testCreds.AppID + "]]></AppId><CreateTime>1800000000</CreateTime>" +
		"<InfoType><![CDATA[authorized]]></InfoType><AuthorizerAppid><![CDATA[wxaaaabbbbccccdddd]]></AuthorizerAppid>" +
		"<AuthorizationCode><![CDATA[queryauthcode@@@x]]></AuthorizationCode><AuthorizationCodeExpiredTime>1800003600</AuthorizationCodeExpiredTime>" +
		"<PreAuthCode><![CDATA[preauthcode@@@y]]></PreAuthCode></xml>"
	q, body := seal(t, testCreds, now.Unix(), inner)
	ev, problem := s.Open(q, body)
	require.Empty(t, problem)
	require.Equal(t, "authorized", ev.InfoType)
	require.Equal(t, "wxaaaabbbbccccdddd", ev.AuthorizerAppid)
	require.Equal(t, "queryauthcode@@@x", ev.AuthorizationCode)
	require.Equal(t, "preauthcode@@@y", ev.PreAuthCode)

	other := testCreds
	other.AppID = "wxffffffffffffffff"
	cases := map[string]func() (url.Values, []byte){
		"bad signature": func() (url.Values, []byte) {
			q, b := seal(t, testCreds, now.Unix(), inner)
			q.Set("signature", strings.Repeat("0", 40))
			return q, b
		},
		"bad msg_signature": func() (url.Values, []byte) {
			q, b := seal(t, testCreds, now.Unix(), inner)
			q.Set("msg_signature", strings.Repeat("0", 40))
			return q, b
		},
		"stale": func() (url.Values, []byte) { return seal(t, testCreds, now.Unix()-301, inner) },
		"plaintext": func() (url.Values, []byte) {
			q, b := seal(t, testCreds, now.Unix(), inner)
			q.Del("encrypt_type")
			return q, b
		},
		"another component": func() (url.Values, []byte) { return seal(t, other, now.Unix(), inner) },
		"malformed":         func() (url.Values, []byte) { q, _ := seal(t, testCreds, now.Unix(), inner); return q, []byte("<xml><") },
	}
	for name, mk := range cases {
		q, b := mk()
		_, problem := s.Open(q, b)
		require.NotEmpty(t, problem, name)
	}
}

func FuzzOpenPush(f *testing.F) {
	f.Add([]byte("<xml><AppId>wx0123456789abcdef</AppId><Encrypt>AAAA</Encrypt></xml>"))
	f.Add([]byte("<xml><"))
	f.Fuzz(func(t *testing.T, body []byte) {
		now := time.Unix(1_800_000_000, 0)
		s := newTestService(t, &now)
		q := url.Values{"timestamp": {"1800000000"}, "nonce": {"1"}, "encrypt_type": {"aes"},
			"signature": {wxcrypto.Signature(testCreds.Token, "1800000000", "1")}}
		_, _ = s.Open(q, body)
	})
}

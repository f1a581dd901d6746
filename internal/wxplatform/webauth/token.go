package webauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The OAuth state
//
// WeChat accepts a state of at most 128 letters and digits and hands it back untouched, so the state is
// hex: "1" (the format), the expiry (8 hex digits of Unix seconds), a random id (16 hex digits) and a MAC
// (32 hex digits, HMAC-SHA256 truncated to 128 bits) — 57 characters. The MAC covers the expiry and id
// and the appid, scope and redirect of the request. Those three travel in the redirect_uri the console
// gives WeChat (/wxplatform/webauth?appid=…&scope=…&redirect=…), which WeChat calls back with code and
// state added: changing any of them on the way back breaks the MAC. The key is derived from SECRET_KEY
// for this purpose only (secretbox.Derive("webauth-state")). Single use: the id is recorded in Postgres
// when the state is consumed.

const stateVersion = "1"

// state is a decoded OAuth state.
type state struct {
	expires time.Time
	id      string // 16 hex digits
}

func stateMAC(key []byte, expHex, id, appid, scope, redirect string) string {
	m := hmac.New(sha256.New, key)
	// Length-prefixed fields: no two different inputs write the same bytes.
	for _, f := range []string{"webauth-state", stateVersion, expHex, id, appid, scope, redirect} {
		fmt.Fprintf(m, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// newState makes a state for the request, valid until expires.
func newState(key []byte, appid, scope, redirect string, expires time.Time) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	expHex := fmt.Sprintf("%08x", uint32(expires.Unix()))
	return stateVersion + expHex + id + stateMAC(key, expHex, id, appid, scope, redirect)
}

// parseState checks a state against the request it came back with.
func parseState(key []byte, s, appid, scope, redirect string, now time.Time) (state, error) {
	if len(s) != 57 || s[:1] != stateVersion {
		return state{}, ErrStateInvalid
	}
	expHex, id, mac := s[1:9], s[9:25], s[25:]
	if _, err := hex.DecodeString(id); err != nil {
		return state{}, ErrStateInvalid
	}
	want := stateMAC(key, expHex, id, appid, scope, redirect)
	if !hmac.Equal([]byte(strings.ToLower(mac)), []byte(want)) {
		return state{}, ErrStateInvalid
	}
	exp, err := strconv.ParseUint(expHex, 16, 32)
	if err != nil {
		return state{}, ErrStateInvalid
	}
	st := state{expires: time.Unix(int64(exp), 0), id: id}
	if !now.Before(st.expires) {
		return st, ErrStateExpired
	}
	return st, nil
}

// The ticket
//
// After a web authorization that was asked with a redirect, the browser is sent to the redirect URL
// with ?ticket=T added (&ticket=T when it has a query). The account's backend learns who logged in from
// T, either by calling GET /wxplatform/webauth/ticket?ticket=T (single use; answers the openid and the
// profile) or by checking T itself:
//
//	T       = PAYLOAD "." MAC
//	PAYLOAD = base64url (no padding) of the JSON {"v":1,"appid":"wx…","openid":"o…","unionid":"…",
//	          "scope":"snsapi_base|snsapi_userinfo","iat":<Unix s>,"exp":<Unix s>,"jti":"<16 hex>"}
//	          (unionid only when WeChat gave one)
//	MAC     = base64url (no padding) of HMAC-SHA256(key = the account's msdkKey, as its 32 ASCII characters,
//	          message = "socialinzen-webauth-ticket." PAYLOAD)
//
// A ticket is valid for 5 minutes (exp). A backend checking tickets itself should remember the jti of
// those it accepted until they expire, as the verify endpoint does. Rotating the msdkKey
// (rotateMsdkKey) invalidates every ticket not yet used.

// TicketClaims is what a ticket says.
type TicketClaims struct {
	V        int    `json:"v"`
	AppID    string `json:"appid"`
	OpenID   string `json:"openid"`
	UnionID  string `json:"unionid,omitempty"`
	Scope    string `json:"scope"`
	IssuedAt int64  `json:"iat"`
	Expires  int64  `json:"exp"`
	ID       string `json:"jti"`
}

const ticketPrefix = "socialinzen-webauth-ticket."

func ticketMAC(msdkKey, payload string) string {
	m := hmac.New(sha256.New, []byte(msdkKey))
	m.Write([]byte(ticketPrefix + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// SignTicket makes a ticket of claims with the account's msdkKey.
func SignTicket(msdkKey string, claims TicketClaims) string {
	data, _ := json.Marshal(claims)
	payload := base64.RawURLEncoding.EncodeToString(data)
	return payload + "." + ticketMAC(msdkKey, payload)
}

// peekTicket reads a ticket's claims without checking them (to find the account's key).
func peekTicket(t string) (TicketClaims, string, string, error) {
	payload, mac, ok := strings.Cut(t, ".")
	if !ok || payload == "" || mac == "" || len(t) > 2048 {
		return TicketClaims{}, "", "", ErrTicketInvalid
	}
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return TicketClaims{}, "", "", ErrTicketInvalid
	}
	var c TicketClaims
	if json.Unmarshal(data, &c) != nil || c.V != 1 || c.AppID == "" || c.OpenID == "" || c.ID == "" {
		return TicketClaims{}, "", "", ErrTicketInvalid
	}
	return c, payload, mac, nil
}

// VerifyTicket checks a ticket with the account's msdkKey and its expiry; it does not record its use.
func VerifyTicket(msdkKey, ticket string, now time.Time) (TicketClaims, error) {
	c, payload, mac, err := peekTicket(ticket)
	if err != nil {
		return TicketClaims{}, err
	}
	if !hmac.Equal([]byte(mac), []byte(ticketMAC(msdkKey, payload))) {
		return TicketClaims{}, ErrTicketInvalid
	}
	if now.Unix() >= c.Expires {
		return TicketClaims{}, ErrTicketExpired
	}
	return c, nil
}

func newTicketID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

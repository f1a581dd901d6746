package pages

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// tokenFor stores an access token of the operator and answers it.
func tokenFor(t *testing.T, e *consoleEnv, userID int64, tok string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(tok))
	require.NoError(t, e.DB.Exec(`INSERT INTO access_tokens (token_hash, user_id, expires_at)
		VALUES (decode(?, 'hex'), ?, now() + interval '1 day')`, hex.EncodeToString(sum[:]), userID).Error)
	return tok
}

// rawDo sends req with exactly the cookies given.
func rawDo(e *consoleEnv, req *http.Request, cookies ...*http.Cookie) (*http.Response, string) {
	for _, c := range cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func tokenCookieSet(res *http.Response) (string, bool) {
	for _, c := range res.Cookies() {
		if c.Name == httpapi.TokenCookie {
			return c.Value, true
		}
	}
	return "", false
}

// TestAccessTokenInTheQueryAsksBeforeSwitchingOperator: a link with another operator's ?access_token= does
// not silently replace the session the browser holds; it asks "continue as X?", and only a same-origin POST
// of that question switches.
func TestAccessTokenInTheQueryAsksBeforeSwitchingOperator(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	otherID := e.Operator("mallory")
	other := tokenFor(t, e, otherID, "other-token-"+t.Name())
	mine := &http.Cookie{Name: httpapi.TokenCookie, Value: e.token}

	// Another operator's token while logged in: a question, and the session stays.
	res, body := rawDo(e, httptest.NewRequest("GET", testBase.String()+"/console/replies?access_token="+other+"&x=1", nil), mine)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	_, set := tokenCookieSet(res)
	require.False(t, set, "the session cookie is not replaced")
	require.NotContains(t, body, other, "the token is not put in the page")
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	require.NoError(t, err)
	require.Contains(t, doc.Find("main").Text(), "mallory")
	require.Contains(t, doc.Find("main").Text(), "op")
	form := doc.Find(`form[action="/switch"][method="post"]`)
	require.Equal(t, 1, form.Length(), body)
	stay, _ := doc.Find("a#switch-stay").Attr("href")
	require.Equal(t, "/console/replies?x=1", stay)
	var session []*http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == sessionName {
			session = append(session, c)
		}
	}
	require.Len(t, session, 1, "the pending switch waits in the server-side session")

	// A cross-origin post of the question is refused.
	req := httptest.NewRequest("POST", testBase.String()+"/switch", strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, _ = rawDo(e, req, mine, session[0])
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	_, set = tokenCookieSet(res)
	require.False(t, set)

	// The operator's own answer switches and goes where the link pointed.
	req = httptest.NewRequest("POST", testBase.String()+"/switch", strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, body = rawDo(e, req, mine, session[0])
	require.Equal(t, http.StatusSeeOther, res.StatusCode, body)
	require.Equal(t, "/console/replies?x=1", res.Header.Get("Location"))
	v, set := tokenCookieSet(res)
	require.True(t, set)
	require.Equal(t, other, v)

	// Without a pending switch, /switch does nothing.
	req = httptest.NewRequest("POST", testBase.String()+"/switch", strings.NewReader(""))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, _ = rawDo(e, req, mine)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, set = tokenCookieSet(res)
	require.False(t, set)

	// The same operator's token, or no session at all: the cookie is set at once, as the spec wants.
	own := tokenFor(t, e, e.userID, "own-second-token-"+t.Name())
	res, _ = rawDo(e, httptest.NewRequest("GET", testBase.String()+"/console?access_token="+own, nil), mine)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/console", res.Header.Get("Location"))
	v, _ = tokenCookieSet(res)
	require.Equal(t, own, v)
	res, _ = rawDo(e, httptest.NewRequest("GET", testBase.String()+"/console?access_token="+other, nil))
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	v, _ = tokenCookieSet(res)
	require.Equal(t, other, v)
}

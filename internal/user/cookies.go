package user

import (
	"net/http"
	"strconv"

	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// SetSessionCookies sets the login cookies of contract §3: the token (HttpOnly, so page scripts cannot read
// it) and the operator's id, both SameSite=Lax and living as long as the token.
func SetSessionCookies(w http.ResponseWriter, sess Session, secure bool) {
	maxAge := int(sess.ExpiresIn.Seconds())
	http.SetCookie(w, &http.Cookie{Name: httpapi.TokenCookie, Value: sess.Token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: httpapi.UserCookie, Value: strconv.FormatInt(sess.UserID, 10), Path: "/",
		MaxAge: maxAge, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// ClearSessionCookies deletes both login cookies.
func ClearSessionCookies(w http.ResponseWriter, secure bool) {
	for _, name := range []string{httpapi.TokenCookie, httpapi.UserCookie} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: name == httpapi.TokenCookie, Secure: secure, SameSite: http.SameSiteLaxMode})
	}
}

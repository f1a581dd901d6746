package pages

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"gorm.io/gorm"
)

// dbStore is a gorilla/sessions Store keeping session data server-side in web_sessions; the cookie carries
// only a signed id. Data is encoded (and authenticated) with securecookie before it is stored.
type dbStore struct {
	db      *gorm.DB
	codecs  []securecookie.Codec
	options *sessions.Options
}

func newDBStore(db *gorm.DB, hashKey, blockKey []byte, secure bool) *dbStore {
	return &dbStore{
		db:     db,
		codecs: securecookie.CodecsFromPairs(hashKey, blockKey),
		options: &sessions.Options{Path: "/", MaxAge: 30 * 24 * 3600, HttpOnly: true,
			Secure: secure, SameSite: http.SameSiteLaxMode},
	}
}

// Get answers the request's session, cached for the request by the registry.
func (s *dbStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session named by the request's cookie, or starts an empty one.
func (s *dbStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := *s.options
	sess.Options = &opts
	sess.IsNew = true
	c, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	var id string
	if err := securecookie.DecodeMulti(name, c.Value, &id, s.codecs...); err != nil {
		return sess, nil // a stale or forged cookie just starts a new session
	}
	var row struct {
		Data      []byte
		ExpiresAt time.Time
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	err = s.db.WithContext(ctx).Raw(`SELECT data, expires_at FROM web_sessions WHERE id = ?`, id).Scan(&row).Error
	if err != nil || row.Data == nil || time.Now().After(row.ExpiresAt) {
		return sess, nil
	}
	if err := securecookie.DecodeMulti(name, string(row.Data), &sess.Values, s.codecs...); err != nil {
		return sess, nil
	}
	sess.ID = id
	sess.IsNew = false
	return sess, nil
}

// Save writes the session's data and sets its cookie; MaxAge < 0 deletes both.
func (s *dbStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if sess.Options.MaxAge < 0 {
		if sess.ID != "" {
			s.db.WithContext(ctx).Exec(`DELETE FROM web_sessions WHERE id = ?`, sess.ID)
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	if sess.ID == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		sess.ID = strings.TrimRight(base32.StdEncoding.EncodeToString(b), "=")
	}
	data, err := securecookie.EncodeMulti(sess.Name(), sess.Values, s.codecs...)
	if err != nil {
		return err
	}
	expires := time.Now().Add(time.Duration(sess.Options.MaxAge) * time.Second)
	err = s.db.WithContext(ctx).Exec(`INSERT INTO web_sessions (id, data, expires_at, updated_at) VALUES (?, ?, ?, now())
		ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at, updated_at = now()`,
		sess.ID, []byte(data), expires).Error
	if err != nil {
		return errors.Join(errors.New("save session"), err)
	}
	cookie, err := securecookie.EncodeMulti(sess.Name(), sess.ID, s.codecs...)
	if err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(sess.Name(), cookie, sess.Options))
	return nil
}

// purgeExpired deletes sessions past their expiry.
func (s *dbStore) purgeExpired(ctx context.Context) error {
	return s.db.WithContext(ctx).Exec(`DELETE FROM web_sessions WHERE expires_at < now()`).Error
}

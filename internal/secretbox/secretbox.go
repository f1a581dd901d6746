// Package secretbox seals values stored at rest (AppSecrets, EncodingAESKeys, WeChat tokens) with AES-256-GCM
// under a key derived from SECRET_KEY, and derives the other keys the console signs with.
package secretbox

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/config"
)

// ErrOpen means a sealed value was damaged or sealed under another key.
var ErrOpen = errors.New("secretbox: cannot open sealed value")

// Box seals and opens values. It is safe for concurrent use.
type Box struct {
	master []byte
	aead   cipher.AEAD
}

// New builds a Box from the master key (32+ bytes).
func New(master []byte) (*Box, error) {
	if len(master) < 32 {
		return nil, errors.New("secretbox: key shorter than 32 bytes")
	}
	b := &Box{master: append([]byte(nil), master...)}
	block, err := aes.NewCipher(b.Derive("seal"))
	if err != nil {
		return nil, err
	}
	b.aead, err = cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Derive answers a 32-byte key for one purpose, so one SECRET_KEY never serves two uses directly.
func (b *Box) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, b.master)
	m.Write([]byte("socialinzen/" + purpose))
	return m.Sum(nil)
}

// Seal encrypts plaintext; the answer is base64 text holding nonce and ciphertext. Empty stays empty. It
// binds the value to nothing: stored secrets use SealFor.
func (b *Box) Seal(plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secretbox: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), nil)
	return base64.RawStdEncoding.EncodeToString(out), nil
}

// boundPrefix marks a value sealed with SealFor: base64 never holds ':', so it cannot be mistaken for a
// value of Seal.
const boundPrefix = "2:"

// Bind names one stored secret for SealFor and OpenFor: its table, its column and the identity of its row
// (the appid, or the row's key columns). Binding the column as well as the row means a value moved to
// another column (say the AppSecret into the MSDK key, which the API shows) does not open either.
func Bind(table, column string, row ...string) string {
	return table + "/" + column + "/" + strings.Join(row, "/")
}

// SealFor seals plaintext bound to the place it is stored (Bind's answer, the additional data of AES-GCM):
// a copy of the value into another row or column, or another database, does not open. Empty stays empty.
func (b *Box) SealFor(bound, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secretbox: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(bound))
	return boundPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// OpenFor opens what SealFor sealed for the same place. A value of the older unbound format (Seal) does not
// open: UpgradeLegacy reseals those at start.
func (b *Box) OpenFor(bound, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(sealed, boundPrefix)
	if !ok {
		return "", ErrOpen
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", ErrOpen
	}
	ns := b.aead.NonceSize()
	pt, err := b.aead.Open(nil, raw[:ns], raw[ns:], []byte(bound))
	if err != nil {
		return "", ErrOpen
	}
	return string(pt), nil
}

// IsBound reports whether a stored value is in SealFor's format.
func IsBound(sealed string) bool { return strings.HasPrefix(sealed, boundPrefix) }

// Open decrypts what Seal produced.
func (b *Box) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", ErrOpen
	}
	ns := b.aead.NonceSize()
	pt, err := b.aead.Open(nil, raw[:ns], raw[ns:], nil)
	if err != nil {
		return "", ErrOpen
	}
	return string(pt), nil
}

// MasterKey answers SECRET_KEY decoded, or, when it is not configured, the key generated on first start and
// kept in app_settings so that every process sharing the database uses the same one.
func MasterKey(ctx context.Context, gdb *gorm.DB, configured string, log *slog.Logger) ([]byte, error) {
	if configured != "" {
		return config.DecodeKey(configured)
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	// Insert-if-absent then read: two processes starting together agree on one key.
	if err := gdb.WithContext(ctx).Exec(
		`INSERT INTO app_settings (name, value) VALUES ('secret_key', ?) ON CONFLICT (name) DO NOTHING`,
		hex.EncodeToString(fresh)).Error; err != nil {
		return nil, fmt.Errorf("store generated secret key: %w", err)
	}
	var stored string
	if err := gdb.WithContext(ctx).Raw(`SELECT value FROM app_settings WHERE name = 'secret_key'`).Scan(&stored).Error; err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	if log != nil {
		log.Warn("SECRET_KEY is not set: using a key generated and stored in the database; set SECRET_KEY so that a database dump alone cannot open the stored AppSecrets")
	}
	return config.DecodeKey(stored)
}

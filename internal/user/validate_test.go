package user_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/user"
)

func TestRegistrationValidate(t *testing.T) {
	t.Parallel()
	ok := user.Registration{Username: "alice", Password: "correct horse", Email: "alice@example.com"}
	tests := []struct {
		name  string
		edit  func(*user.Registration)
		field string // "" when valid
	}{
		{"ok", func(*user.Registration) {}, ""},
		{"username with every allowed character", func(r *user.Registration) { r.Username = "A-z_0.9" }, ""},
		{"username 3", func(r *user.Registration) { r.Username = "abc" }, ""},
		{"username 32", func(r *user.Registration) { r.Username = strings.Repeat("a", 32) }, ""},
		{"username missing", func(r *user.Registration) { r.Username = "" }, "username"},
		{"username 2", func(r *user.Registration) { r.Username = "ab" }, "username"},
		{"username 33", func(r *user.Registration) { r.Username = strings.Repeat("a", 33) }, "username"},
		{"username with space", func(r *user.Registration) { r.Username = "al ice" }, "username"},
		{"username with @", func(r *user.Registration) { r.Username = "al@ice" }, "username"},
		{"username not ascii", func(r *user.Registration) { r.Username = "爱丽丝abc" }, "username"},
		{"password missing", func(r *user.Registration) { r.Password = "" }, "password"},
		{"password 7", func(r *user.Registration) { r.Password = "1234567" }, "password"},
		{"password 8", func(r *user.Registration) { r.Password = "12345678" }, ""},
		{"password 128", func(r *user.Registration) { r.Password = strings.Repeat("x", 128) }, ""},
		{"password 128 chinese characters", func(r *user.Registration) { r.Password = strings.Repeat("密", 128) }, ""},
		{"password 129", func(r *user.Registration) { r.Password = strings.Repeat("x", 129) }, "password"},
		{"password 8 chinese characters", func(r *user.Registration) { r.Password = "我的密码很长很长" }, ""},
		{"password invalid utf-8", func(r *user.Registration) { r.Password = "abcdefgh\xff" }, "password"},
		{"email missing", func(r *user.Registration) { r.Email = "" }, "email"},
		{"email without @", func(r *user.Registration) { r.Email = "alice.example.com" }, "email"},
		{"email with display name", func(r *user.Registration) { r.Email = "Alice <alice@example.com>" }, "email"},
		{"email without domain", func(r *user.Registration) { r.Email = "alice@" }, "email"},
		{"email with space", func(r *user.Registration) { r.Email = "ali ce@example.com" }, "email"},
		{"email too long", func(r *user.Registration) { r.Email = strings.Repeat("a", 250) + "@example.com" }, "email"},
		{"email local host", func(r *user.Registration) { r.Email = "root@localhost" }, ""},
		{"first wrong field wins", func(r *user.Registration) { r.Username, r.Email = "", "" }, "username"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			err := r.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, apperr.Invalid, apperr.KindOf(err))
			require.True(t, strings.HasPrefix(err.Error(), tc.field+":"), "message %q names %s", err, tc.field)
		})
	}
}

// Package dbtest gives each test a fresh, uniquely named Postgres database, migrated, and drops it when the
// test ends, so tests run in parallel without touching each other or the developer's data.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db"
)

// AdminURL is the server the test databases are created on: TEST_DATABASE_URL, else DATABASE_URL, else the
// contract's default server. Only its host, port and credentials matter.
func AdminURL() string {
	for _, k := range []string{"TEST_DATABASE_URL", "DATABASE_URL"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

// NewURL creates an empty database and returns its URL; it is dropped when t ends.
func NewURL(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	admin, err := db.Open(ctx, withDatabase(AdminURL(), "postgres"), db.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatalf("dbtest: postgres is not reachable (%v); run `make test`, which starts it", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sz_test_" + strings.ToLower(sanitize(t.Name())) + "_" + hex.EncodeToString(b)
	if len(name) > 60 {
		name = name[:48] + "_" + hex.EncodeToString(b)
	}
	if err := admin.Exec(fmt.Sprintf(`CREATE DATABASE "%s"`, name)).Error; err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS "%s" WITH (FORCE)`, name))
		_ = db.Close(admin)
	})
	return withDatabase(AdminURL(), name)
}

// New creates a migrated database and opens it; both are closed and dropped when t ends.
func New(t testing.TB) *gorm.DB {
	t.Helper()
	gdb, _ := NewWithURL(t)
	return gdb
}

// NewWithURL is New that also answers the database's URL, for tests that start more processes on it.
func NewWithURL(t testing.TB) (*gorm.DB, string) {
	t.Helper()
	u := NewURL(t)
	ctx := context.Background()
	gdb, err := db.Open(ctx, u, db.Options{MaxOpenConns: 10})
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	// Registered after NewURL's cleanup, so it runs first: close before the drop.
	t.Cleanup(func() { _ = db.Close(gdb) })
	if err := db.Migrate(ctx, gdb, nil); err != nil {
		t.Fatalf("dbtest: migrate: %v", err)
	}
	return gdb, u
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := b.String()
	if len(out) > 30 {
		out = out[:30]
	}
	return out
}

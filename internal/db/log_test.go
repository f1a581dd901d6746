package db_test

import (
	"bytes"
	"context"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"log/slog"
	"strings"
	"testing"
)

func TestLogsHoldNoBoundValues(t *testing.T) {
	u := dbtest.NewURL(t)
	var buf bytes.Buffer
	g, err := db.Open(context.Background(), u, db.Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(g)
	var n int
	_ = g.Raw("SELECT count(*) AS n FROM nosuchtable WHERE a = ?", "secret-one").Scan(&n).Error
	_ = g.Exec("UPDATE nosuchtable SET a = ?", "secret-two").Error
	if !strings.Contains(buf.String(), "nosuchtable") {
		t.Fatalf("the failures were not logged: %s", buf.String())
	}
	if strings.Contains(buf.String(), "secret-") {
		t.Fatalf("a bound value reached the log: %s", buf.String())
	}
}

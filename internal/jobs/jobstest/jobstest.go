// Package jobstest makes a job queue for tests on a dbtest database: small pool, fast polling, stopped
// before the database is dropped.
package jobstest

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/jobs"
)

// New opens a queue on the test database gdb at dsn (dbtest.NewWithURL answers both). Register workers,
// then Start it; it stops when t ends, before the database is dropped.
func New(t testing.TB, gdb *gorm.DB, dsn string) *jobs.Queue {
	t.Helper()
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatalf("jobstest: %v", err)
	}
	q, err := jobs.New(context.Background(), jobs.Options{DSN: dsn, SQLDB: sqlDB, MaxWorkers: 4, MaxConns: 6,
		FetchPollInterval: 50 * time.Millisecond, StopTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("jobstest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return q
}

package db

import (
	"context"
	"database/sql/driver"
	"fmt"

	"gorm.io/gorm"
)

// Advisory lock namespaces: the first key of pg_advisory_lock(int, int), one per kind of thing locked, so
// that locks of different kinds never collide. Migrate uses the single-key lock 727001.
const (
	LockMenu int32 = 7271 // one account's menu: publish, delete and import, with their WeChat calls
)

// WithLock runs fn while this process holds the session advisory lock (ns, key), waiting for it as long
// as ctx allows. No transaction is open while fn runs — the point: fn may call WeChat, and a slow WeChat
// then holds no row lock and no snapshot, only this lock and one pooled connection. fn runs its own short
// transactions on gdb as usual. Every process sharing the database waits on the same lock.
func WithLock(ctx context.Context, gdb *gorm.DB, ns int32, key int64, fn func() error) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	k := int32(key ^ key>>32) // ids beyond 2^31 may share a lock with another: they only wait for each other
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, $2)`, ns, k); err != nil {
		_ = conn.Close()
		return fmt.Errorf("advisory lock: %w", err)
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, $2)`, ns, k); err != nil {
			// The session is in doubt: drop the connection, which ends the session and its locks.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}()
	return fn()
}

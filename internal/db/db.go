// Package db opens the console's Postgres database through GORM and applies its SQL migrations.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/socialinzen/socialinzen/migrations"
)

// ErrSchemaTooNew means the database was migrated by a newer console than this one.
var ErrSchemaTooNew = errors.New("database schema is newer than this console knows")

var hideRecordedParams sync.Once

// Options bounds the connection pool of one process.
type Options struct {
	MaxOpenConns int
	Logger       *slog.Logger
}

// Open connects to Postgres with explicit pool limits and checks the connection.
func Open(ctx context.Context, dsn string, opts Options) (*gorm.DB, error) {
	if opts.MaxOpenConns <= 0 {
		opts.MaxOpenConns = 20
	}
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	if opts.Logger != nil {
		hideRecordedParams.Do(func() {
			// Raw(...).Scan(...) logs through gorm's recorder, which ignores ParameterizedQueries and would
			// write bound values (usernames, addresses, session ids) into a slow or failed query's log line.
			logger.RecorderParamsFilter = func(_ context.Context, sql string, _ ...any) (string, []any) { return sql, nil }
		})
		cfg.Logger = logger.NewSlogLogger(opts.Logger, logger.Config{
			SlowThreshold:             500 * time.Millisecond,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true,
		})
	}
	gdb, err := gorm.Open(postgres.New(postgres.Config{DSN: withConnectTimeout(dsn)}), cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
	sqlDB.SetMaxIdleConns(opts.MaxOpenConns / 2)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("ping postgres: %w", err)
	}
	return gdb, nil
}

// withConnectTimeout bounds connecting: database/sql dials without a deadline, and a Postgres that accepts
// TCP but never answers (a hung server, a dead proxy) would otherwise fill the pool with stuck dials.
func withConnectTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return dsn
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", "5")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Close closes the pool under gdb.
func Close(gdb *gorm.DB) error {
	sqlDB, err := gdb.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

func provider(gdb *gorm.DB) (*goose.Provider, error) {
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	fsys, err := fs.Sub(migrations.FS, ".")
	if err != nil {
		return nil, err
	}
	// Capabilities are built side by side, each numbering its migrations in its own range: a database that
	// already has a later number still takes an earlier one that arrives afterwards.
	return goose.NewProvider(goose.DialectPostgres, sqlDB, fsys, goose.WithAllowOutofOrder(true))
}

// Migrate applies every pending migration, each in its own transaction, and refuses a schema newer than the
// embedded migrations. Concurrent callers in several processes are serialised by an advisory lock.
func Migrate(ctx context.Context, gdb *gorm.DB, log *slog.Logger) error {
	// The lock keeps two processes starting together from racing on the same migration.
	conn, err := gdb.DB()
	if err != nil {
		return err
	}
	c, err := conn.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_lock(727001)"); err != nil {
		return fmt.Errorf("migrate lock: %w", err)
	}
	defer c.ExecContext(context.Background(), "SELECT pg_advisory_unlock(727001)") //nolint:errcheck

	p, err := provider(gdb)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	status, err := Status(ctx, gdb)
	if err != nil {
		return err
	}
	if status.Current > status.Latest {
		return fmt.Errorf("%w: database at version %d, console knows up to %d", ErrSchemaTooNew, status.Current, status.Latest)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		if log != nil {
			log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration.Round(time.Millisecond))
		}
	}
	// River's tables (the job queue of internal/jobs) are migrated under the same lock, in one transaction
	// on the locked connection, so two processes starting together never race on them either.
	if err := migrateRiver(ctx, conn, c, log); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

// migrateRiver applies River's own migrations on c, the connection holding the lock, one version per
// transaction: a River migration may use an enum value an earlier one added, which Postgres refuses within
// the transaction that added it.
func migrateRiver(ctx context.Context, pool *sql.DB, c *sql.Conn, log *slog.Logger) error {
	m, err := rivermigrate.New(riverdatabasesql.New(pool), &rivermigrate.Config{Logger: quietLogger(log)})
	if err != nil {
		return err
	}
	for {
		applied, err := migrateRiverStep(ctx, m, c)
		if err != nil {
			return err
		}
		if applied == nil {
			return nil
		}
		if log != nil {
			log.Info("river migration applied", "version", applied.Version, "name", applied.Name)
		}
	}
}

func migrateRiverStep(ctx context.Context, m *rivermigrate.Migrator[*sql.Tx], c *sql.Conn) (*rivermigrate.MigrateVersion, error) {
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck
	res, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{MaxSteps: 1})
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	if len(res.Versions) == 0 {
		return nil, nil
	}
	return &res.Versions[0], nil
}

// quietLogger passes River's warnings on and drops the rest (River logs at info on every step).
func quietLogger(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(warnOnly{log.Handler()})
}

type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

// SchemaStatus says where the database stands against the embedded migrations.
type SchemaStatus struct {
	Current int64 `json:"current"`
	Latest  int64 `json:"latest"`
}

// UpToDate is true when every embedded migration is applied and none is unknown.
func (s SchemaStatus) UpToDate() bool { return s.Current == s.Latest }

// Status reads the applied schema version and the latest embedded one.
func Status(ctx context.Context, gdb *gorm.DB) (SchemaStatus, error) {
	p, err := provider(gdb)
	if err != nil {
		return SchemaStatus{}, fmt.Errorf("schema status: %w", err)
	}
	var st SchemaStatus
	for _, s := range p.ListSources() {
		if s.Version > st.Latest {
			st.Latest = s.Version
		}
	}
	// Read the version table directly: goose's own GetDBVersion ignores versions it has no file for,
	// and a newer schema is exactly what we must see.
	var exists bool
	if err := gdb.WithContext(ctx).Raw("SELECT to_regclass('goose_db_version') IS NOT NULL").Scan(&exists).Error; err != nil {
		return st, fmt.Errorf("schema status: %w", err)
	}
	if exists {
		if err := gdb.WithContext(ctx).Raw("SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&st.Current).Error; err != nil {
			return st, fmt.Errorf("schema status: %w", err)
		}
	}
	return st, nil
}

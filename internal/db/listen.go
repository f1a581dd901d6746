package db

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listen opens a connection of its own (LISTEN needs one outside the pool) named appName, and LISTENs on
// channel. The caller waits for notifications on it and closes it with the returned function.
func Listen(ctx context.Context, dsn, appName, channel string) (*pgx.Conn, func(), error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, nil, err
	}
	cfg.RuntimeParams["application_name"] = appName
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return nil, nil, err
	}
	closeConn := func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err = conn.Exec(lctx, "LISTEN "+pgx.Identifier{channel}.Sanitize())
	cancel()
	if err != nil {
		closeConn()
		return nil, nil, err
	}
	return conn, closeConn, nil
}

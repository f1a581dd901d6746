package db

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// Follower describes a long-lived LISTEN: Follow keeps it connected and hands it every notification.
type Follower struct {
	DSN, AppName, Channel string
	// Ping is how long a quiet connection waits before it is pinged to prove it is alive (default 30 s).
	Ping time.Duration
	// MinBackoff and MaxBackoff bound the wait before reconnecting (defaults 100 ms and 10 s); it doubles
	// after every failure and starts over once a LISTEN succeeded.
	MinBackoff, MaxBackoff time.Duration
	// Listening, when set, is true exactly while LISTEN is in place.
	Listening *atomic.Bool
	// OnListen runs after every successful LISTEN, before the first notification is read: the place to
	// catch up on whatever was announced while nobody listened.
	OnListen func(ctx context.Context)
	// OnNotify receives each notification's payload, in order.
	OnNotify func(payload string)
	Log      *slog.Logger
}

// Follow listens until ctx ends, reconnecting with jittered exponential backoff when the connection fails
// (full jitter keeps many processes from reconnecting in step after a Postgres restart).
func Follow(ctx context.Context, f Follower) {
	minBackoff, maxBackoff, ping := f.MinBackoff, f.MaxBackoff, f.Ping
	if minBackoff <= 0 {
		minBackoff = 100 * time.Millisecond
	}
	if maxBackoff <= 0 {
		maxBackoff = 10 * time.Second
	}
	if ping <= 0 {
		ping = 30 * time.Second
	}
	log := f.Log
	if log == nil {
		log = slog.Default()
	}
	backoff := minBackoff
	for ctx.Err() == nil {
		listened, err := f.once(ctx, ping)
		if f.Listening != nil {
			f.Listening.Store(false)
		}
		if ctx.Err() != nil {
			return
		}
		if listened {
			backoff = minBackoff
		}
		log.Warn("listener disconnected; reconnecting", "channel", f.Channel, "err", err, "in", backoff)
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// once connects, listens and hands notifications over until the connection fails. listened says whether
// LISTEN succeeded.
func (f Follower) once(ctx context.Context, ping time.Duration) (listened bool, err error) {
	conn, closeConn, err := Listen(ctx, f.DSN, f.AppName, f.Channel)
	if err != nil {
		return false, err
	}
	defer closeConn()
	if f.Listening != nil {
		f.Listening.Store(true)
	}
	if f.OnListen != nil {
		f.OnListen(ctx)
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, ping)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return true, ctx.Err()
			}
			if !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err) {
				return true, err
			}
			// Quiet for a while: make sure the connection is still alive.
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, err
			}
			continue
		}
		f.OnNotify(n.Payload)
	}
}

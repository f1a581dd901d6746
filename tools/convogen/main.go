// Command convogen fills a console database with a large message history for one official account, to
// measure the conversations pages and API at scale (docs/BENCHMARKS.md):
//
//	go run ./tools/convogen -db "$DATABASE_URL" -appid wx... -messages 10000000 -followers 200000 [-fast]
//
// The account must be bound already. Messages go through the same INSERT path and trigger as the callback's,
// so the conversation summaries are the ones the console keeps.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/socialinzen/socialinzen/internal/wxplatform/conversations/convoseed"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "convogen:", err)
		os.Exit(1)
	}
}

func run() error {
	dsn := flag.String("db", os.Getenv("DATABASE_URL"), "Postgres URL")
	appid := flag.String("appid", "", "the bound account to fill")
	messages := flag.Int("messages", 10_000_000, "follower messages")
	followers := flag.Int("followers", 200_000, "distinct followers")
	days := flag.Int("days", 30, "how many days back the history goes")
	fast := flag.Bool("fast", false, "disable the conversation trigger during the load and build the summaries once at the end (a database of its own only)")
	flag.Parse()
	if *appid == "" {
		return fmt.Errorf("-appid is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	db, err := sql.Open("pgx", *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var id int64
	if err := db.QueryRowContext(ctx, `SELECT id FROM wx_accounts WHERE appid = $1`, *appid).Scan(&id); err != nil {
		return fmt.Errorf("account %s: %w", *appid, err)
	}
	start := time.Now()
	return convoseed.Generate(ctx, db, convoseed.Options{AccountID: id, Messages: *messages, Followers: *followers,
		Span: time.Duration(*days) * 24 * time.Hour, Fast: *fast, Chunk: 500_000, Progress: func(done, total int) {
			fmt.Printf("%d / %d messages (%s)\n", done, total, time.Since(start).Round(time.Second))
		}})
}

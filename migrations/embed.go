// Package migrations embeds the console's SQL migrations. Files are numbered NNNNN_name.sql in goose's
// format; each runs in a transaction and is recorded in goose_db_version.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS

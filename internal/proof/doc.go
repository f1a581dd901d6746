// Package proof holds the tests that prove what the console promises when it runs as several operating
// system processes and when the things it depends on fail (issue 8, parts 3 and 4). The package has only
// tests; this file carries its documentation.
//
// The multi-process test builds the console binary once (without -race, to keep the processes light) and
// starts three `console` processes on one fresh database, all pointed at one in-process WeChat emulator and
// one in-process SMTP server. It shows that the processes behave as one console: one WeChat token refresh
// among them, reply rules visible everywhere within a second, one stored record for a message delivered to
// all of them, and login throttling counted across them.
//
// The fault tests restart a throwaway Postgres cluster (never the machine's shared one) under callback
// load, make the emulator slow or busy, and send SIGTERM to a process under load.
//
// Every process writes its log to a file in the test's temporary directory; when a test fails, the tail of
// each log is printed. The tests need Postgres (TEST_DATABASE_URL, as dbtest) and, for the restart test,
// the PostgreSQL 15 server binaries (/usr/lib/postgresql/15/bin, or PG_BIN naming their directory). They
// skip under -short. Without the server binaries the restart test skips, except when CI=true, where it
// fails.
package proof

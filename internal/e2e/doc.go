// Package e2e holds the end-to-end journeys of the console: a whole console started in-process in sandbox
// mode (apptest), driven by headless Chromium through chromedp as an operator would drive it. The package
// has only tests; this file carries its documentation.
//
// The tests need Chromium (/usr/bin/chromium, or chromium on PATH, or E2E_CHROMIUM naming the binary) and
// Postgres. Without Chromium they skip, except when CI=true, where a missing browser fails the run. They
// skip under -short. Screenshots of every page go to E2E_SCREENSHOT_DIR/<test name> when it is set, else to
// the test's artifact directory (kept with `go test -artifacts -outputdir DIR`); the test logs where.
package e2e

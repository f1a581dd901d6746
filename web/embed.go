// Package web holds the console's templates and static files, embedded in the binary.
package web

import "embed"

// Templates holds layout/, partials/ and pages/ (html/template files).
//
//go:embed templates
var Templates embed.FS

// Static holds the CSS, scripts and images served under /static/<hash>/.
//
//go:embed static
var Static embed.FS

// Package web holds the console's templates, static files and translations, embedded in the binary.
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

// I18n holds i18n/<lang>.json: one flat object of key -> text per language the pages speak.
//
//go:embed i18n
var I18n embed.FS

// Package archtest proves the import arrows of docs/ARCHITECTURE.md with `go list -deps`: the bottom
// layers (the domain nouns, WeChat's client, crypto and emulator) know nothing of the console's edges, and
// the capabilities' services know nothing of their handlers.
package archtest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/socialinzen/socialinzen/"

// edges are the packages of the console's edges (the JSON API, the pages, the binding handler) and the
// web framework: nothing below them may depend on them.
var edges = []string{
	module + "internal/httpapi",
	module + "internal/pages",
	module + "internal/wxplatform/accounts",
	"github.com/gin-gonic/gin",
}

// deps answers every package pkg depends on, directly or not (tests excluded).
func deps(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+pkg).CombinedOutput()
	require.NoError(t, err, "go list -deps %s: %s", pkg, out)
	set := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		set[line] = true
	}
	require.True(t, set[module+pkg], "go list answered the package itself")
	return set
}

func TestLayers(t *testing.T) {
	t.Parallel()
	for pkg, forbidden := range map[string][]string{
		// The bottom: shared nouns and WeChat's wire, usable by every layer above.
		"internal/domain":              edges,
		"internal/apperr":              edges,
		"internal/i18n":                edges,
		"internal/redact":              edges,
		"internal/wxplatform/wxclient": edges,
		"internal/wxplatform/wxcrypto": edges,
		"internal/wxplatform/wxemu":    edges,
		// A capability's matcher and service depend on no handler: its routes are a package of their own.
		"internal/reply": append([]string{module + "internal/reply/replyapi"}, edges...),
		// Every service records its changes in the audit log inside its transactions: no HTTP there.
		"internal/audit": append([]string{module + "internal/audit/auditapi"}, edges...),
		// The message store answers questions about stored messages, for any capability; no HTTP.
		"internal/wxplatform/messages": append([]string{module + "internal/wxplatform/callback"}, edges...),
	} {
		t.Run(pkg, func(t *testing.T) {
			t.Parallel()
			got := deps(t, pkg)
			for _, f := range forbidden {
				require.False(t, got[f], "%s must not depend on %s (docs/ARCHITECTURE.md)", pkg, f)
			}
		})
	}
}

// TestDomainImportsNothingInternal: the domain package is the bottom of the bottom.
func TestDomainImportsNothingInternal(t *testing.T) {
	t.Parallel()
	for dep := range deps(t, "internal/domain") {
		if strings.HasPrefix(dep, module) {
			require.Equal(t, module+"internal/domain", dep, "the domain imports nothing of the project")
		}
	}
}

package pages

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/i18n"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
	"github.com/socialinzen/socialinzen/web"
)

var (
	// {{t "key"}} and (t "key" …) in templates; "label" "key" and "help" "key" of the field partials.
	templateKeyUse = regexp.MustCompile(`\bt\s+"([^"]+)"|"(?:label|help)"\s+"([^"]+)"`)
	// A translation key in Go code: a string literal of dotted lower-case words whose first word names a
	// family of keys (checked below), like "replies.added" or "dashboard.chart.messages".
	goKeyUse = regexp.MustCompile(`"([a-z]+(?:\.[a-zA-Z0-9_]+)+)"`)
	// Keys the templates build: (printf "replies.type.%s" .) and the like.
	templateKeyFamily = regexp.MustCompile(`printf\s+"([a-z.]+)\.%s"`)
)

// usedKeys answers every translation key the templates and the package's Go code use.
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{} // key -> where
	families := map[string]string{}
	err := fs.WalkDir(web.Templates, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.Templates, path)
		if err != nil {
			return err
		}
		for _, m := range templateKeyUse.FindAllStringSubmatch(string(b), -1) {
			if key := m[1] + m[2]; strings.Contains(key, ".") { // not the partials' own documentation
				used[key] = path
			}
		}
		for _, m := range templateKeyFamily.FindAllStringSubmatch(string(b), -1) {
			families[m[1]] = path
		}
		return nil
	})
	require.NoError(t, err)
	// The values the families are built from.
	values := map[string][]string{
		"replies.type":            replyTypes,
		"replies.match":           matchModes,
		"menu.type":               menu.Types,
		"menu.f":                  {"media_id", "article_id", "appid", "pagepath"},
		"menu.action":             {menu.ActionSave, menu.ActionPublish, menu.ActionDelete, menu.ActionImport},
		"followers.state":         {followers.StateIdle, followers.StateRunning, followers.StateDone, followers.StateFailed},
		"articles.status":         publishStatuses,
		"articles.status.explain": publishStatuses,
		"articles.action":         {"create", "update", "import"},
		"qrcodes.reply":           {"text", "image", "voice"},
		"replies.mode":            {"random", "all", "random.count", "all.count"},
		"menu.cond.platform":      {"1", "2", "3"},
	}
	for _, k := range []string{"element", "attribute", "url", "image"} {
		used["articles.removed."+k] = "articles.go"
	}
	for _, r := range domain.Roles { // role.%s and role.%s.help (members, settings, invite)
		values["role"] = append(values["role"], string(r))
		used["role."+string(r)+".help"] = "members.html"
	}
	for _, k := range materialKinds {
		values["materials.kind"] = append(values["materials.kind"], string(k))
	}
	for fam, where := range families {
		vals, ok := values[fam]
		require.True(t, ok, "%s builds keys %s.* from values the test does not know: list them here", where, fam)
		for _, v := range vals {
			used[fam+"."+v] = where
		}
	}
	namespaces := map[string]bool{}
	for _, k := range i18n.Embedded().Keys(LangZH) {
		namespaces[strings.SplitN(k, ".", 2)[0]] = true
	}
	goFiles, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range goFiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range goKeyUse.FindAllStringSubmatch(string(b), -1) {
			if namespaces[strings.SplitN(m[1], ".", 2)[0]] && !strings.HasSuffix(m[1], ".") {
				used[m[1]] = f
			}
		}
	}
	// Keys made in Go from a kind: replies.<kind>.saved and .cleared (replySpecial).
	for _, kind := range []string{"subscribe", "default"} {
		used["replies."+kind+".saved"], used["replies."+kind+".cleared"] = "replies.go", "replies.go"
	}
	return used
}

// TestEveryKeyUsedIsTranslated fails when a template or the Go code uses a key that either language
// lacks. That both languages have the same keys is the i18n package's test.
func TestEveryKeyUsedIsTranslated(t *testing.T) {
	used := usedKeys(t)
	require.Greater(t, len(used), 300, "the scan found the keys")
	var missing []string
	for key, where := range used {
		for _, lang := range []string{LangZH, LangEN} {
			if !i18n.Embedded().Has(lang, key) {
				missing = append(missing, lang+": "+key+" (used in "+where+")")
			}
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing)
}

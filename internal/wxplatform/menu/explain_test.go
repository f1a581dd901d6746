package menu

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/i18n"
)

// TestMenuExplanationsTranslated: every menu code explained has its sentence in both languages.
func TestMenuExplanationsTranslated(t *testing.T) {
	for code := range menuExplained {
		for _, lang := range []string{i18n.ZH, i18n.EN} {
			require.True(t, i18n.Embedded().Has(lang, "wx.menu."+strconv.Itoa(code)), "%s: %d", lang, code)
		}
	}
}

package wxclient

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/i18n"
)

// TestExplanationKeysTranslated: every code with an explanation has its sentence in both languages.
func TestExplanationKeysTranslated(t *testing.T) {
	codes := []*Error{{Errcode: CodeInvalidCredential, Path: pathToken}, {Errcode: CodeInvalidCredential},
		{Errcode: CodeIPNotWhitelisted, Errmsg: "invalid ip 1.2.3.4 rid: 1"}, {Errcode: CodeIPNotWhitelisted}}
	for code := range explanationKeys {
		codes = append(codes, &Error{Errcode: code})
	}
	for _, e := range codes {
		key, args := e.ExplanationKey()
		require.NotEmpty(t, key, "%d", e.Errcode)
		for _, lang := range []string{i18n.ZH, i18n.EN} {
			require.True(t, i18n.Embedded().Has(lang, key), "%s: %s", lang, key)
		}
		require.NotContains(t, e.Explanation(), "%!", "%s takes %v", key, args)
	}
	require.Contains(t, (&Error{Errcode: CodeIPNotWhitelisted, Errmsg: "invalid ip 1.2.3.4 rid: 1"}).Explanation(), "(1.2.3.4)")
	require.Empty(t, (&Error{Errcode: 12345}).Explanation())
}

package conversations

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/i18n"
)

// TestWindowErrorsKeyed: each 40301 sentence reaches the pages in the operator's language, in English word
// for word what the API says (TestEveryErrorKeyed cannot see windowKeys' keys: they are not literals there).
func TestWindowErrorsKeyed(t *testing.T) {
	c := i18n.Embedded()
	for msg, key := range windowKeys {
		err := windowError(msg, Window{})
		require.Equal(t, msg, c.Error(i18n.EN, err), key)
		zh := c.Error(i18n.ZH, err)
		require.True(t, c.Has(i18n.ZH, key), key)
		require.NotEqual(t, msg, zh, key)
	}
}

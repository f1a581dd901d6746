package replywire

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeywords(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   any
		want []string
		many bool
	}{
		{"hello", []string{"hello"}, false},
		{`["a","b"]`, []string{"a", "b"}, true},
		{"[0-9]+", []string{"[0-9]+"}, false},
		{"[1]", []string{"[1]"}, false},
		{json.Number("42"), []string{"42"}, false},
		{[]any{"x", json.Number("7")}, []string{"x", "7"}, true},
		{nil, nil, false},
	} {
		got, many, err := Keywords(tt.in)
		require.NoError(t, err, "%v", tt.in)
		require.Equal(t, tt.want, got, "%v", tt.in)
		require.Equal(t, tt.many, many, "%v", tt.in)
	}
	_, _, err := Keywords(make([]any, 11))
	require.ErrorContains(t, err, "at most 10")
	_, _, err = Keywords([]any{"a", true})
	require.ErrorContains(t, err, "request[1]")
	_, _, err = Keywords(map[string]any{})
	require.ErrorContains(t, err, "request")
}

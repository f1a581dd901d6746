package reply

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// requireInvalid asserts err is a 40000 naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	var ae *apperr.Error
	require.True(t, errors.As(err, &ae), "not an apperr: %v", err)
	require.Equal(t, apperr.Invalid, ae.Kind, "%v", err)
	require.Equal(t, field, ae.Field, "%v", err)
	require.True(t, strings.HasPrefix(ae.Msg, field), "message %q should name %q", ae.Msg, field)
}

func TestCheckKeyword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		mode      MatchMode
		want      string
		wantErr   bool
	}{
		{"trimmed", "  hello\u3000", MatchExact, "hello", false},
		{"empty", "  ", MatchExact, "", true},
		{"long Chinese keyword", strings.Repeat("长", 128), MatchContains, strings.Repeat("长", 128), false},
		{"too long", strings.Repeat("长", 129), MatchContains, "", true},
		{"regex", `^(?i)price\s*\d+$`, MatchRegex, `^(?i)price\s*\d+$`, false},
		{"invalid regex", `(abc`, MatchRegex, "", true},
		{"backreference is not RE2", `(a)\1`, MatchRegex, "", true},
		{"regex too long", strings.Repeat("a", 257), MatchRegex, "", true},
		{"regex text is not checked in exact mode", `(abc`, MatchExact, "(abc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkKeyword("request", tt.raw, tt.mode)
			if tt.wantErr {
				requireInvalid(t, err, "request")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestFoldKey(t *testing.T) {
	require.Equal(t, "hello", foldKey(" HeLLo "))
	require.Equal(t, "café", foldKey("CAFÉ"))
	require.Equal(t, "ａｂｃ", foldKey("ＡＢＣ"))     // full-width Latin
	require.Equal(t, "你好abc", foldKey("你好ABC")) // other scripts as they are
	require.Equal(t, "ΑΒΓ", foldKey("ΑΒΓ"))     // Greek is not Latin
	s := "already folded 你好"
	require.Equal(t, s, foldKey(s))
	allocs := testing.AllocsPerRun(100, func() { _ = foldLatin(s) })
	require.Zero(t, allocs)
}

package user

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func TestDummyHashHasProductionCost(t *testing.T) {
	t.Parallel()
	cost, err := bcrypt.Cost([]byte(dummyHash))
	require.NoError(t, err)
	require.Equal(t, passwordCost, cost)
	require.Equal(t, passwordCost, NewService(nil, nil, Options{}).cost)
}

// TestLongPasswords: bcrypt alone would refuse more than 72 bytes and could not tell apart two passwords
// that share them; 128 Chinese characters are 384 bytes.
func TestLongPasswords(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("密", 128)
	h, err := hashPassword(long, bcrypt.MinCost)
	require.NoError(t, err)
	require.True(t, checkPassword(h, long))
	require.False(t, checkPassword(h, strings.Repeat("密", 127)+"码"))
	require.False(t, checkPassword(h, ""))
}

func TestNewTokenShape(t *testing.T) {
	t.Parallel()
	a, ha := newToken()
	b, _ := newToken()
	require.Len(t, a, 43)
	require.NotEqual(t, a, b)
	require.Equal(t, hashToken(a), ha)
	require.Len(t, ha, 32)
}

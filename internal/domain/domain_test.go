package domain

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestContext(t *testing.T) {
	ctx := context.Background()
	_, ok := AccountFrom(ctx)
	require.False(t, ok)
	_, ok = AccountFrom(WithAccount(ctx, nil))
	require.False(t, ok, "a nil account is no account")
	a := &Account{AppID: "wx0123456789abcdef"}
	got, ok := AccountFrom(WithAccount(ctx, a))
	require.True(t, ok)
	require.Same(t, a, got)

	_, ok = PrincipalFrom(ctx)
	require.False(t, ok)
	p, ok := PrincipalFrom(WithPrincipal(ctx, Principal{UserID: 7}))
	require.True(t, ok)
	require.Equal(t, int64(7), p.UserID)
}

func TestAccount(t *testing.T) {
	a := &Account{JSDomains: []string{"www.example.com", "a.example.com:8080"}}
	require.True(t, a.HasJSDomain("WWW.example.com:443"))
	require.True(t, a.HasJSDomain("a.example.com:8080"))
	require.False(t, a.HasJSDomain("a.example.com"))
	require.True(t, a.Active())
	a.Status = StatusRevoked
	require.False(t, a.Active())
}

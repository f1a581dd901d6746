package wxclient

import (
	"testing"
)

// BenchmarkAccessTokenCached measures the path nearly every WeChat call takes: the token is in memory
// and fresh, so no database or network is touched.
func BenchmarkAccessTokenCached(b *testing.B) {
	e := newTestEnv(b)
	ctx := ctxT(b)
	app := e.demo.AppID
	c := e.client()
	if _, err := c.AccessToken(ctx, app); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.AccessToken(ctx, app); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.AccessToken(ctx, app); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

package httpapi

import (
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// ClientRate limits requests per client address with a token bucket, for endpoints that cost something
// to someone else (each registration or reset request sends a mail). It is per process: a bound on abuse,
// not an accounting; login failures, which must hold across processes, are counted in Postgres instead.
type ClientRate struct {
	every time.Duration
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewClientRate allows burst requests at once and then one every `every` per client address.
func NewClientRate(every time.Duration, burst int) *ClientRate {
	return &ClientRate{every: every, burst: burst, buckets: map[string]*bucket{}}
}

// Middleware answers 42900 with Retry-After when the caller's bucket is empty.
func (r *ClientRate) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		if ok, wait := r.allow(c.ClientIP(), time.Now()); !ok {
			Fail(c, &apperr.Error{Kind: apperr.TooManyRequests, Msg: "too many requests from this address: wait before trying again", Key: "err.rate.address", RetryAfter: wait})
			return
		}
		c.Next()
	}
}

// Allow takes one request of client from its bucket; when empty it answers false and how long to wait.
func (r *ClientRate) Allow(client string) (bool, time.Duration) { return r.allow(client, time.Now()) }

func (r *ClientRate) allow(key string, now time.Time) (bool, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.swept) > 10*time.Minute {
		// Forget addresses idle long enough for their bucket to be full again.
		for k, b := range r.buckets {
			if now.Sub(b.seen) > time.Duration(r.burst)*r.every {
				delete(r.buckets, k)
			}
		}
		r.swept = now
	}
	b, ok := r.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Every(r.every), r.burst)}
		r.buckets[key] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

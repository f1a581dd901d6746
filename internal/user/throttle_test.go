package user_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/user"
)

func loginFrom(a *app, addr, name, password string) res {
	a.env.t.Helper()
	return a.do(req{path: "/apis/user/login", remote: addr, json: map[string]string{"username": name, "password": password}})
}

// TestThrottleAcrossProcesses: two console processes on one database share the failure count.
func TestThrottleAcrossProcesses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.app, e.newApp(user.HandlerOptions{})
	a.verified("olivia", "olivia@example.com", "right password")

	for i := range 10 {
		p := a
		if i%2 == 1 {
			p = b
		}
		// Each guess from its own address: only the username key reaches the limit.
		requireFail(t, loginFrom(p, fmt.Sprintf("198.51.100.%d", i), "olivia", "wrong password"),
			http.StatusUnauthorized, httpapi.CodeBadCredentials, "wrong")
		e.clock.Add(time.Minute)
	}
	// The 11th, from anywhere, by name or address, in either process, even with the right password: 429.
	for _, p := range []*app{a, b} {
		for _, name := range []string{"olivia", "OLIVIA@example.com"} {
			r := loginFrom(p, "203.0.113.9", name, "right password")
			requireFail(t, r, http.StatusTooManyRequests, httpapi.CodeTooMany, "too many failed logins")
			// The oldest failure was 10 minutes ago: the window lets one through in 5 minutes.
			require.Equal(t, "300", r.Header().Get("Retry-After"))
		}
	}
	// Refused attempts do not count, so the window ends when it said.
	e.clock.Add(5*time.Minute - time.Second)
	r := loginFrom(b, "203.0.113.9", "olivia", "right password")
	require.Equal(t, "1", r.Header().Get("Retry-After"))
	e.clock.Add(time.Second)
	require.Equal(t, http.StatusOK, loginFrom(b, "203.0.113.9", "olivia", "right password").Code)
	// One more failure puts the key back at the limit until the next oldest failure leaves the window.
	requireFail(t, loginFrom(a, "203.0.113.9", "olivia", "wrong"), http.StatusUnauthorized, httpapi.CodeBadCredentials, "wrong")
	r = loginFrom(a, "203.0.113.10", "olivia", "right password")
	requireFail(t, r, http.StatusTooManyRequests, httpapi.CodeTooMany, "too many")
	require.Equal(t, "60", r.Header().Get("Retry-After"))
}

// TestThrottlePerClientAddress: ten failures for one username do not lock the other operators behind the
// same address (a shared office, a load balancer) out; an address is stopped only at 100 failures.
func TestThrottlePerClientAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.app, e.newApp(user.HandlerOptions{})
	a.verified("peggy", "peggy@example.com", "right password")
	a.verified("victor", "victor@example.com", "victor's password")
	for range user.ThrottleLimit {
		requireFail(t, loginFrom(a, "198.51.100.7", "victor", "guess"), http.StatusUnauthorized, httpapi.CodeBadCredentials, "wrong")
	}
	requireFail(t, loginFrom(a, "198.51.100.7", "victor", "victor's password"), http.StatusTooManyRequests, httpapi.CodeTooMany, "too many")
	require.Equal(t, http.StatusOK, loginFrom(b, "198.51.100.7", "peggy", "right password").Code,
		"another operator from the same address still logs in")

	// 90 more failures from the address, for names that each stay under their own limit: 100 in all.
	for i := range user.ThrottleAddressLimit - user.ThrottleLimit {
		p := a
		if i%2 == 1 {
			p = b
		}
		requireFail(t, loginFrom(p, "198.51.100.7", fmt.Sprintf("nobody%d", i/5), "guess"),
			http.StatusUnauthorized, httpapi.CodeBadCredentials, "wrong")
	}
	r := loginFrom(a, "198.51.100.7", "peggy", "right password")
	requireFail(t, r, http.StatusTooManyRequests, httpapi.CodeTooMany, "too many")
	require.Equal(t, "900", r.Header().Get("Retry-After"))
	require.Equal(t, http.StatusOK, loginFrom(b, "198.51.100.8", "peggy", "right password").Code)
	e.clock.Add(15 * time.Minute)
	require.Equal(t, http.StatusOK, loginFrom(a, "198.51.100.7", "peggy", "right password").Code)
}

// TestParallelGuessesStayUnderTheLimit: attempts are counted before bcrypt runs, so a burst of parallel
// guesses across two processes gets no more than the limit checked.
func TestParallelGuessesStayUnderTheLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.app, e.newApp(user.HandlerOptions{})
	a.verified("quinn", "quinn@example.com", "right password")
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := range 30 {
		p := a
		if i%2 == 1 {
			p = b
		}
		wg.Go(func() {
			r := loginFrom(p, fmt.Sprintf("198.51.100.%d", i), "quinn", fmt.Sprintf("guess %d", i))
			mu.Lock()
			codes[r.code()]++
			mu.Unlock()
		})
	}
	wg.Wait()
	require.Equal(t, 30, codes[httpapi.CodeBadCredentials]+codes[httpapi.CodeTooMany], "%v", codes)
	require.LessOrEqual(t, codes[httpapi.CodeBadCredentials], 10, "%v", codes)
	require.Positive(t, codes[httpapi.CodeBadCredentials], "%v", codes)
}

// TestUnknownNameCostsAsMuchAsKnown: an unknown name is compared against a dummy hash of the same cost, so
// the answer takes as long and timing does not tell which names exist. Not parallel, for steadier timing.
func TestUnknownNameCostsAsMuchAsKnown(t *testing.T) {
	e := newEnv(t)
	a := e.app
	// Cost 6 makes bcrypt the bulk of a login even under the race detector, as cost 12 is in production.
	user.SetPasswordCost(a.svc, 6)
	a.verified("rupert", "rupert@example.com", "right password")
	measure := func(name string) time.Duration {
		best := time.Hour
		for i := range 3 {
			start := time.Now()
			r := loginFrom(a, fmt.Sprintf("198.51.100.%d", i), name, "wrong password")
			require.Equal(t, httpapi.CodeBadCredentials, r.code())
			best = min(best, time.Since(start))
		}
		return best
	}
	known, unknown := measure("rupert"), measure("nobody-here")
	t.Logf("known %s, unknown %s", known, unknown)
	require.Greater(t, unknown, known/2)
}

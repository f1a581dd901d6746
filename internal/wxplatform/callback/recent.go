package callback

import (
	"sync"
	"time"
)

// recentCache remembers the answers of recent messages for the retry window, so a retry is answered
// without Postgres: the only way to deduplicate while it is down, and a cheap one when it is up.
//
// It is a two-generation cache, an approximate LRU without per-entry list nodes: new entries go to the
// current map; when it is half full, or a retry window has passed, it becomes the old map and the previous
// old map is dropped. A hit in the old map is promoted. Entries are served for at most ttl.
type recentCache struct {
	ttl     time.Duration
	genSize int

	mu      sync.Mutex
	cur     map[msgKey]recentEntry
	old     map[msgKey]recentEntry
	rotated time.Time
}

type recentEntry struct {
	ans answer
	at  time.Time
}

func newRecentCache(size int, ttl time.Duration) *recentCache {
	g := max(size/2, 1)
	return &recentCache{ttl: ttl, genSize: g, cur: make(map[msgKey]recentEntry), old: map[msgKey]recentEntry{}}
}

// get answers the remembered answer of k, if it is younger than ttl.
func (c *recentCache) get(k msgKey, now time.Time) (answer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.cur[k]
	if !ok {
		if e, ok = c.old[k]; ok && now.Sub(e.at) <= c.ttl {
			delete(c.old, k)
			c.insert(k, e, now)
		}
	}
	if !ok || now.Sub(e.at) > c.ttl {
		return answer{}, false
	}
	return e.ans, true
}

// put remembers ans for k, replacing what was there.
func (c *recentCache) put(k msgKey, ans answer, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.old, k)
	c.insert(k, recentEntry{ans: ans, at: now}, now)
}

// putIfAbsent remembers ans for k unless a live answer is there already, which it answers instead.
func (c *recentCache) putIfAbsent(k msgKey, ans answer, now time.Time) (answer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range []map[msgKey]recentEntry{c.cur, c.old} {
		if e, ok := m[k]; ok && now.Sub(e.at) <= c.ttl {
			return e.ans, true
		}
	}
	delete(c.old, k)
	c.insert(k, recentEntry{ans: ans, at: now}, now)
	return ans, false
}

// insert adds to the current generation, rotating first when it is full or old. The caller holds mu.
func (c *recentCache) insert(k msgKey, e recentEntry, now time.Time) {
	if len(c.cur) >= c.genSize || now.Sub(c.rotated) > c.ttl {
		c.old = c.cur
		c.cur = make(map[msgKey]recentEntry, min(len(c.old), c.genSize))
		c.rotated = now
	}
	c.cur[k] = e
}

// Len is how many answers are remembered, live or not yet dropped.
func (c *recentCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}

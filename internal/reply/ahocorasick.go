package reply

import (
	"slices"
	"strings"
)

// acAutomaton is an Aho-Corasick automaton over bytes: one pass over a text finds the best of a set of
// patterns occurring anywhere in it, in time linear in the text whatever the number of patterns.
//
// Patterns are UTF-8 strings and so are the texts searched; UTF-8 being self-synchronising, a valid pattern
// can only match a valid text at rune boundaries, so bytes are as good as runes here and much cheaper.
//
// "Best" is the lowest rank: pattern i has rank i, so the caller orders the patterns by preference before
// building (for keyword rules: longest first, then lowest rule id).
//
// Transitions are kept sparse (sorted edge lists in flat arrays, dense only at the root), which keeps 10,000
// Chinese keywords in a few megabytes; a search costs a short scan or a binary search per byte.
type acAutomaton struct {
	root  [256]int32 // next node from the root for each byte; 0 stays at the root
	start []int32    // node n's edges are keys[start[n]:start[n+1]] and next[...] alike
	keys  []byte
	next  []int32
	fail  []int32
	best  []int32 // the best pattern ending at the node, its own or through its suffixes; -1: none
	own   []int32 // the pattern ending exactly at the node; -1: none
	dict  []int32 // the nearest proper suffix node (by failure links) that has a pattern of its own; 0: none
}

// newACAutomaton builds the automaton of patterns (none of them empty; duplicates keep the first).
func newACAutomaton(patterns []string) *acAutomaton {
	// Insert the patterns in sorted order: then a node's children are created in increasing byte order, and
	// the child a pattern may share is always the node's last one, so the trie is built with flat arrays
	// (first child, next sibling) and no per-node allocation.
	order := make([]int32, len(patterns))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(x, y int32) int { return strings.Compare(patterns[x], patterns[y]) })
	var (
		firstChild = []int32{-1}
		lastChild  = []int32{-1}
		sibling    = []int32{-1}
		label      = []byte{0}
		own        = []int32{-1}
	)
	for _, pi := range order {
		p := patterns[pi]
		n := int32(0)
		for j := 0; j < len(p); j++ {
			if lc := lastChild[n]; lc >= 0 && label[lc] == p[j] {
				n = lc
				continue
			}
			c := int32(len(label))
			firstChild = append(firstChild, -1)
			lastChild = append(lastChild, -1)
			sibling = append(sibling, -1)
			label = append(label, p[j])
			own = append(own, -1)
			if lastChild[n] >= 0 {
				sibling[lastChild[n]] = c
			} else {
				firstChild[n] = c
			}
			lastChild[n] = c
			n = c
		}
		if n != 0 && (own[n] < 0 || pi < own[n]) {
			own[n] = pi
		}
	}
	count := len(label)
	a := &acAutomaton{
		start: make([]int32, count+1),
		keys:  make([]byte, 0, count-1),
		next:  make([]int32, 0, count-1),
		fail:  make([]int32, count),
		best:  make([]int32, count),
		own:   own,
		dict:  make([]int32, count),
	}
	// Flatten the edges, already sorted by byte, in node order.
	for n := range count {
		a.start[n] = int32(len(a.keys))
		for c := firstChild[n]; c >= 0; c = sibling[c] {
			a.keys = append(a.keys, label[c])
			a.next = append(a.next, c)
		}
	}
	a.start[count] = int32(len(a.keys))
	for c := firstChild[0]; c >= 0; c = sibling[c] {
		a.root[label[c]] = c
	}

	// Breadth-first: failure links, then the best pattern of each node (its suffixes are shallower, so
	// already done).
	a.best[0] = -1
	queue := make([]int32, 0, count)
	for c := firstChild[0]; c >= 0; c = sibling[c] {
		queue = append(queue, c)
	}
	for head := 0; head < len(queue); head++ {
		n := queue[head]
		a.best[n] = better(own[n], a.best[a.fail[n]])
		if f := a.fail[n]; own[f] >= 0 {
			a.dict[n] = f
		} else {
			a.dict[n] = a.dict[f]
		}
		for c := firstChild[n]; c >= 0; c = sibling[c] {
			b := label[c]
			f := a.fail[n]
			for {
				if t := a.edge(f, b); t > 0 {
					a.fail[c] = t
					break
				}
				if f == 0 {
					break
				}
				f = a.fail[f]
			}
			queue = append(queue, c)
		}
	}
	return a
}

// better answers the lower of two ranks, -1 meaning none.
func better(x, y int32) int32 {
	if x < 0 || (y >= 0 && y < x) {
		return y
	}
	return x
}

// edge answers node n's child by byte b, 0 when there is none (the root is never a child).
func (a *acAutomaton) edge(n int32, b byte) int32 {
	if n == 0 {
		return a.root[b]
	}
	lo, hi := int(a.start[n]), int(a.start[n+1])
	if hi-lo <= 8 {
		for i := lo; i < hi; i++ {
			if a.keys[i] == b {
				return a.next[i]
			}
		}
		return 0
	}
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch k := a.keys[mid]; {
		case k == b:
			return a.next[mid]
		case k < b:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0
}

// search answers the best (lowest-ranked) pattern occurring in text, -1 when none does. It stops early
// once pattern 0 is found, since nothing beats it.
func (a *acAutomaton) search(text string) int32 {
	best := int32(-1)
	n := int32(0)
	for i := 0; i < len(text); i++ {
		b := text[i]
		for {
			if n == 0 {
				n = a.root[b]
				break
			}
			if t := a.edge(n, b); t > 0 {
				n = t
				break
			}
			n = a.fail[n]
		}
		if r := a.best[n]; r >= 0 && (best < 0 || r < best) {
			best = r
			if best == 0 {
				return 0
			}
		}
	}
	return best
}

// searchWhere answers the best pattern occurring in text that ok accepts, -1 when none does. It costs what
// search costs as long as ok accepts the best pattern at each position; only where ok refuses it are the
// other patterns ending there (the suffix chain, at most as long as the longest pattern) tried in turn. ok
// must not keep its argument.
func (a *acAutomaton) searchWhere(text string, ok func(rank int32) bool) int32 {
	best := int32(-1)
	n := int32(0)
	for i := 0; i < len(text); i++ {
		b := text[i]
		for {
			if n == 0 {
				n = a.root[b]
				break
			}
			if t := a.edge(n, b); t > 0 {
				n = t
				break
			}
			n = a.fail[n]
		}
		r := a.best[n]
		if r < 0 || (best >= 0 && r >= best) {
			continue
		}
		if ok(r) {
			best = r
		} else {
			m := n
			if a.own[m] < 0 {
				m = a.dict[m]
			}
			for ; m != 0; m = a.dict[m] {
				if c := a.own[m]; c != r && (best < 0 || c < best) && ok(c) {
					best = c
				}
			}
		}
		if best == 0 {
			return 0
		}
	}
	return best
}

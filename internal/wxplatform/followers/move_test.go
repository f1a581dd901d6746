package followers

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlanMove(t *testing.T) {
	ids := []string{"oA", "oB", "oC"}
	known := map[string]bool{"oA": false, "oB": true} // oC unknown to the mirror
	current := map[string][]int{"oA": {100, 101}, "oB": {101}, "oC": nil}

	p := planMove(GroupBlacklist, ids, known, current)
	require.Equal(t, ids, p.blacklist)
	require.Empty(t, p.unblock)
	require.Empty(t, p.untag)
	require.Empty(t, p.tag)
	require.Equal(t, []tagState{{"oA", []int{100, 101}, true}, {"oB", []int{101}, true}, {"oC", nil, true}}, p.record,
		"blacklisted followers keep their tags")

	p = planMove(GroupUngrouped, ids, known, current)
	require.Empty(t, p.blacklist)
	require.Equal(t, []string{"oB", "oC"}, p.unblock, "the blacklisted and the unknown are unblocked")
	require.Equal(t, []int{100, 101}, p.untag)
	require.Equal(t, map[int][]string{100: {"oA"}, 101: {"oA", "oB"}}, p.carriers)
	require.Empty(t, p.tag)
	for _, r := range p.record {
		require.Empty(t, r.Tags)
		require.False(t, r.Blacklisted)
	}

	p = planMove(101, ids, known, current)
	require.Equal(t, []int{100}, p.untag, "the target tag stays")
	require.Equal(t, []string{"oC"}, p.tag, "only those lacking it are tagged")
	for _, r := range p.record {
		require.Equal(t, []int{101}, r.Tags)
	}
}

package messages

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQueueBounds(t *testing.T) {
	q := newQueue(3, 1<<20)
	rec := func(n int64) *Record { return &Record{MsgID: n, Raw: "x"} }
	for i := int64(1); i <= 5; i++ {
		q.push(rec(i))
	}
	require.Equal(t, 3, q.Len())
	require.EqualValues(t, 2, q.Dropped())
	batch := q.take(2)
	require.Equal(t, []int64{3, 4}, []int64{batch[0].MsgID, batch[1].MsgID}, "oldest first, after the dropped")
	require.Equal(t, 3, q.Len(), "records in the writer's hands still count")
	q.done(2)
	require.Equal(t, 1, q.Len())

	// The byte bound.
	qb := newQueue(100, 2000)
	for i := int64(0); i < 10; i++ {
		qb.push(&Record{MsgID: i, Raw: strings.Repeat("x", 500)})
	}
	require.Less(t, qb.Len(), 10)
	require.Positive(t, qb.Dropped())
}

func TestClean(t *testing.T) {
	require.Equal(t, "abc", clean("abc"))
	require.Equal(t, "ab", clean("a\x00b"))
	require.Equal(t, "a\uFFFDb", clean("a\xffb"))
}

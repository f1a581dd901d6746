package db_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
)

// TestArraysRoundTrip writes arrays through pgx and reads them back through database/sql's text form,
// with the characters Postgres quotes.
func TestArraysRoundTrip(t *testing.T) {
	t.Parallel()
	gdb := dbtest.New(t)
	require.NoError(t, gdb.Exec(`CREATE TABLE arr (id int PRIMARY KEY, s text[] NOT NULL, n int[] NOT NULL)`).Error)
	cases := []struct {
		s db.StringArray
		n db.Int64Array
	}{
		{db.StringArray{}, db.Int64Array{}},
		{db.StringArray{"a.example.com", "b.example.com"}, db.Int64Array{2, 100, 101}},
		{db.StringArray{`with "quotes"`, `back\slash`, "comma,here", "{braces}", "NULL", "", " spaced ", "中文"}, db.Int64Array{-1, 2147483647}},
	}
	for i, c := range cases {
		require.NoError(t, gdb.Exec(`INSERT INTO arr VALUES (?, ?, ?)`, i, c.s, c.n).Error)
		var row struct {
			S db.StringArray
			N db.Int64Array
		}
		require.NoError(t, gdb.Raw(`SELECT s, n FROM arr WHERE id = ?`, i).Scan(&row).Error)
		require.Equal(t, c.s, row.S)
		require.Equal(t, c.n, row.N)
		var has bool
		require.NoError(t, gdb.Raw(`SELECT ? = ANY(s) FROM arr WHERE id = ?`, "x", i).Scan(&has).Error)
	}
	var nulls db.StringArray
	require.Error(t, nulls.Scan(`{a,NULL}`))
	require.NoError(t, nulls.Scan(nil))
	require.Empty(t, nulls)
}

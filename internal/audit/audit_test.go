package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/logctx"
)

// operatorCtx is a request's context as the edge fills it: the operator, the request id, the client.
func operatorCtx(userID int64, name string) context.Context {
	ctx := domain.WithPrincipal(context.Background(), domain.Principal{UserID: userID, Username: name})
	ctx = logctx.WithRequestID(ctx, "req-"+name)
	return logctx.WithClientAddr(ctx, "203.0.113.9")
}

func TestDiff(t *testing.T) {
	type rule struct {
		ID      int64  `json:"id"`
		Request string `json:"request"`
		Enabled bool   `json:"enabled"`
		Secret  string `json:"secret"`
	}
	for name, tc := range map[string]struct {
		before, after any
		want          audit.Changes
	}{
		"created": {nil, rule{ID: 1, Request: "hi", Enabled: true}, audit.Changes{
			"id": {After: json.Number("1")}, "request": {After: "hi"}, "enabled": {After: true}, "secret": {Redacted: true}}},
		"one field": {rule{ID: 1, Request: "hi"}, rule{ID: 1, Request: "hello"}, audit.Changes{
			"request": {Before: "hi", After: "hello"}}},
		"toggled off": {rule{ID: 1, Enabled: true}, rule{ID: 1}, audit.Changes{"enabled": {Before: true, After: false}}},
		"secret rotated": {map[string]any{"AppSecret": "old-secret-value"}, map[string]any{"AppSecret": "new-secret-value"},
			audit.Changes{"AppSecret": {Redacted: true}}},
		"nested secret": {nil, map[string]any{"reply": map[string]any{"access_token": "tok-123456789", "content": "x"}},
			audit.Changes{"reply": {After: map[string]any{"access_token": audit.Redacted, "content": "x"}}}},
		"same":          {rule{ID: 1}, rule{ID: 1}, audit.Changes{}},
		"deleted":       {map[string]any{"name": "a"}, nil, audit.Changes{"name": {Before: "a"}}},
		"not an object": {"a", "b", audit.Changes{"value": {Before: "a", After: "b"}}},
	} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, tc.want, audit.Diff(tc.before, tc.after))
		})
	}
	long := strings.Repeat("长", audit.MaxText+10)
	got := audit.Created(map[string]any{"content": long})["content"].After.(string)
	require.Equal(t, audit.MaxText+1, len([]rune(got)), "cut to MaxText and an ellipsis")
}

func count(t *testing.T, db *gorm.DB, where string, args ...any) int64 {
	t.Helper()
	var n int64
	require.NoError(t, db.Table("audit_entries").Where(where, args...).Count(&n).Error)
	return n
}

func TestRecordIsPartOfTheChangesTransaction(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := operatorCtx(7, "alice")
	require.NoError(t, db.Exec(`CREATE TABLE things (id int PRIMARY KEY, name text)`).Error)

	// The change fails after its entry was written: neither stays.
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO things VALUES (1, 'a')`).Error; err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{AccountID: 1, Action: "addThing", Target: "thing:1"}); err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO things VALUES (1, 'again')`).Error // duplicate key: the change fails
	})
	require.Error(t, err)
	require.Zero(t, count(t, db, "account_id = 1"), "a change that rolls back leaves no entry")

	// An entry that cannot be written fails its change.
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO things VALUES (2, 'b')`).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{AccountID: 1}) // no action
	})
	require.Error(t, err)
	var things int64
	require.NoError(t, db.Table("things").Count(&things).Error)
	require.Zero(t, things, "no change without its entry")

	// Committed: the entry carries who, what, from where.
	require.NoError(t, db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO things VALUES (3, 'c')`).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{AccountID: 1, Action: "addThing", Target: audit.Target("thing", 3),
			Changes: audit.Created(map[string]any{"name": "c"})})
	}))
	page, err := audit.NewService(db, time.UTC).List(context.Background(), 1, audit.Filter{})
	require.NoError(t, err)
	require.EqualValues(t, 1, page.Total)
	e := page.Entries[0]
	require.Equal(t, int64(7), *e.UserID)
	require.Equal(t, "alice", e.Username)
	require.Equal(t, "addThing", e.Action)
	require.Equal(t, "thing:3", e.Target)
	require.Equal(t, "req-alice", e.RequestID)
	require.Equal(t, "203.0.113.9", e.ClientAddr)
	require.JSONEq(t, `{"name":{"after":"c"}}`, string(e.Changes))

	require.ErrorIs(t, audit.Record(ctx, nil, audit.Entry{AccountID: 1, Action: "x"}), audit.ErrNoTransaction)
}

func TestEntriesAreAppendOnly(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := operatorCtx(1, "bob")
	require.NoError(t, db.Transaction(func(tx *gorm.DB) error {
		return audit.Record(ctx, tx, audit.Entry{AccountID: 5, Action: "addReply", Target: "rule:1"})
	}))
	require.Error(t, db.Exec(`UPDATE audit_entries SET username = 'mallory'`).Error)
	require.Error(t, db.Exec(`DELETE FROM audit_entries`).Error)
	require.Error(t, db.Exec(`TRUNCATE audit_entries`).Error)
	require.EqualValues(t, 1, count(t, db, "username = 'bob'"))

	// The documented purge (docs/OPERATIONS.md): a deliberate session setting, inside a transaction.
	require.NoError(t, db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL audit.allow_purge = 'on'`).Error; err != nil {
			return err
		}
		return tx.Exec(`DELETE FROM audit_entries WHERE at < now() + interval '1 day'`).Error
	}))
	require.Zero(t, count(t, db, "true"))
}

func TestSecretValuesNeverEnter(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	acct := &domain.Account{ID: 9, AppID: "wx0123456789abcdef", Secret: "0123456789abcdef0123456789abcdef",
		Token: "CallbackToken123", EncodingAESKey: strings.Repeat("K", 43), MsdkKey: "msdk0123456789"}
	ctx := domain.WithAccount(operatorCtx(1, "carol"), acct)
	require.NoError(t, db.Transaction(func(tx *gorm.DB) error {
		// A careless caller puts secrets under innocent names: the values are scrubbed anyway.
		return audit.Record(ctx, tx, audit.Entry{Action: "setJsDomains", Changes: audit.Changes{
			"note":  {After: "secret is " + acct.Secret + " and key " + acct.EncodingAESKey},
			"other": {After: "pasted-value-xyz"}}, Secrets: []string{"pasted-value-xyz"}})
	}))
	var text string
	require.NoError(t, db.Raw(`SELECT string_agg(audit_entries::text, ' ') FROM audit_entries`).Scan(&text).Error)
	for _, s := range []string{acct.Secret, acct.EncodingAESKey, acct.MsdkKey, "pasted-value-xyz"} {
		require.NotContains(t, text, s)
	}
	require.Contains(t, text, acct.AppID, "the account's appid is copied into the entry")
}

func TestFiltersAndPaging(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	svc := audit.NewService(db, time.UTC)
	base := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 30 {
		user, action := int64(1), "addReply"
		if i%3 == 0 {
			user, action = 2, "publishMenu"
		}
		ctx := operatorCtx(user, map[int64]string{1: "ann", 2: "ben"}[user])
		require.NoError(t, db.Transaction(func(tx *gorm.DB) error {
			return audit.Record(ctx, tx, audit.Entry{AccountID: 1, Action: action, Target: audit.Target("rule", i%5)})
		}))
		// Spread the entries over days, one a day from 2026-12-01 (the trigger is off for the fixture).
		require.NoError(t, db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec(`SET LOCAL session_replication_role = replica`).Error; err != nil {
				return err
			}
			return tx.Exec(`UPDATE audit_entries SET at = ? WHERE id = (SELECT max(id) FROM audit_entries)`,
				base.Add(time.Duration(i)*24*time.Hour)).Error
		}))
	}
	require.NoError(t, db.Transaction(func(tx *gorm.DB) error {
		return audit.Record(operatorCtx(1, "ann"), tx, audit.Entry{AccountID: 2, Action: "addReply"})
	}))
	list := func(q audit.Query) *audit.Page {
		t.Helper()
		f, err := svc.Parse(q)
		require.NoError(t, err)
		p, err := svc.List(context.Background(), 1, f)
		require.NoError(t, err)
		return p
	}
	all := list(audit.Query{})
	require.EqualValues(t, 30, all.Total, "another account's entries are not listed")
	require.Len(t, all.Entries, 30)
	require.True(t, all.Entries[0].At.After(all.Entries[29].At), "newest first")

	page := list(audit.Query{Offset: "10", Limit: "7"})
	require.EqualValues(t, 30, page.Total)
	require.Len(t, page.Entries, 7)
	require.Equal(t, all.Entries[10].ID, page.Entries[0].ID)

	require.EqualValues(t, 10, list(audit.Query{Action: "publishMenu"}).Total)
	require.EqualValues(t, 20, list(audit.Query{UserID: "1"}).Total)
	require.EqualValues(t, 6, list(audit.Query{Target: "rule:0"}).Total)
	require.EqualValues(t, 30, list(audit.Query{Target: "rule"}).Total)
	require.EqualValues(t, 3, list(audit.Query{From: "2026-12-02", To: "2026-12-04"}).Total, "to includes its day")
	require.EqualValues(t, 1, list(audit.Query{From: "2026-12-02T10:00:00Z", To: "2026-12-03T00:00:00Z"}).Total)
	require.EqualValues(t, 4, list(audit.Query{Action: "publishMenu", From: "2026-12-01", To: "2026-12-10"}).Total)

	for name, q := range map[string]audit.Query{
		"bad date":       {From: "yesterday"},
		"bad to":         {To: "2026-13-01"},
		"from after to":  {From: "2026-12-05", To: "2026-12-01"},
		"limit too big":  {Limit: "201"},
		"limit zero":     {Limit: "0"},
		"negative":       {Offset: "-1"},
		"not a number":   {Offset: "x"},
		"bad action":     {Action: "drop table;"},
		"bad user":       {UserID: "0"},
		"bad user text":  {UserID: "ann"},
		"bad target":     {Target: "rule 1"},
		"huge offset":    {Offset: "99999999999"},
		"year 0":         {From: "0000-01-01T00:00:00Z"},
		"action too big": {Action: strings.Repeat("a", 65)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := svc.Parse(q)
			require.Error(t, err)
			var ae *apperr.Error
			require.True(t, errors.As(err, &ae))
			require.Equal(t, apperr.Invalid, ae.Kind)
			require.NotEmpty(t, ae.Key, "the pages show it in the operator's language")
		})
	}
	f, err := svc.Parse(audit.Query{})
	require.NoError(t, err)
	require.Equal(t, audit.DefaultLimit, f.Limit)

	actions, actors, err := svc.Facets(context.Background(), 1)
	require.NoError(t, err)
	require.Equal(t, []string{"addReply", "publishMenu"}, actions)
	require.Equal(t, []audit.Actor{{UserID: 1, Username: "ann"}, {UserID: 2, Username: "ben"}}, actors)
}

package secretbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"gorm.io/gorm"
)

// Column is one place where sealed secrets are stored: a column of a table, and the columns that identify a
// row, which every value is bound to (Bind(Table, Name, the row's key values...)).
type Column struct {
	Table string
	Name  string
	Key   []string
}

// Bound answers the Bind of a value of the column in the row whose key columns hold keys.
func (c Column) Bound(keys ...string) string { return Bind(c.Table, c.Name, keys...) }

// StoredSecrets lists every column holding sealed secrets: what UpgradeLegacy and Rotate go through. A
// capability that stores a new secret (the component's refresh tokens) adds its column here, seals with
// SealFor(col.Bound(keys...)) and opens with OpenFor the same way.
func StoredSecrets() []Column {
	return []Column{
		{Table: "wx_accounts", Name: "secret_enc", Key: []string{"appid"}},
		{Table: "wx_accounts", Name: "token_enc", Key: []string{"appid"}},
		{Table: "wx_accounts", Name: "aes_key_enc", Key: []string{"appid"}},
		{Table: "wx_accounts", Name: "msdk_key_enc", Key: []string{"appid"}},
		{Table: "wx_accounts", Name: "refresh_token_enc", Key: []string{"appid"}},
		{Table: "wx_component_tickets", Name: "ticket_enc", Key: []string{"component_appid"}},
		{Table: "wx_credentials", Name: "value_enc", Key: []string{"appid", "kind"}},
		{Table: "wx_oauth_tokens", Name: "access_token_enc", Key: []string{"account_id", "openid"}},
		{Table: "wx_oauth_tokens", Name: "refresh_token_enc", Key: []string{"account_id", "openid"}},
	}
}

// Named answers the stored-secret column of table and name (a programming error panics at start-up, in the
// tests of the package that asks).
func Named(table, name string) Column {
	for _, c := range StoredSecrets() {
		if c.Table == table && c.Name == name {
			return c
		}
	}
	panic("secretbox: " + table + "." + name + " is not a stored secret")
}

// reseal opens every value of every stored column with open and seals it again with to, bound to its row,
// within tx. It answers how many values it rewrote.
func reseal(ctx context.Context, tx *gorm.DB, to *Box, open func(c Column, bound, sealed string) (string, bool, error)) (int, error) {
	n := 0
	for _, c := range StoredSecrets() {
		var exists bool
		if err := tx.WithContext(ctx).Raw(`SELECT to_regclass(?) IS NOT NULL`, c.Table).Scan(&exists).Error; err != nil {
			return n, fmt.Errorf("look for %s: %w", c.Table, err)
		}
		if !exists {
			continue
		}
		rows, err := tx.WithContext(ctx).Raw(`SELECT ` + castAll(c.Key) + `, ` + c.Name + ` FROM ` + c.Table +
			` WHERE ` + c.Name + ` <> '' FOR UPDATE`).Rows()
		if err != nil {
			return n, fmt.Errorf("read %s.%s: %w", c.Table, c.Name, err)
		}
		type item struct {
			keys   []string
			sealed string
		}
		var items []item
		for rows.Next() {
			it := item{keys: make([]string, len(c.Key))}
			dst := make([]any, 0, len(c.Key)+1)
			for i := range it.keys {
				dst = append(dst, &it.keys[i])
			}
			dst = append(dst, &it.sealed)
			if err := rows.Scan(dst...); err != nil {
				rows.Close()
				return n, fmt.Errorf("read %s.%s: %w", c.Table, c.Name, err)
			}
			items = append(items, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, fmt.Errorf("read %s.%s: %w", c.Table, c.Name, err)
		}
		for _, it := range items {
			keys := it.keys
			bound := c.Bound(keys...)
			plain, change, err := open(c, bound, it.sealed)
			if err != nil {
				return n, fmt.Errorf("%s.%s of %s: %w", c.Table, c.Name, strings.Join(keys, "/"), err)
			}
			if !change {
				continue
			}
			sealed, err := to.SealFor(bound, plain)
			if err != nil {
				return n, err
			}
			where := make([]string, len(c.Key))
			args := []any{sealed}
			for i, k := range c.Key {
				where[i] = k + "::text = ?"
				args = append(args, keys[i])
			}
			args = append(args, it.sealed)
			if err := tx.WithContext(ctx).Exec(`UPDATE `+c.Table+` SET `+c.Name+` = ? WHERE `+strings.Join(where, " AND ")+
				` AND `+c.Name+` = ?`, args...).Error; err != nil {
				return n, fmt.Errorf("write %s.%s: %w", c.Table, c.Name, err)
			}
			n++
		}
	}
	return n, nil
}

func castAll(cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c + "::text"
	}
	return strings.Join(out, ", ")
}

// UpgradeLegacy reseals, bound to their rows, the values stored in the older unbound format (before issue
// 13), in one transaction. Values already bound are left alone, so it runs at every start and does
// nothing once done; processes starting together agree through the row locks.
func UpgradeLegacy(ctx context.Context, gdb *gorm.DB, box *Box, log *slog.Logger) error {
	var n int
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, err = reseal(ctx, tx, box, func(_ Column, _, sealed string) (string, bool, error) {
			if IsBound(sealed) {
				return "", false, nil
			}
			plain, err := box.Open(sealed)
			if err != nil {
				// Sealed under another SECRET_KEY: leave it; opening it fails as it did before.
				return "", false, nil
			}
			return plain, true, nil
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("reseal stored secrets: %w", err)
	}
	if n > 0 && log != nil {
		log.Info("stored secrets resealed, bound to their rows", "values", n)
	}
	return nil
}

// ErrWrongKey means a stored secret does not open with the key said to be the current one.
var ErrWrongKey = errors.New("a stored secret does not open with the current key (is SECRET_KEY the one the values were sealed with?)")

// Rotate reseals every stored secret from the key `from` to the key `to`, in one transaction: either every
// value moves to the new key or none does. When the current key is the generated one kept in the database
// (SECRET_KEY unset), storedKeyHex replaces it there in the same transaction; otherwise pass "" and set
// SECRET_KEY to the new key before starting the console again. Stop every console process first: one still
// running would keep sealing with the old key.
func Rotate(ctx context.Context, gdb *gorm.DB, from, to *Box, storedKeyHex string) (int, error) {
	var n int
	err := gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(7710013)`).Error; err != nil {
			return err
		}
		var err error
		n, err = reseal(ctx, tx, to, func(_ Column, bound, sealed string) (string, bool, error) {
			var plain string
			var err error
			if IsBound(sealed) {
				plain, err = from.OpenFor(bound, sealed)
			} else {
				plain, err = from.Open(sealed)
			}
			if err != nil {
				return "", false, ErrWrongKey
			}
			return plain, true, nil
		})
		if err != nil {
			return err
		}
		if storedKeyHex != "" {
			res := tx.Exec(`UPDATE app_settings SET value = ? WHERE name = 'secret_key'`, storedKeyHex)
			if res.Error != nil {
				return fmt.Errorf("store the new key: %w", res.Error)
			}
			if res.RowsAffected != 1 {
				return errors.New("no generated key is stored in the database: set SECRET_KEY instead")
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("rotate secret key: %w", err)
	}
	return n, nil
}

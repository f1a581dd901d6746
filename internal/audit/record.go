// Package audit is the console's audit log (contract §14): every change made through the API or the pages
// appends one entry — who (the operator in the context), what (the API name of the action, the target, the
// fields changed before → after, never a secret), from where (the client address and the request id the
// edge put in the context) — in the same database transaction as the change itself, so a change that
// rolls back leaves no entry and an entry never exists without its change.
//
// A service records with one call inside its transaction:
//
//	err := db.Transaction(func(tx *gorm.DB) error {
//		... the change ...
//		return audit.Record(ctx, tx, audit.Entry{AccountID: accountID, Action: "addReply",
//			Target: audit.Target("rule", r.ID), Changes: audit.Created(r)})
//	})
//
// The table is append-only (a trigger refuses UPDATE and DELETE; see migrations/00110_audit.sql). Service
// reads it for auditLog and the Settings → Audit log page.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/logctx"
)

// Entry is one change to record. Only Action is required; the rest comes from the context when empty.
type Entry struct {
	// AccountID is the official account changed; 0 takes the context's (domain.AccountFrom).
	AccountID int64
	// AppID is copied into the row so the entry still reads once the account is unbound; "" takes the
	// context account's.
	AppID string
	// Action is the API name of the change: addReply, publishMenu, bindAccount…
	Action string
	// Target names what changed, as kind:id (Target("rule", 42) = "rule:42"); "" for the account itself.
	Target string
	// Changes are the fields changed (Diff, Created, Deleted, Set); secrets are redacted by name.
	Changes Changes
	// Actor, when set, is who acted instead of the context's principal; System records WeChat or the
	// console itself (a component authorization event) with no user.
	Actor  *domain.Principal
	System bool
	// Secrets are values that must not appear in the entry whatever field carries them (an AppSecret
	// just pasted, a new key); the context account's own credentials are always added.
	Secrets []string
}

type actionKey struct{}

// WithAction answers ctx naming the action of the entries recorded with it, whatever name the service
// gives them: for a service method that another one reuses (enableReply is updateReply of one field).
func WithAction(ctx context.Context, action string) context.Context {
	return context.WithValue(ctx, actionKey{}, action)
}

// Target answers kind:id.
func Target(kind string, id any) string { return fmt.Sprintf("%s:%v", kind, id) }

// ErrNoTransaction is Record called without the change's transaction.
var ErrNoTransaction = errors.New("audit: Record needs the change's transaction")

type row struct {
	ID         int64 `gorm:"primaryKey"`
	AccountID  int64
	AppID      string `gorm:"column:appid"`
	UserID     *int64
	Username   string
	Action     string
	Target     string
	Changes    string `gorm:"type:jsonb"`
	ClientAddr string
	RequestID  string
}

func (row) TableName() string { return "audit_entries" }

// Record appends e in tx, the transaction of the change it describes: if tx rolls back, so does the
// entry. The operator, the client address and the request id come from ctx (domain.PrincipalFrom,
// logctx.ClientAddr, logctx.RequestID), which the API and the pages fill the same way.
func Record(ctx context.Context, tx *gorm.DB, e Entry) error {
	if tx == nil {
		return ErrNoTransaction
	}
	r, err := entryRow(ctx, e)
	if err != nil {
		return err
	}
	// tx as it is: it carries the transaction's own context (a change recorded after WeChat answered may run
	// on context.WithoutCancel), which must not be swapped for ctx.
	if err := tx.Create(r).Error; err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

// entryRow completes e from ctx and answers the row to insert.
func entryRow(ctx context.Context, e Entry) (*row, error) {
	if a, ok := ctx.Value(actionKey{}).(string); ok && a != "" {
		e.Action = a
	}
	if e.Action == "" {
		return nil, errors.New("audit: an entry needs its action")
	}
	acct, _ := domain.AccountFrom(ctx)
	if e.AccountID == 0 && acct != nil {
		e.AccountID = acct.ID
	}
	if e.AccountID == 0 {
		return nil, fmt.Errorf("audit: %s: no account", e.Action)
	}
	if e.AppID == "" && acct != nil && acct.ID == e.AccountID {
		e.AppID = acct.AppID
	}
	r := row{AccountID: e.AccountID, AppID: e.AppID, Action: e.Action, Target: e.Target,
		ClientAddr: logctx.ClientAddr(ctx), RequestID: logctx.RequestID(ctx)}
	switch {
	case e.System:
	case e.Actor != nil:
		r.UserID, r.Username = userID(e.Actor.UserID), e.Actor.Username
	default:
		if p, ok := domain.PrincipalFrom(ctx); ok {
			r.UserID, r.Username = userID(p.UserID), p.Username
		}
	}
	if e.Changes == nil {
		e.Changes = Changes{}
	}
	raw, err := json.Marshal(e.Changes)
	if err != nil {
		return nil, fmt.Errorf("audit: %s: changes: %w", e.Action, err)
	}
	secrets := e.Secrets
	if acct != nil {
		secrets = append(secrets, acct.Secret, acct.Token, acct.EncodingAESKey, acct.MsdkKey)
	}
	r.Changes = scrubValues(string(raw), secrets)
	return &r, nil
}

// Execer is a database/sql transaction (*sql.Tx), for the services that use database/sql directly.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// RecordSQL is Record for a change made in a database/sql transaction.
func RecordSQL(ctx context.Context, tx Execer, e Entry) error {
	if tx == nil {
		return ErrNoTransaction
	}
	r, err := entryRow(ctx, e)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(context.WithoutCancel(ctx), `INSERT INTO audit_entries (account_id, appid, user_id, username, action,
		target, changes, client_addr, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
		r.AccountID, r.AppID, r.UserID, r.Username, r.Action, r.Target, r.Changes, r.ClientAddr, r.RequestID)
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", r.Action, err)
	}
	return nil
}

func userID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// scrubValues replaces every occurrence of a secret value in the JSON text. A secret short enough to be
// an ordinary word, or holding JSON's quote or escape characters, is left to the field-name rule.
func scrubValues(raw string, secrets []string) string {
	for _, s := range secrets {
		if len(s) < 8 || strings.ContainsAny(s, "\"\\") {
			continue
		}
		raw = strings.ReplaceAll(raw, s, Redacted)
	}
	return raw
}

// RecordAfter records a change that lives only at WeChat (a follower group created or renamed there, with
// nothing stored here), once WeChat made it: its own short transaction, not cancelled with the request
// (WeChat has changed already). Every change that stores something records with Record in its
// transaction instead.
func RecordAfter(ctx context.Context, db *gorm.DB, e Entry) error {
	return db.WithContext(context.WithoutCancel(ctx)).Transaction(func(tx *gorm.DB) error {
		return Record(ctx, tx, e)
	})
}

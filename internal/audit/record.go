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
	if e.Action == "" {
		return errors.New("audit: an entry needs its action")
	}
	acct, _ := domain.AccountFrom(ctx)
	if e.AccountID == 0 && acct != nil {
		e.AccountID = acct.ID
	}
	if e.AccountID == 0 {
		return fmt.Errorf("audit: %s: no account", e.Action)
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
		return fmt.Errorf("audit: %s: changes: %w", e.Action, err)
	}
	secrets := e.Secrets
	if acct != nil {
		secrets = append(secrets, acct.Secret, acct.Token, acct.EncodingAESKey, acct.MsdkKey)
	}
	r.Changes = scrubValues(string(raw), secrets)
	if err := tx.WithContext(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
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

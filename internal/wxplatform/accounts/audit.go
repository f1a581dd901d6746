package accounts

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/audit"
)

// inTx runs fn with a store on one transaction: a change and its audit entry commit together.
func (s *store) inTx(ctx context.Context, fn func(st *store, tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&store{db: tx, box: s.box}, tx)
	})
}

// auditView is what the audit log compares of an account. The credentials are there only so that a
// changed one shows as changed: audit.Diff redacts them by name (secret, token, encodingAESKey,
// msdkKey), never writing a value.
func auditView(a Account) map[string]any {
	return map[string]any{"name": a.Name, "mode": a.Mode, "status": a.Status, "jsDomains": a.JSDomains,
		"secret": a.Secret, "token": a.Token, "encodingAESKey": a.EncodingAESKey, "msdkKey": a.MsdkKey}
}

// recordAccount records a change of the account itself (target account:appid) in tx. secrets are
// values that must not appear in the entry whatever field carries them.
func recordAccount(ctx context.Context, tx *gorm.DB, action string, a *Account, ch audit.Changes, secrets ...string) error {
	return audit.Record(ctx, tx, audit.Entry{AccountID: a.ID, AppID: a.AppID, Action: action,
		Target: audit.Target("account", a.AppID), Changes: ch, Secrets: append(secrets, a.Secret, a.Token, a.EncodingAESKey, a.MsdkKey)})
}

// recordComponent records a component authorization event (contract §15) in its transaction: by the
// operator who came back from WeChat's authorization page, or by nobody (user NULL) for WeChat's push.
// The refresh token is never compared or written.
func recordComponent(ctx context.Context, tx *gorm.DB, action string, accountID int64, in AuthorizedInput, before *accountRow, after any) error {
	now := map[string]any{"name": nil, "mode": ModeComponent, "status": StatusActive, "funcscope": in.FuncScope}
	switch v := after.(type) {
	case *accountRow:
		now["name"] = v.Name
	case map[string]any:
		now["name"] = v["name"]
	}
	var was any
	if before != nil {
		was = map[string]any{"name": before.Name, "mode": before.Mode, "status": before.Status, "funcscope": before.FuncScope}
	}
	return audit.Record(ctx, tx, audit.Entry{AccountID: accountID, AppID: in.AppID, Action: action,
		Target: audit.Target("account", in.AppID), Changes: audit.Diff(was, now), Secrets: []string{in.RefreshToken}})
}

// revoke marks a component account revoked with its audit entry (componentUnauthorized, by nobody: WeChat
// withdrew it, or refused its refresh token); revoked is false when there was nothing to revoke.
func (s *store) revoke(ctx context.Context, appid string) (revoked bool, err error) {
	err = s.inTx(ctx, func(_ *store, tx *gorm.DB) error {
		var r accountRow
		q := tx.Where("appid = ? AND mode = ? AND status <> ?", appid, ModeComponent, StatusRevoked).
			Select("id", "status").Limit(1).Find(&r)
		if q.Error != nil || q.RowsAffected == 0 {
			return q.Error
		}
		now := time.Now()
		if err := tx.Model(&accountRow{}).Where("id = ?", r.ID).
			Updates(map[string]any{"status": StatusRevoked, "revoked_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		revoked = true
		return audit.Record(ctx, tx, audit.Entry{AccountID: r.ID, AppID: appid, Action: "componentUnauthorized",
			Target: audit.Target("account", appid), Changes: audit.Set("status", r.Status, StatusRevoked), System: true})
	})
	return revoked, err
}

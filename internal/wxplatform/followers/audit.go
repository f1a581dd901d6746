package followers

import (
	"context"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// maxAuditedFollowers is how many followers of one move the audit entry names (with the count of all).
const maxAuditedFollowers = 50

// inTx runs fn with a store on one transaction: a change and its audit entry commit together.
func (s store) inTx(ctx context.Context, fn func(st store, tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(store{db: tx}, tx)
	})
}

func recordFollowers(ctx context.Context, tx *gorm.DB, a *accounts.Account, action, target string, ch audit.Changes) error {
	return audit.Record(ctx, tx, audit.Entry{AccountID: a.ID, AppID: a.AppID, Action: action, Target: target, Changes: ch})
}

// recordGroup records a group created or renamed: it lives at WeChat only, so the entry is written once
// WeChat made the change (audit.RecordAfter).
func (s *Service) recordGroup(ctx context.Context, a *accounts.Account, action string, id int, before, after string) error {
	ch := audit.Set("name", before, after)
	if before == "" {
		ch = audit.Created(map[string]any{"name": after})
	}
	return audit.RecordAfter(ctx, s.db, audit.Entry{AccountID: a.ID, AppID: a.AppID, Action: action,
		Target: audit.Target("group", id), Changes: ch})
}

// recordMove records moveUserToGroup (a group, or the blacklist: group 1): each follower's groups before
// and after, for the first maxAuditedFollowers of them, and how many moved.
func recordMove(ctx context.Context, tx *gorm.DB, a *accounts.Account, groupID int, before map[string][]int, after []tagState) error {
	was, now := map[string]any{}, map[string]any{}
	for i, st := range after {
		if i == maxAuditedFollowers {
			break
		}
		was[st.OpenID] = before[st.OpenID]
		now[st.OpenID] = map[string]any{"tags": st.Tags, "blacklisted": st.Blacklisted}
	}
	return recordFollowers(ctx, tx, a, "moveUserToGroup", audit.Target("group", groupID), audit.Changes{
		"followers": {Before: was, After: now},
		"count":     {After: len(after)},
	})
}

// setRemarkRecorded stores a remark set through the console with its audit entry (updateRemark).
func (s store) setRemarkRecorded(ctx context.Context, a *accounts.Account, openid, remark string) error {
	return s.inTx(ctx, func(st store, tx *gorm.DB) error {
		var old []string
		if err := tx.Raw(`SELECT remark FROM wx_followers WHERE account_id = ? AND openid = ? FOR UPDATE`, a.ID, openid).
			Scan(&old).Error; err != nil {
			return err
		}
		if err := st.setRemark(ctx, a.ID, openid, remark); err != nil {
			return err
		}
		before := ""
		if len(old) > 0 {
			before = old[0]
		}
		return recordFollowers(ctx, tx, a, "updateRemark", audit.Target("follower", openid), audit.Set("remark", before, remark))
	})
}

package reply

import (
	"context"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/audit"
)

// recordRule records a keyword rule's change in the audit log, in the change's transaction: before nil
// is a rule added, after nil one deleted. The fields are the API's (RuleView).
func recordRule(ctx context.Context, tx *gorm.DB, action string, before, after *Rule) error {
	var b, a any
	id := int64(0)
	if before != nil {
		b, id = before.View(), before.ID
	}
	if after != nil {
		a, id = after.View(), after.ID
	}
	return audit.Record(ctx, tx, audit.Entry{AccountID: accountOf(before, after), Action: action,
		Target: audit.Target("rule", id), Changes: audit.Diff(b, a)})
}

// recordSpecial records a change of the subscribe or default reply (setSubscribeReply, setDefaultReply).
func recordSpecial(ctx context.Context, tx *gorm.DB, kind Kind, before, after *Rule) error {
	action := "setDefaultReply"
	if kind == KindSubscribe {
		action = "setSubscribeReply"
	}
	var b, a any
	id := int64(0)
	if before != nil {
		b, id = before.SpecialView(), before.ID
	}
	if after != nil {
		a, id = after.SpecialView(), after.ID
	}
	return audit.Record(ctx, tx, audit.Entry{AccountID: accountOf(before, after), Action: action,
		Target: audit.Target("rule", id), Changes: audit.Diff(b, a)})
}

func accountOf(rs ...*Rule) int64 {
	for _, r := range rs {
		if r != nil {
			return r.AccountID
		}
	}
	return 0
}

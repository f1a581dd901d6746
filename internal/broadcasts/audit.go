package broadcasts

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/audit"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// maxAuditedOpenIDs is how many recipients of an openid list the audit entry names (with their number).
const maxAuditedOpenIDs = 20

// recordCreate records massSend or sendTemplate (a broadcast created, queued or waiting for approval) in
// the transaction that stores it.
func recordCreate(ctx context.Context, tx *gorm.DB, a *domain.Account, id int64, kind, msgType, state string, t Target) error {
	action := "massSend"
	if kind == KindTemplate {
		action = "sendTemplate"
	}
	target := map[string]any{"all": t.All}
	if t.TagID != nil {
		target["tagId"] = *t.TagID
	}
	if n := len(t.OpenIDs); n > 0 {
		target["openids"] = t.OpenIDs[:min(n, maxAuditedOpenIDs)]
		target["count"] = n
	}
	return audit.Record(ctx, tx, audit.Entry{AccountID: a.ID, AppID: a.AppID, Action: action, Target: audit.Target("broadcast", id),
		Changes: audit.Created(map[string]any{"kind": kind, "msgType": msgType, "state": state, "target": target})})
}

// recordState records a change of a broadcast's state or of the account's broadcast settings.
func recordState(ctx context.Context, tx *gorm.DB, accountID int64, action, target string, ch audit.Changes) error {
	return audit.Record(ctx, tx, audit.Entry{AccountID: accountID, Action: action, Target: target, Changes: ch})
}

// recordTemplateSync records syncTemplates in its transaction, before the stored templates are replaced
// by WeChat's list: the template ids before and after.
func recordTemplateSync(ctx context.Context, tx *gorm.DB, a *domain.Account, list []wxclient.Template) error {
	var before []string
	if err := tx.Raw(`SELECT template_id FROM broadcast_templates WHERE account_id = ? ORDER BY template_id`, a.ID).
		Scan(&before).Error; err != nil {
		return err
	}
	after := make([]string, 0, len(list))
	for _, t := range list {
		after = append(after, t.TemplateID)
	}
	slices.Sort(after)
	if before == nil {
		before = []string{}
	}
	return audit.Record(ctx, tx, audit.Entry{AccountID: a.ID, AppID: a.AppID, Action: "syncTemplates", Target: "templates",
		Changes: audit.Diff(map[string]any{"templateIds": before}, map[string]any{"templateIds": after})})
}

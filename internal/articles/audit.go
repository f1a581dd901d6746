package articles

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/audit"
)

// draftActions names the audit action of a draft's revision (revisionRow.Action).
var draftActions = map[string]string{"create": "saveDraft", "update": "saveDraft", "import": "syncDrafts", "delete": "deleteDraft"}

// recordDraft records a draft saved, imported or deleted in the audit log, in its transaction: the
// articles before and after (texts cut to audit.MaxText). before with no id is no draft.
func recordDraft(ctx context.Context, tx *gorm.DB, action string, before, after *draftRow) error {
	var b, a any
	target := ""
	if before != nil && before.ID != 0 {
		b, target = draftFields(before), audit.Target("draft", before.MediaID)
	}
	if after != nil {
		a, target = draftFields(after), audit.Target("draft", after.MediaID)
	}
	name := draftActions[action]
	if name == "" {
		name = "saveDraft"
	}
	accountID := int64(0)
	if after != nil {
		accountID = after.AccountID
	} else if before != nil {
		accountID = before.AccountID
	}
	return audit.Record(ctx, tx, audit.Entry{AccountID: accountID, Action: name, Target: target, Changes: audit.Diff(b, a)})
}

func draftFields(r *draftRow) map[string]any {
	var arts any
	_ = json.Unmarshal(r.Articles, &arts)
	return map[string]any{"mediaId": r.MediaID, "articles": arts}
}

// recordPublish records publishDraft once WeChat accepted the draft, in the transaction storing the job.
func recordPublish(ctx context.Context, tx *gorm.DB, accountID int64, mediaID, publishID, title string) error {
	return audit.Record(ctx, tx, audit.Entry{AccountID: accountID, Action: "publishDraft", Target: audit.Target("draft", mediaID),
		Changes: audit.Created(map[string]any{"publishId": publishID, "title": title})})
}

// recordDeletePublished records deletePublished once WeChat deleted the article(s).
func recordDeletePublished(ctx context.Context, tx *gorm.DB, accountID int64, articleID string, index int) error {
	return audit.Record(ctx, tx, audit.Entry{AccountID: accountID, Action: "deletePublished", Target: audit.Target("article", articleID),
		Changes: audit.Deleted(map[string]any{"articleId": articleID, "index": index})})
}

package materials

import (
	"context"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/audit"
)

// inTx runs fn with a store on one transaction: a change and its audit entry commit together.
func (s *store) inTx(ctx context.Context, fn func(st *store, tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&store{db: tx}, tx)
	})
}

// uploadAction is the API name of an upload of kind k.
func uploadAction(k Kind) string {
	if k == Video {
		return "uploadVideoMaterial"
	}
	return "uploadMaterial"
}

// recordMaterial records an upload (removed nil) or a removal in the audit log, in its transaction. The
// target is the material's media_id (the logo, which WeChat never sees, is "logo").
func recordMaterial(ctx context.Context, tx *gorm.DB, action string, r *materialRow, removed *Removed) error {
	target := audit.Target("material", r.MediaID.String)
	if !r.MediaID.Valid {
		target = "logo"
	}
	if removed != nil {
		return audit.Record(ctx, tx, audit.Entry{AccountID: r.AccountID, Action: action, Target: target,
			Changes: audit.Deleted(map[string]any{"mediaId": r.MediaID.String, "atWeChat": removed.AtWeChat})})
	}
	return audit.Record(ctx, tx, audit.Entry{AccountID: r.AccountID, Action: action, Target: target,
		Changes: audit.Created(map[string]any{"kind": r.Kind, "filename": r.Filename, "title": r.Title,
			"size": r.Size, "mediaId": r.MediaID.String})})
}

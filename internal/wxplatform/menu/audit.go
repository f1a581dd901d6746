package menu

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/audit"
)

// recordMenu records a change of the account's menu in the audit log, in the change's transaction:
// before and after are the stored menu/create JSON (nil: no menu). The target is the account's menu.
func recordMenu(ctx context.Context, tx *gorm.DB, action string, accountID int64, before, after *string) error {
	return audit.Record(ctx, tx, audit.Entry{AccountID: accountID, Action: action, Target: "menu",
		Changes: audit.Diff(menuJSON(before), menuJSON(after))})
}

func menuJSON(text *string) any {
	if text == nil {
		return nil
	}
	var v map[string]any
	if json.Unmarshal([]byte(*text), &v) != nil {
		return nil
	}
	return v
}

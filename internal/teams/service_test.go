package teams_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db/dbtest"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/mail"
	"github.com/socialinzen/socialinzen/internal/teams"
)

// TestChangesAreAtomicWithOnChange: OnChange runs inside the change's transaction: its failure leaves no
// change, and it sees each change with what it was and became (the audit log's seam).
func TestChangesAreAtomicWithOnChange(t *testing.T) {
	gdb := dbtest.New(t)
	ctx := context.Background()
	var ids [3]int64
	for i, name := range []string{"own", "mem", "other"} {
		require.NoError(t, gdb.Raw(`INSERT INTO users (username, email, password_hash, verified_at) VALUES (?, ?, 'x', now()) RETURNING id`,
			name, name+"@example.com").Scan(&ids[i]).Error)
	}
	var acct int64
	require.NoError(t, gdb.Raw(`INSERT INTO wx_accounts (user_id, appid, name, secret_enc, token_enc, aes_key_enc, msdk_key_enc)
VALUES (?, 'wx0123456789abcdef', 'T', '', '', '', '') RETURNING id`, ids[0]).Scan(&acct).Error)
	require.NoError(t, gdb.Exec(`INSERT INTO account_members (account_id, user_id, role) VALUES (?, ?, 'viewer')`, acct, ids[1]).Error)

	var seen []teams.Change
	fail := errors.New("audit refused")
	failing := false
	svc := teams.NewService(teams.Options{DB: gdb, Mailer: mail.SenderFunc(func(context.Context, mail.Message) error { return nil }),
		OnChange: func(ctx context.Context, tx *gorm.DB, c teams.Change) error {
			if failing {
				return fail
			}
			seen = append(seen, c)
			return nil
		}})

	// The binder is the owner (the trigger of migration 00100).
	role := func(uid int64) domain.Role {
		var r []string
		require.NoError(t, gdb.Raw(`SELECT role FROM account_members WHERE account_id = ? AND user_id = ?`, acct, uid).Scan(&r).Error)
		if len(r) == 0 {
			return ""
		}
		return domain.Role(r[0])
	}
	require.Equal(t, domain.RoleOwner, role(ids[0]))

	failing = true
	require.ErrorIs(t, svc.SetRole(ctx, acct, ids[0], ids[1], "editor"), fail)
	require.Equal(t, domain.RoleViewer, role(ids[1]), "a failed OnChange rolls the change back")
	require.ErrorIs(t, svc.TransferOwnership(ctx, acct, ids[0], ids[1]), fail)
	require.Equal(t, domain.RoleOwner, role(ids[0]))

	failing = false
	require.NoError(t, svc.SetRole(ctx, acct, ids[0], ids[1], "editor"))
	require.NoError(t, svc.TransferOwnership(ctx, acct, ids[0], ids[1]))
	require.Equal(t, domain.RoleAdmin, role(ids[0]))
	require.Equal(t, domain.RoleOwner, role(ids[1]))
	var owner int64
	require.NoError(t, gdb.Raw(`SELECT user_id FROM wx_accounts WHERE id = ?`, acct).Scan(&owner).Error)
	require.Equal(t, ids[1], owner, "wx_accounts.user_id follows the owner")
	require.Len(t, seen, 2)
	require.Equal(t, "setMemberRole", seen[0].Action)
	require.Equal(t, map[string]any{"role": "viewer"}, seen[0].Before)
	require.Equal(t, map[string]any{"role": "editor"}, seen[0].After)
	require.Equal(t, "transferOwnership", seen[1].Action)

	// Two owners are impossible, whatever writes the table.
	err := gdb.Exec(`UPDATE account_members SET role = 'owner' WHERE account_id = ? AND user_id = ?`, acct, ids[0]).Error
	require.Error(t, err)
	// Someone not a member is not found; the owner cannot be removed or leave.
	require.ErrorIs(t, svc.Remove(ctx, acct, ids[1], ids[2]), teams.ErrNotMember)
	require.ErrorIs(t, svc.Remove(ctx, acct, ids[0], ids[1]), teams.ErrOwnerFixed)
	require.ErrorIs(t, svc.Leave(ctx, acct, ids[1]), teams.ErrOwnerCannotLeave)
}

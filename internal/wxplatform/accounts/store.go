package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/secretbox"
)

// accountRow is wx_accounts as stored: credentials sealed.
type accountRow struct {
	ID         int64
	UserID     int64
	AppID      string `gorm:"column:appid"`
	Name       string
	SecretEnc  string
	TokenEnc   string
	AesKeyEnc  string
	MsdkKeyEnc string
	JSDomains  db.StringArray `gorm:"column:js_domains;type:text[]"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Contract §15 (migration 00060).
	Mode            domain.AccountMode
	Status          domain.AccountStatus
	FuncScope       db.Int64Array `gorm:"column:funcscope;type:integer[]"`
	RefreshTokenEnc string
	OriginalID      string
	ServiceType     *int
	VerifyType      *int
	RevokedAt       *time.Time
}

func (accountRow) TableName() string { return "wx_accounts" }

type store struct {
	db  *gorm.DB
	box *secretbox.Box
}

func (s *store) seal(a *Account) (*accountRow, error) {
	r := &accountRow{ID: a.ID, UserID: a.UserID, AppID: a.AppID, Name: a.Name, JSDomains: a.JSDomains,
		Mode: orText(a.Mode, ModeSecret), Status: orText(a.Status, StatusActive), FuncScope: db.Int64Array(toInt64s(a.FuncScope)),
		OriginalID: a.OriginalID, ServiceType: a.ServiceType, VerifyType: a.VerifyType}
	if r.JSDomains == nil {
		r.JSDomains = db.StringArray{}
	}
	var err error
	// Each value is bound to its column and the row's appid: copied elsewhere, it does not open.
	for _, f := range []struct {
		dst *string
		src string
		col string
	}{{&r.SecretEnc, a.Secret, "secret_enc"}, {&r.TokenEnc, a.Token, "token_enc"},
		{&r.AesKeyEnc, a.EncodingAESKey, "aes_key_enc"}, {&r.MsdkKeyEnc, a.MsdkKey, "msdk_key_enc"}} {
		if *f.dst, err = s.box.SealFor(secretbox.Named("wx_accounts", f.col).Bound(a.AppID), f.src); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (s *store) open(r *accountRow) (*Account, error) {
	a := &Account{ID: r.ID, UserID: r.UserID, AppID: r.AppID, Name: r.Name, JSDomains: []string(r.JSDomains), CreatedAt: r.CreatedAt,
		Mode: orText(r.Mode, ModeSecret), Status: orText(r.Status, StatusActive),
		FuncScope: toInts(r.FuncScope), OriginalID: r.OriginalID, ServiceType: r.ServiceType, VerifyType: r.VerifyType}
	var err error
	for _, f := range []struct {
		dst *string
		src string
		col string
	}{{&a.Secret, r.SecretEnc, "secret_enc"}, {&a.Token, r.TokenEnc, "token_enc"},
		{&a.EncodingAESKey, r.AesKeyEnc, "aes_key_enc"}, {&a.MsdkKey, r.MsdkKeyEnc, "msdk_key_enc"}} {
		if *f.dst, err = s.box.OpenFor(secretbox.Named("wx_accounts", f.col).Bound(r.AppID), f.src); err != nil {
			return nil, fmt.Errorf("open credentials of %s: %w", r.AppID, err)
		}
	}
	if a.JSDomains == nil {
		a.JSDomains = []string{}
	}
	return a, nil
}

func (s *store) insert(ctx context.Context, a *Account) error {
	r, err := s.seal(a)
	if err != nil {
		return err
	}
	if err := s.db.WithContext(ctx).Omit("ID", "CreatedAt", "UpdatedAt", "RevokedAt", "RefreshTokenEnc").Create(r).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return ErrAlreadyBound
		}
		return fmt.Errorf("insert account: %w", err)
	}
	a.ID, a.CreatedAt = r.ID, r.CreatedAt
	return nil
}

func (s *store) byAppID(ctx context.Context, appid string) (*Account, error) {
	var r accountRow
	err := s.db.WithContext(ctx).Where("appid = ?", appid).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load account: %w", err)
	}
	return s.open(&r)
}

func (s *store) byUser(ctx context.Context, userID int64) ([]*Account, error) {
	var rows []accountRow
	// Through membership (contract §14): every account the operator is a member of, whatever the role.
	if err := s.db.WithContext(ctx).Where("id IN (SELECT account_id FROM account_members WHERE user_id = ?)", userID).
		Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	out := make([]*Account, 0, len(rows))
	for i := range rows {
		a, err := s.open(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (s *store) update(ctx context.Context, a *Account) error {
	r, err := s.seal(a)
	if err != nil {
		return err
	}
	res := s.db.WithContext(ctx).Model(&accountRow{}).Where("id = ?", a.ID).Updates(map[string]any{
		"name": r.Name, "secret_enc": r.SecretEnc, "token_enc": r.TokenEnc, "aes_key_enc": r.AesKeyEnc,
		"msdk_key_enc": r.MsdkKeyEnc, "js_domains": r.JSDomains, "updated_at": time.Now(),
		"mode": r.Mode, "status": r.Status,
	})
	if res.Error != nil {
		return fmt.Errorf("update account: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *store) delete(ctx context.Context, id int64) error {
	if err := s.db.WithContext(ctx).Where("id = ?", id).Delete(&accountRow{}).Error; err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	return nil
}

// role answers the operator's role on the account; "" when not a member.
func (s *store) role(ctx context.Context, accountID, userID int64) (domain.Role, error) {
	var roles []string
	if err := s.db.WithContext(ctx).Raw(`SELECT role FROM account_members WHERE account_id = ? AND user_id = ?`,
		accountID, userID).Scan(&roles).Error; err != nil {
		return "", fmt.Errorf("load role: %w", err)
	}
	if len(roles) == 0 {
		return "", nil
	}
	return domain.Role(roles[0]), nil
}

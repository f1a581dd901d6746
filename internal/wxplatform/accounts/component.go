package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/secretbox"
)

// ErrRevoked answers every account-scoped call on an account whose administrator withdrew the
// authorization: its data is kept, and authorizing again revives it.
var ErrRevoked = apperr.New(apperr.Forbidden, "authorization revoked: the account's administrator withdrew the authorization of this console; authorize it again (scan to authorize) to use it").WithKey("accounts.err.revoked")

// ErrNoRefreshToken means a component account has no usable authorizer refresh token (never stored, or
// sealed for another appid).
var ErrNoRefreshToken = apperr.New(apperr.Forbidden, "authorization revoked: the account's authorization must be renewed (scan to authorize)").WithKey("accounts.err.renew")

// AccessTokener answers an account's access_token whatever its mode (the WeChat client implements it).
type AccessTokener interface {
	AccessToken(ctx context.Context, appid string) (string, error)
}

// AuthorizedInput is what an authorization tells about an account (api_query_auth and
// api_get_authorizer_info).
type AuthorizedInput struct {
	AppID        string
	Name         string
	OriginalID   string
	ServiceType  *int
	VerifyType   *int
	FuncScope    []int
	RefreshToken string
}

// ComponentCallbackURL is where WeChat sends a component account's messages:
// {BASE_URL}/wxplatform/component/callback/{appid} (configured at WeChat as .../$APPID$).
func (s *Service) ComponentCallbackURL(appid string) string {
	return s.opts.BaseURL + "/wxplatform/component/callback/" + appid
}

// SaveAuthorized binds (or updates) an account authorized through the component, owned by userID. The
// same authorization arriving twice (the authorized push and the return URL) leaves one account. An
// account another operator owns is ErrAlreadyBound and nothing changes. userID 0 only updates an
// account that is already bound (an updateauthorized push): it answers ErrNotFound otherwise.
// A revoked account is revived.
func (s *Service) SaveAuthorized(ctx context.Context, userID int64, in AuthorizedInput) (*Account, error) {
	if !appIDPattern.MatchString(in.AppID) {
		return nil, apperr.Invalidf("authorizer_appid", "is not an appid").WithKey("accounts.err.not_appid", "authorizer_appid")
	}
	if in.RefreshToken == "" {
		return nil, apperr.Missing("authorizer_refresh_token")
	}
	refreshEnc, err := s.sealRefresh(in.AppID, in.RefreshToken)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = in.AppID
	}
	if len([]rune(name)) > 64 {
		name = string([]rune(name)[:64])
	}
	scope := db.Int64Array(toInt64s(in.FuncScope))
	emptyEnc, err := s.store.box.Seal("")
	if err != nil {
		return nil, err
	}
	// The same authorization often arrives twice at once (the return URL and the push): when both find no
	// row and one insert loses, it runs again and finds the row the other one wrote.
	for attempt := 0; ; attempt++ {
		err = s.saveAuthorizedTx(ctx, userID, in, name, scope, refreshEnc, emptyEnc)
		if !errors.Is(err, errRaced) || attempt > 0 {
			break
		}
	}
	if errors.Is(err, errRaced) {
		err = ErrAlreadyBound
	}
	if err != nil {
		return nil, err
	}
	s.invalidate(in.AppID)
	a, err := s.store.byAppID(ctx, in.AppID)
	if err != nil {
		return nil, err
	}
	s.opts.Logger.Info("official account authorized through the component", "appid", a.AppID, "user_id", a.UserID)
	return a, nil
}

// errRaced: another transaction inserted the same appid first.
var errRaced = errors.New("accounts: concurrent insert")

func (s *Service) saveAuthorizedTx(ctx context.Context, userID int64, in AuthorizedInput, name string, scope db.Int64Array, refreshEnc, emptyEnc string) error {
	return s.store.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r accountRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("appid = ?", in.AppID).Take(&r).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			if userID == 0 {
				return ErrNotFound
			}
			msdk, err := s.store.box.SealFor(secretbox.Named("wx_accounts", "msdk_key_enc").Bound(in.AppID), newMsdkKey())
			if err != nil {
				return err
			}
			row := &accountRow{UserID: userID, AppID: in.AppID, Name: name, SecretEnc: emptyEnc, TokenEnc: emptyEnc,
				AesKeyEnc: emptyEnc, MsdkKeyEnc: msdk, Mode: ModeComponent, Status: StatusActive, FuncScope: scope,
				RefreshTokenEnc: refreshEnc, OriginalID: in.OriginalID, ServiceType: in.ServiceType, VerifyType: in.VerifyType}
			row.JSDomains = []string{}
			if err := tx.Omit("ID", "CreatedAt", "UpdatedAt", "RevokedAt").Create(row).Error; err != nil {
				if db.IsUniqueViolation(err) {
					return errRaced
				}
				return fmt.Errorf("insert authorized account: %w", err)
			}
			return recordComponent(ctx, tx, "componentAuthorized", row.ID, in, nil, row)
		case err != nil:
			return fmt.Errorf("load account: %w", err)
		}
		if userID != 0 && r.UserID != userID {
			return ErrAlreadyBound
		}
		upd := map[string]any{"name": name, "mode": ModeComponent, "status": StatusActive, "funcscope": scope,
			"refresh_token_enc": refreshEnc, "revoked_at": nil, "updated_at": time.Now(),
			"secret_enc": emptyEnc, "token_enc": emptyEnc, "aes_key_enc": emptyEnc}
		if in.OriginalID != "" {
			upd["original_id"] = in.OriginalID
		}
		if in.ServiceType != nil {
			upd["service_type"] = *in.ServiceType
		}
		if in.VerifyType != nil {
			upd["verify_type"] = *in.VerifyType
		}
		if err := tx.Model(&accountRow{}).Where("id = ?", r.ID).Updates(upd).Error; err != nil {
			return fmt.Errorf("update authorized account: %w", err)
		}
		return recordComponent(ctx, tx, "componentUpdateAuthorized", r.ID, in, &r, upd)
	})
}

// MarkRevoked marks a component account revoked without touching its stored tokens: for callers that
// hold the token row's lock (the token refresh that WeChat refused), which then forget the tokens once
// the lock is released.
func (s *Service) MarkRevoked(ctx context.Context, appid string) error {
	_, err := s.store.revoke(ctx, appid)
	if err != nil {
		return fmt.Errorf("revoke account: %w", err)
	}
	s.invalidate(appid)
	return nil
}

// Revoke marks a component account revoked (the unauthorized push, or WeChat refusing its refresh
// token): its data stays, its calls answer ErrRevoked, its cached tokens go. Unknown appids are ignored.
func (s *Service) Revoke(ctx context.Context, appid string) error {
	revoked, err := s.store.revoke(ctx, appid)
	if err != nil {
		return fmt.Errorf("revoke account: %w", err)
	}
	s.invalidate(appid)
	if revoked {
		if s.opts.Forget != nil {
			if err := s.opts.Forget.Forget(ctx, appid); err != nil {
				s.opts.Logger.Warn("forget tokens", "appid", appid, "err", err)
			}
		}
		s.opts.Logger.Info("official account authorization revoked", "appid", appid)
	}
	return nil
}

// AuthorizerRefreshToken answers the authorizer refresh token of an active component account.
func (s *Service) AuthorizerRefreshToken(ctx context.Context, appid string) (string, error) {
	var r accountRow
	err := s.store.db.WithContext(ctx).Select("appid", "mode", "status", "refresh_token_enc").
		Where("appid = ?", appid).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("load refresh token: %w", err)
	}
	if r.Mode != ModeComponent {
		return "", ErrNotFound
	}
	if r.Status == StatusRevoked {
		return "", ErrRevoked
	}
	return s.openRefresh(appid, r.RefreshTokenEnc)
}

// SetAuthorizerRefreshToken keeps a refresh token WeChat handed out anew (api_authorizer_token may
// rotate it).
func (s *Service) SetAuthorizerRefreshToken(ctx context.Context, appid, token string) error {
	enc, err := s.sealRefresh(appid, token)
	if err != nil {
		return err
	}
	err = s.store.db.WithContext(ctx).Model(&accountRow{}).Where("appid = ? AND mode = ?", appid, ModeComponent).
		Updates(map[string]any{"refresh_token_enc": enc, "updated_at": time.Now()}).Error
	if err != nil {
		return fmt.Errorf("save refresh token: %w", err)
	}
	return nil
}

// IsComponent reports whether appid is bound through the component (revoked or not).
func (s *Service) IsComponent(ctx context.Context, appid string) (bool, error) {
	a, err := s.ByAppID(ctx, appid)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return a.Mode == ModeComponent, nil
}

// sealRefresh seals a refresh token bound to its row (the appid as AES-GCM's additional data, and in the
// sealed text as before), so a value copied onto another account's row does not open there.
func (s *Service) sealRefresh(appid, token string) (string, error) {
	return s.store.box.SealFor(secretbox.Named("wx_accounts", "refresh_token_enc").Bound(appid), appid+"\n"+token)
}

func (s *Service) openRefresh(appid, sealed string) (string, error) {
	if sealed == "" {
		return "", ErrNoRefreshToken
	}
	v, err := s.store.box.OpenFor(secretbox.Named("wx_accounts", "refresh_token_enc").Bound(appid), sealed)
	if err != nil {
		return "", fmt.Errorf("open refresh token of %s: %w", appid, err)
	}
	bound, tok, ok := strings.Cut(v, "\n")
	if !ok || bound != appid || tok == "" {
		s.opts.Logger.Warn("stored refresh token belongs to another appid; refusing it", "appid", appid)
		return "", ErrNoRefreshToken
	}
	return tok, nil
}

func orText[T ~string](s, def T) T {
	if s == "" {
		return def
	}
	return s
}

func toInt64s(in []int) []int64 {
	out := make([]int64, len(in))
	for i, v := range in {
		out[i] = int64(v)
	}
	return out
}

func toInts(in []int64) []int {
	out := make([]int, len(in))
	for i, v := range in {
		out[i] = int(v)
	}
	return out
}

package teams

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/mail"
	"github.com/socialinzen/socialinzen/internal/user"
)

// InvitationLifetime is how long an invitation link works.
const InvitationLifetime = 7 * 24 * time.Hour

// mailTimeout bounds sending one invitation.
const mailTimeout = 20 * time.Second

// Errors of the package.
var (
	ErrNotMember        = apperr.New(apperr.NotFound, "userId: is not a member of this official account").WithKey("err.team.not_member")
	ErrAlreadyMember    = &apperr.Error{Kind: apperr.Conflict, Field: "email", Msg: "email: is already a member of this official account", Key: "err.team.already_member"}
	ErrOwnerFixed       = apperr.New(apperr.Forbidden, "the owner cannot be removed or change role: ownership moves only by transferOwnership").WithKey("err.team.owner_fixed")
	ErrOwnerCannotLeave = apperr.New(apperr.Forbidden, "the owner cannot leave the official account: transfer the ownership first").WithKey("err.team.owner_cannot_leave")
	ErrInviteUnknown    = apperr.New(apperr.NotFound, "this invitation link is not valid").WithKey("err.team.invite_unknown")
	ErrInviteExpired    = apperr.New(apperr.Invalid, "this invitation has expired: ask for a new one").WithKey("err.team.invite_expired")
	ErrInviteUsed       = apperr.New(apperr.Invalid, "this invitation has already been used").WithKey("err.team.invite_used")
	ErrInviteCancelled  = apperr.New(apperr.Invalid, "this invitation was cancelled").WithKey("err.team.invite_cancelled")
	ErrInviteNotFound   = apperr.New(apperr.NotFound, "id: no such pending invitation").WithKey("err.team.invitation_not_found")
	ErrInvitePending    = &apperr.Error{Kind: apperr.Conflict, Field: "email", Msg: "email: an invitation to this address is being sent", Key: "err.team.invite_pending"}
	ErrSelf             = apperr.New(apperr.Invalid, "userId: you cannot change your own membership this way").WithKey("err.team.self")
)

// ErrInviteOtherEmail: the invitation is for another address than the operator's.
func ErrInviteOtherEmail(email string) error {
	return apperr.New(apperr.Forbidden, "this invitation is for "+email+": log in or register with that address").
		WithKey("err.team.invite_other_email", email)
}

// Change is one change of an account's team, made inside the transaction that makes it; OnChange sees it
// there (the audit log's place: an entry written with the change or not at all).
type Change struct {
	AccountID int64
	ActorID   int64
	Action    string // the API name: inviteMember, setMemberRole, removeMember, ...
	Target    string // "user:12", "invitation:3"
	Before    map[string]any
	After     map[string]any
}

// Options wires the service.
type Options struct {
	DB      *gorm.DB
	Mailer  mail.Sender
	BaseURL string
	Logger  *slog.Logger
	Now     func() time.Time
	// OnChange, when set, runs inside the transaction of every change (an error rolls it back).
	OnChange func(ctx context.Context, tx *gorm.DB, c Change) error
}

// Service manages members and invitations.
type Service struct {
	db   *gorm.DB
	opts Options
}

// NewService builds the service.
func NewService(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	return &Service{db: opts.DB, opts: opts}
}

// Member is one member of an account.
type Member struct {
	UserID   int64       `json:"userId"`
	Username string      `json:"username"`
	Email    string      `json:"email"`
	Role     domain.Role `json:"role"`
	JoinedAt time.Time   `json:"joinedAt"`
}

// Invitation is a pending invitation.
type Invitation struct {
	ID        int64       `json:"id"`
	Email     string      `json:"email"`
	Role      domain.Role `json:"role"`
	ExpiresAt time.Time   `json:"expiresAt"`
}

// Team is what listMembers answers.
type Team struct {
	Members     []Member     `json:"members"`
	Invitations []Invitation `json:"invitations"`
}

// change runs fn in one transaction and hands its Change to OnChange in the same transaction.
func (s *Service) change(ctx context.Context, fn func(tx *gorm.DB) (*Change, error)) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := fn(tx)
		if err != nil {
			return err
		}
		if c != nil && s.opts.OnChange != nil {
			return s.opts.OnChange(ctx, tx, *c)
		}
		return nil
	})
}

// List answers the account's members (owner first, then by role and name) and pending invitations
// (expired ones included until cancelled, so an admin sees why someone never joined).
func (s *Service) List(ctx context.Context, accountID int64) (*Team, error) {
	t := &Team{Members: []Member{}, Invitations: []Invitation{}}
	err := s.db.WithContext(ctx).Raw(`
SELECT m.user_id, u.username, u.email, m.role, m.joined_at
FROM account_members m JOIN users u ON u.id = m.user_id
WHERE m.account_id = ?
ORDER BY array_position(ARRAY['owner','admin','editor','agent','viewer'], m.role), lower(u.username)`, accountID).
		Scan(&t.Members).Error
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	err = s.db.WithContext(ctx).Raw(`
SELECT id, email, role, expires_at FROM account_invitations
WHERE account_id = ? AND accepted_at IS NULL AND cancelled_at IS NULL ORDER BY id`, accountID).Scan(&t.Invitations).Error
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return t, nil
}

func parseRole(field, v string) (domain.Role, error) {
	r := domain.Role(strings.TrimSpace(v))
	switch {
	case r == "":
		return "", apperr.Missing(field)
	case r == domain.RoleOwner:
		return "", apperr.Invalidf(field, "cannot be owner: ownership moves only by transferOwnership").WithKey("err.team.owner_by_transfer")
	case !r.Valid():
		return "", apperr.Invalidf(field, "must be one of admin, editor, agent, viewer").WithKey("err.team.role_invalid")
	}
	return r, nil
}

// Invite mails an invitation to join the account with role. An address already a member → 40900; a
// pending invitation to the same address is replaced (the new link works, the old one no longer).
func (s *Service) Invite(ctx context.Context, accountID, actorID int64, accountName, email, role string) (*Invitation, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, apperr.Missing("email")
	}
	if err := user.ValidateEmail(email); err != nil {
		return nil, err
	}
	r, err := parseRole("role", role)
	if err != nil {
		return nil, err
	}
	plain, hash := newToken()
	now := s.opts.Now().UTC()
	inv := &Invitation{Email: email, Role: r, ExpiresAt: now.Add(InvitationLifetime)}
	err = s.change(ctx, func(tx *gorm.DB) (*Change, error) {
		var member bool
		if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM account_members m JOIN users u ON u.id = m.user_id
WHERE m.account_id = ? AND lower(u.email) = lower(?))`, accountID, email).Scan(&member).Error; err != nil {
			return nil, err
		}
		if member {
			return nil, ErrAlreadyMember
		}
		if err := tx.Exec(`UPDATE account_invitations SET cancelled_at = ? WHERE account_id = ? AND lower(email) = lower(?)
AND accepted_at IS NULL AND cancelled_at IS NULL`, now, accountID, email).Error; err != nil {
			return nil, err
		}
		if err := tx.Raw(`INSERT INTO account_invitations (account_id, email, role, token_hash, invited_by, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, accountID, email, string(r), hash, actorID, now, inv.ExpiresAt).Scan(&inv.ID).Error; err != nil {
			if db.IsUniqueViolation(err) { // the same address invited twice at once
				return nil, ErrInvitePending
			}
			return nil, fmt.Errorf("insert invitation: %w", err)
		}
		return &Change{AccountID: accountID, ActorID: actorID, Action: "inviteMember", Target: fmt.Sprintf("invitation:%d", inv.ID),
			After: map[string]any{"email": email, "role": string(r)}}, nil
	})
	if err != nil {
		return nil, err
	}
	msg := inviteMail(email, accountName, string(r), s.opts.BaseURL+"/invite?token="+url.QueryEscape(plain))
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailTimeout)
	defer cancel()
	if err := s.opts.Mailer.Send(mctx, msg); err != nil {
		s.opts.Logger.ErrorContext(ctx, "invitation mail not sent", "invitation_id", inv.ID, "err", err)
		return nil, apperr.Wrap(apperr.Internal, "the invitation mail could not be sent: try again", err).WithKey("err.team.mail_failed")
	}
	return inv, nil
}

// CancelInvitation withdraws a pending invitation: its link stops working.
func (s *Service) CancelInvitation(ctx context.Context, accountID, actorID, id int64) error {
	return s.change(ctx, func(tx *gorm.DB) (*Change, error) {
		var email string
		res := tx.Raw(`UPDATE account_invitations SET cancelled_at = now() WHERE id = ? AND account_id = ?
AND accepted_at IS NULL AND cancelled_at IS NULL RETURNING email`, id, accountID).Scan(&email)
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected == 0 {
			return nil, ErrInviteNotFound
		}
		return &Change{AccountID: accountID, ActorID: actorID, Action: "cancelInvitation", Target: fmt.Sprintf("invitation:%d", id),
			Before: map[string]any{"email": email}}, nil
	})
}

// InvitationInfo is what the /invite page shows before the invitee accepts.
type InvitationInfo struct {
	AccountID   int64
	AccountName string
	AppID       string
	Email       string
	Role        domain.Role
	ExpiresAt   time.Time
}

type invitationRow struct {
	ID          int64
	AccountID   int64
	AccountName string
	AppID       string `gorm:"column:appid"`
	Email       string
	Role        string
	ExpiresAt   time.Time
	AcceptedAt  *time.Time
	CancelledAt *time.Time
}

func (s *Service) loadInvitation(tx *gorm.DB, token string, lock bool) (*invitationRow, error) {
	if token == "" || len(token) > 128 {
		return nil, ErrInviteUnknown
	}
	q := `SELECT i.id, i.account_id, a.name AS account_name, a.appid, i.email, i.role, i.expires_at, i.accepted_at, i.cancelled_at
FROM account_invitations i JOIN wx_accounts a ON a.id = i.account_id WHERE i.token_hash = ?`
	if lock {
		q += ` FOR UPDATE OF i`
	}
	var rows []invitationRow
	if err := tx.Raw(q, hashToken(token)).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("load invitation: %w", err)
	}
	if len(rows) == 0 {
		return nil, ErrInviteUnknown
	}
	r := &rows[0]
	switch {
	case r.AcceptedAt != nil:
		return r, ErrInviteUsed
	case r.CancelledAt != nil:
		return r, ErrInviteCancelled
	case !s.opts.Now().Before(r.ExpiresAt):
		return r, ErrInviteExpired
	}
	return r, nil
}

// Lookup answers the invitation behind a link, or why it no longer works.
func (s *Service) Lookup(ctx context.Context, token string) (*InvitationInfo, error) {
	r, err := s.loadInvitation(s.db.WithContext(ctx), token, false)
	if err != nil {
		return nil, err
	}
	return &InvitationInfo{AccountID: r.AccountID, AccountName: r.AccountName, AppID: r.AppID, Email: r.Email,
		Role: domain.Role(r.Role), ExpiresAt: r.ExpiresAt}, nil
}

// Accept makes the operator a member with the invitation's role. The operator's address must be the
// invited one; the link then stops working.
func (s *Service) Accept(ctx context.Context, p domain.Principal, token string) (*InvitationInfo, error) {
	var info *InvitationInfo
	err := s.change(ctx, func(tx *gorm.DB) (*Change, error) {
		r, err := s.loadInvitation(tx, token, true)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(strings.TrimSpace(p.Email), r.Email) {
			return nil, ErrInviteOtherEmail(r.Email)
		}
		res := tx.Exec(`INSERT INTO account_members (account_id, user_id, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			r.AccountID, p.UserID, r.Role)
		if res.Error != nil {
			return nil, fmt.Errorf("add member: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil, ErrAlreadyMember
		}
		if err := tx.Exec(`UPDATE account_invitations SET accepted_at = now(), accepted_by = ? WHERE id = ?`, p.UserID, r.ID).Error; err != nil {
			return nil, err
		}
		info = &InvitationInfo{AccountID: r.AccountID, AccountName: r.AccountName, AppID: r.AppID, Email: r.Email, Role: domain.Role(r.Role), ExpiresAt: r.ExpiresAt}
		return &Change{AccountID: r.AccountID, ActorID: p.UserID, Action: "acceptInvitation", Target: fmt.Sprintf("user:%d", p.UserID),
			After: map[string]any{"role": r.Role, "invitation": r.ID}}, nil
	})
	return info, err
}

// roleOf answers a member's role inside tx, locking the row; ErrNotMember when absent.
func roleOf(tx *gorm.DB, accountID, userID int64) (domain.Role, error) {
	var roles []string
	if err := tx.Raw(`SELECT role FROM account_members WHERE account_id = ? AND user_id = ? FOR UPDATE`, accountID, userID).
		Scan(&roles).Error; err != nil {
		return "", err
	}
	if len(roles) == 0 {
		return "", ErrNotMember
	}
	return domain.Role(roles[0]), nil
}

// SetRole changes a member's role. Not the owner's (ownership moves by TransferOwnership), not one's own,
// and never to owner.
func (s *Service) SetRole(ctx context.Context, accountID, actorID, userID int64, role string) error {
	r, err := parseRole("role", role)
	if err != nil {
		return err
	}
	if userID == actorID {
		return ErrSelf
	}
	return s.change(ctx, func(tx *gorm.DB) (*Change, error) {
		old, err := roleOf(tx, accountID, userID)
		if err != nil {
			return nil, err
		}
		if old == domain.RoleOwner {
			return nil, ErrOwnerFixed
		}
		if old == r {
			return nil, nil
		}
		if err := tx.Exec(`UPDATE account_members SET role = ? WHERE account_id = ? AND user_id = ?`, string(r), accountID, userID).Error; err != nil {
			return nil, err
		}
		return &Change{AccountID: accountID, ActorID: actorID, Action: "setMemberRole", Target: fmt.Sprintf("user:%d", userID),
			Before: map[string]any{"role": string(old)}, After: map[string]any{"role": string(r)}}, nil
	})
}

// Remove takes a member off the account; never the owner.
func (s *Service) Remove(ctx context.Context, accountID, actorID, userID int64) error {
	if userID == actorID {
		return ErrSelf
	}
	return s.dropMember(ctx, accountID, actorID, userID, "removeMember", ErrOwnerFixed)
}

// Leave takes the operator off the account; the owner cannot leave.
func (s *Service) Leave(ctx context.Context, accountID, userID int64) error {
	return s.dropMember(ctx, accountID, userID, userID, "leaveAccount", ErrOwnerCannotLeave)
}

// dropMember deletes userID's membership as action by actorID, in one change; the owner's answers
// ownerErr, since an account always keeps its one owner.
func (s *Service) dropMember(ctx context.Context, accountID, actorID, userID int64, action string, ownerErr error) error {
	return s.change(ctx, func(tx *gorm.DB) (*Change, error) {
		old, err := roleOf(tx, accountID, userID)
		if err != nil {
			return nil, err
		}
		if old == domain.RoleOwner {
			return nil, ownerErr
		}
		if err := tx.Exec(`DELETE FROM account_members WHERE account_id = ? AND user_id = ?`, accountID, userID).Error; err != nil {
			return nil, err
		}
		return &Change{AccountID: accountID, ActorID: actorID, Action: action, Target: fmt.Sprintf("user:%d", userID),
			Before: map[string]any{"role": string(old)}}, nil
	})
}

// TransferOwnership makes another member the owner; the old owner becomes an admin. wx_accounts.user_id
// follows the owner.
func (s *Service) TransferOwnership(ctx context.Context, accountID, ownerID, userID int64) error {
	if userID == ownerID {
		return ErrSelf
	}
	return s.change(ctx, func(tx *gorm.DB) (*Change, error) {
		mine, err := roleOf(tx, accountID, ownerID)
		if err != nil {
			return nil, err
		}
		if mine != domain.RoleOwner {
			return nil, ErrRoleTooLow(domain.RoleOwner)
		}
		old, err := roleOf(tx, accountID, userID)
		if err != nil {
			return nil, err
		}
		// The old owner first: the partial unique index allows one owner at any moment.
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE account_members SET role = 'admin' WHERE account_id = ? AND user_id = ?`, []any{accountID, ownerID}},
			{`UPDATE account_members SET role = 'owner' WHERE account_id = ? AND user_id = ?`, []any{accountID, userID}},
			{`UPDATE wx_accounts SET user_id = ?, updated_at = now() WHERE id = ?`, []any{userID, accountID}},
		} {
			if err := tx.Exec(q.sql, q.args...).Error; err != nil {
				return nil, fmt.Errorf("transfer ownership: %w", err)
			}
		}
		return &Change{AccountID: accountID, ActorID: ownerID, Action: "transferOwnership", Target: fmt.Sprintf("user:%d", userID),
			Before: map[string]any{"owner": ownerID, "role": string(old)}, After: map[string]any{"owner": userID, "role": "owner"}}, nil
	})
}

// IsMember says userID is a member of the account.
func (s *Service) IsMember(ctx context.Context, accountID, userID int64) (bool, error) {
	var ok bool
	err := s.db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM account_members WHERE account_id = ? AND user_id = ?)`, accountID, userID).Scan(&ok).Error
	return ok, err
}

func newToken() (plain string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, hashToken(plain)
}

func hashToken(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}

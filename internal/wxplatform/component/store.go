package component

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/socialinzen/socialinzen/internal/secretbox"
)

// ticketRow is wx_component_tickets: the latest ticket, sealed.
type ticketRow struct {
	ComponentAppID string `gorm:"column:component_appid;primaryKey"`
	TicketEnc      string
	ReceivedAt     time.Time
}

func (ticketRow) TableName() string { return "wx_component_tickets" }

// preauthRow is wx_component_preauth: which operator a pre_auth_code was handed to.
type preauthRow struct {
	CodeHash  string `gorm:"primaryKey"`
	UserID    int64
	ExpiresAt time.Time
}

func (preauthRow) TableName() string { return "wx_component_preauth" }

// Ticket is the latest component_verify_ticket.
type Ticket struct {
	Value      string
	ReceivedAt time.Time
}

// Ticket answers the latest ticket ("" when none was received).
func (s *Service) Ticket(ctx context.Context) (Ticket, error) {
	var r ticketRow
	err := s.opts.DB.WithContext(ctx).Where("component_appid = ?", s.AppID()).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Ticket{}, nil
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("load ticket: %w", err)
	}
	v, err := s.opts.Box.OpenFor(secretbox.Named("wx_component_tickets", "ticket_enc").Bound(r.ComponentAppID), r.TicketEnc)
	if err != nil {
		s.log.WarnContext(ctx, "stored ticket cannot be opened; waiting for the next push", "err", err)
		return Ticket{}, nil
	}
	return Ticket{Value: v, ReceivedAt: r.ReceivedAt}, nil
}

// saveTicket keeps a pushed ticket as the latest.
func (s *Service) saveTicket(ctx context.Context, ticket string, at time.Time) error {
	enc, err := s.opts.Box.SealFor(secretbox.Named("wx_component_tickets", "ticket_enc").Bound(s.AppID()), ticket)
	if err != nil {
		return err
	}
	err = s.opts.DB.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "component_appid"}},
		DoUpdates: clause.AssignmentColumns([]string{"ticket_enc", "received_at"}),
	}).Create(&ticketRow{ComponentAppID: s.AppID(), TicketEnc: enc, ReceivedAt: at}).Error
	if err != nil {
		return fmt.Errorf("save ticket: %w", err)
	}
	return nil
}

func hashCode(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// rememberPreAuth records that a pre_auth_code was handed to userID.
func (s *Service) rememberPreAuth(ctx context.Context, code string, userID int64, expires time.Time) error {
	db := s.opts.DB.WithContext(ctx)
	if err := db.Where("expires_at < ?", s.now().Add(-time.Hour)).Delete(&preauthRow{}).Error; err != nil {
		s.log.WarnContext(ctx, "purge pre_auth_codes", "err", err)
	}
	err := db.Clauses(clause.OnConflict{DoNothing: true}).
		Create(&preauthRow{CodeHash: hashCode(code), UserID: userID, ExpiresAt: expires}).Error
	if err != nil {
		return fmt.Errorf("remember pre_auth_code: %w", err)
	}
	return nil
}

// preAuthOwnerByHash answers the operator a pre_auth_code (by its hash) was handed to (0 when unknown).
func (s *Service) preAuthOwnerByHash(ctx context.Context, hash string) (int64, error) {
	if hash == "" {
		return 0, nil
	}
	var r preauthRow
	err := s.opts.DB.WithContext(ctx).Where("code_hash = ?", hash).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("load pre_auth_code: %w", err)
	}
	return r.UserID, nil
}

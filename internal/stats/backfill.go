package stats

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// The backfill and the daily run queue pulls; jobs.go works them.

// window answers the days a backfill or the daily run pulls: the last 180 WeChat can answer.
func (s *Service) window() (time.Time, time.Time) {
	last := s.lastAvailable()
	return last.AddDate(0, 0, -(BackfillDays - 1)), last
}

// Bound queues the 180-day backfill of an account just bound (the accounts service calls it). An account
// already backfilled (bound again with new credentials) is not queued again.
func (s *Service) Bound(ctx context.Context, accountID int64) error {
	if s.queue == nil {
		return nil
	}
	first, last := s.window()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`INSERT INTO wx_stats_backfills (account_id) VALUES (?) ON CONFLICT DO NOTHING`, accountID)
		if res.Error != nil {
			return fmt.Errorf("note stats backfill: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		return s.queue.QueuePullTx(ctx, tx, accountID, first, last, false)
	})
}

// QueueBackfills queues the backfill of every account that never had one: the accounts bound before the
// statistics existed (at the first start with them), and any bound by a path that did not call Bound. Each
// account is queued once, across processes: the row in wx_stats_backfills and the job commit together.
func (s *Service) QueueBackfills(ctx context.Context) (int, error) {
	if s.queue == nil {
		return 0, nil
	}
	first, last := s.window()
	n := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []int64
		if err := tx.Raw(`INSERT INTO wx_stats_backfills (account_id)
			SELECT id FROM wx_accounts ORDER BY id ON CONFLICT DO NOTHING RETURNING account_id`).Scan(&ids).Error; err != nil {
			return fmt.Errorf("note stats backfills: %w", err)
		}
		for _, id := range ids {
			if err := s.queue.QueuePullTx(ctx, tx, id, first, last, false); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// QueueDaily queues, for every account, a pull of the last 180 days: settled days are skipped, so WeChat
// is asked for yesterday and whatever failed or was not final before.
func (s *Service) QueueDaily(ctx context.Context) error {
	if s.queue == nil {
		return nil
	}
	var ids []int64
	if err := s.db.WithContext(ctx).Raw(`SELECT id FROM wx_accounts ORDER BY id`).Scan(&ids).Error; err != nil {
		return fmt.Errorf("stats daily: %w", err)
	}
	first, last := s.window()
	for _, id := range ids {
		if err := s.queue.QueuePull(ctx, id, first, last, false); err != nil {
			return err
		}
	}
	return nil
}

// appID answers the appid of a bound account (gorm.ErrRecordNotFound once it is unbound).
func (s *Service) appID(ctx context.Context, accountID int64) (string, error) {
	var appid string
	res := s.db.WithContext(ctx).Raw(`SELECT appid FROM wx_accounts WHERE id = ?`, accountID).Scan(&appid)
	if res.Error != nil {
		return "", fmt.Errorf("stats: account %d: %w", accountID, res.Error)
	}
	if res.RowsAffected == 0 {
		return "", gorm.ErrRecordNotFound
	}
	return appid, nil
}

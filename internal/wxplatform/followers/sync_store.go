package followers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// errLeaseLost means another process took the sync over: this run must stop writing.
var errLeaseLost = errors.New("follower sync: lease lost")

// claim is a sync run this process owns: its number, owner tag, and where to start.
type claim struct {
	gen    int64
	owner  string
	cursor string
	done   int
}

// syncStore keeps wx_follower_syncs. Every write of a run is conditioned on the run still owning the
// row (owner and gen), so a process that lost its lease cannot overwrite its successor's progress.
type syncStore struct{ db *gorm.DB }

// claim takes the account's sync for owner unless another owner holds a live lease (nil then). A
// finished or never-run sync starts a new run (gen + 1, from the first page); a failed one, or a
// running one whose lease ran out, is resumed from its saved cursor.
func (s syncStore) claim(ctx context.Context, accountID int64, owner string, lease time.Duration) (*claim, error) {
	var rows []struct {
		Gen        int64
		NextOpenID string `gorm:"column:next_openid"`
		CursorDone int
	}
	err := s.db.WithContext(ctx).Raw(`
		INSERT INTO wx_follower_syncs AS s (account_id, state, gen, owner, heartbeat_at, started_at, updated_at)
		VALUES (?, 'running', 1, ?, now(), now(), now())
		ON CONFLICT (account_id) DO UPDATE SET
			state = 'running', owner = EXCLUDED.owner, heartbeat_at = now(), updated_at = now(),
			error = '', finished_at = NULL,
			gen         = CASE WHEN s.state IN ('running', 'failed') THEN s.gen ELSE s.gen + 1 END,
			next_openid = CASE WHEN s.state IN ('running', 'failed') THEN s.next_openid ELSE '' END,
			cursor_done = CASE WHEN s.state IN ('running', 'failed') THEN s.cursor_done ELSE 0 END,
			done        = CASE WHEN s.state IN ('running', 'failed') THEN s.cursor_done ELSE 0 END,
			total       = CASE WHEN s.state IN ('running', 'failed') THEN s.total ELSE 0 END,
			started_at  = CASE WHEN s.state IN ('running', 'failed') THEN s.started_at ELSE now() END
		WHERE s.state <> 'running' OR s.heartbeat_at IS NULL OR s.heartbeat_at < now() - make_interval(secs => ?)
		RETURNING gen, next_openid, cursor_done`,
		accountID, owner, lease.Seconds()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("claim follower sync: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	return &claim{gen: r.Gen, owner: owner, cursor: r.NextOpenID, done: r.CursorDone}, nil
}

// own renews the claim (owner, gen) for a job about to run it and answers where to resume; nil when the
// claim is no longer the account's running sync (superseded by a resume, or ended). Progress past the saved
// cursor is forgotten: the run starts again at the cursor.
func (s syncStore) own(ctx context.Context, accountID int64, owner string, gen int64) (*claim, error) {
	var rows []struct {
		NextOpenID string `gorm:"column:next_openid"`
		CursorDone int
	}
	err := s.db.WithContext(ctx).Raw(`UPDATE wx_follower_syncs SET heartbeat_at = now(), done = cursor_done, updated_at = now()
		WHERE account_id = ? AND owner = ? AND gen = ? AND state = 'running'
		RETURNING next_openid, cursor_done`, accountID, owner, gen).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("take follower sync: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &claim{gen: gen, owner: owner, cursor: rows[0].NextOpenID, done: rows[0].CursorDone}, nil
}

// beat renews the lease and publishes progress; false when the run no longer owns the sync.
func (s syncStore) beat(ctx context.Context, accountID int64, c claim, done int) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE wx_follower_syncs SET heartbeat_at = now(), done = ?, updated_at = now()
		WHERE account_id = ? AND owner = ? AND gen = ? AND state = 'running'`, done, accountID, c.owner, c.gen)
	if res.Error != nil {
		return false, fmt.Errorf("renew follower sync lease: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// progress publishes progress and, with saveCursor, the cursor: every page before it is stored.
func (s syncStore) progress(ctx context.Context, accountID int64, c claim, done, total int, cursor string, saveCursor bool) error {
	q := `UPDATE wx_follower_syncs SET heartbeat_at = now(), done = ?, total = ?, updated_at = now()`
	args := []any{done, total}
	if saveCursor {
		q += `, next_openid = ?, cursor_done = ?`
		args = append(args, cursor, done)
	}
	q += ` WHERE account_id = ? AND owner = ? AND gen = ? AND state = 'running'`
	args = append(args, accountID, c.owner, c.gen)
	res := s.db.WithContext(ctx).Exec(q, args...)
	if res.Error != nil {
		return fmt.Errorf("save follower sync progress: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return errLeaseLost
	}
	return nil
}

// finish ends the run: done (cursor cleared) or failed (cursor kept for a resume).
func (s syncStore) finish(ctx context.Context, accountID int64, c claim, state string, done, total int, msg string) error {
	q := `UPDATE wx_follower_syncs SET state = ?, error = ?, finished_at = now(), updated_at = now(), owner = ''`
	args := []any{state, msg}
	if state == StateDone {
		q += `, done = ?, total = ?, next_openid = '', cursor_done = 0`
		args = append(args, done, total)
	}
	q += ` WHERE account_id = ? AND owner = ? AND gen = ?`
	args = append(args, accountID, c.owner, c.gen)
	if err := s.db.WithContext(ctx).Exec(q, args...).Error; err != nil {
		return fmt.Errorf("finish follower sync: %w", err)
	}
	return nil
}

// status reads the account's sync; idle when there is none.
func (s syncStore) status(ctx context.Context, accountID int64) (SyncStatus, error) {
	var rows []struct {
		State      string
		Done       int
		Total      int
		Error      string
		StartedAt  *time.Time
		FinishedAt *time.Time
	}
	err := s.db.WithContext(ctx).Raw(`SELECT state, done, total, error, started_at, finished_at
		FROM wx_follower_syncs WHERE account_id = ?`, accountID).Scan(&rows).Error
	if err != nil {
		return SyncStatus{}, fmt.Errorf("read follower sync: %w", err)
	}
	if len(rows) == 0 {
		return SyncStatus{State: StateIdle}, nil
	}
	r := rows[0]
	return SyncStatus{State: r.State, Done: r.Done, Total: r.Total, Error: r.Error, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}, nil
}

// stale answers the accounts whose sync is running without a live lease.
func (s syncStore) stale(ctx context.Context, lease time.Duration) ([]account, error) {
	var rows []struct {
		ID    int64
		AppID string `gorm:"column:appid"`
	}
	err := s.db.WithContext(ctx).Raw(`SELECT a.id, a.appid FROM wx_follower_syncs s JOIN wx_accounts a ON a.id = s.account_id
		WHERE s.state = 'running' AND (s.heartbeat_at IS NULL OR s.heartbeat_at < now() - make_interval(secs => ?))`,
		lease.Seconds()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find abandoned follower syncs: %w", err)
	}
	out := make([]account, len(rows))
	for i, r := range rows {
		out[i] = account{ID: r.ID, AppID: r.AppID}
	}
	return out, nil
}

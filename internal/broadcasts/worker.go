package broadcasts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/time/rate"
	"gorm.io/gorm"

	"github.com/socialinzen/socialinzen/internal/db"
	"github.com/socialinzen/socialinzen/internal/jobs"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// SendArgs is the job that sends one broadcast. Several may exist for one broadcast (the resumer adds one
// when a sender went silent): the lease lets one of them work at a time.
type SendArgs struct {
	BroadcastID int64 `json:"broadcastId"`
}

// Kind names the job.
func (SendArgs) Kind() string { return "broadcast_send" }

// InsertOpts: a broadcast outlives many attempts (each restart is one).
func (SendArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 25} }

type sendWorker struct {
	river.WorkerDefaults[SendArgs]
	s *Service
}

func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	return w.s.run(ctx, job.Args.BroadcastID)
}

// Timeout: a broadcast of 100,000 template messages at 50 per second takes over half an hour.
func (w *sendWorker) Timeout(*river.Job[SendArgs]) time.Duration { return -1 }

// ResumeArgs is the periodic job that re-enqueues broadcasts whose sender stopped renewing its lease.
type ResumeArgs struct{}

// Kind names the job.
func (ResumeArgs) Kind() string { return "broadcast_resume" }

type resumeWorker struct {
	river.WorkerDefaults[ResumeArgs]
	s *Service
}

func (w *resumeWorker) Work(ctx context.Context, _ *river.Job[ResumeArgs]) error {
	return w.s.resume(ctx)
}

func (s *Service) register(q *jobs.Queue) error {
	if err := jobs.Register(q, &sendWorker{s: s}); err != nil {
		return err
	}
	if err := jobs.Register(q, &resumeWorker{s: s}); err != nil {
		return err
	}
	every := max(s.opts.Lease/2, time.Second)
	return q.Periodic("broadcast_resume", jobs.Every(every), true, func() (river.JobArgs, *river.InsertOpts) {
		return ResumeArgs{}, nil
	})
}

func (s *Service) lease() string {
	return strconv.FormatInt(s.opts.Lease.Milliseconds(), 10) + " milliseconds"
}

// resume enqueues a send job for every queued or sending broadcast without a live sender.
func (s *Service) resume(ctx context.Context) error {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(`SELECT id FROM broadcasts WHERE state IN ('queued', 'sending')
		AND COALESCE(heartbeat_at, created_at) < now() - ?::interval ORDER BY id LIMIT 100`, s.lease()).Scan(&ids).Error
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := s.jobs.Enqueue(ctx, SendArgs{BroadcastID: id}, nil); err != nil {
			return err
		}
		s.log.Info("broadcast resumed", "broadcast", id)
	}
	return nil
}

// claimed is the broadcast row a sender works from.
type claimed struct {
	ID                int64
	AccountID         int64
	AppID             string
	Nonce             string
	Kind              string
	State             string
	Target            string
	MsgType           string
	Content           string
	SendIgnoreReprint bool
	Materialized      bool
}

// claim takes the broadcast's lease. It answers nil when the broadcast is finished or another process
// holds it, and errBusy when another template broadcast of the account is sending (one per account, so
// the account's rate holds).
func (s *Service) claim(ctx context.Context, id int64) (*claimed, error) {
	var rows []claimed
	err := s.db.WithContext(ctx).Raw(`UPDATE broadcasts b SET owner = ?, heartbeat_at = now(),
			state = 'sending', started_at = COALESCE(started_at, now())
		FROM wx_accounts a
		WHERE b.id = ? AND a.id = b.account_id AND b.state IN ('queued', 'sending')
		AND (b.owner = '' OR b.owner = ? OR b.heartbeat_at IS NULL OR b.heartbeat_at < now() - ?::interval)
		AND (b.kind <> 'template' OR NOT EXISTS (SELECT 1 FROM broadcasts o WHERE o.account_id = b.account_id
			AND o.kind = 'template' AND o.id <> b.id AND o.state = 'sending' AND o.owner <> ''
			AND o.heartbeat_at >= now() - ?::interval))
		RETURNING b.id, b.account_id, a.appid AS app_id, b.nonce, b.kind, b.state, b.target::text AS target, b.msg_type,
			b.content::text AS content, b.send_ignore_reprint, b.materialized`,
		s.owner, id, s.owner, s.lease(), s.lease()).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	if len(rows) == 1 {
		return &rows[0], nil
	}
	var busy int64
	err = s.db.WithContext(ctx).Raw(`SELECT count(*) FROM broadcasts b WHERE b.id = ? AND b.kind = 'template'
		AND b.state IN ('queued', 'sending') AND (b.owner = '' OR b.heartbeat_at < now() - ?::interval)`, id, s.lease()).Scan(&busy).Error
	if err != nil {
		return nil, err
	}
	if busy > 0 {
		return nil, errBusy
	}
	return nil, nil
}

var errBusy = errors.New("broadcasts: another template broadcast of the account is sending")

// heartbeat renews the lease and answers false when it was lost or the broadcast was cancelled.
func (s *Service) heartbeat(ctx context.Context, id int64) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE broadcasts SET heartbeat_at = now() WHERE id = ? AND owner = ? AND state = 'sending'`, id, s.owner)
	return res.RowsAffected == 1, res.Error
}

// release gives the lease back when the process stops, so another process resumes at once.
func (s *Service) release(id int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.db.WithContext(ctx).Exec(`UPDATE broadcasts SET owner = '', heartbeat_at = NULL WHERE id = ? AND owner = ?`, id, s.owner).Error
}

// run sends a broadcast until it is done, cancelled, or the process stops.
func (s *Service) run(ctx context.Context, id int64) error {
	b, err := s.claim(ctx, id)
	if errors.Is(err, errBusy) {
		return river.JobSnooze(2 * time.Second)
	}
	if err != nil || b == nil {
		return err
	}
	if !b.Materialized {
		if err := s.materialize(ctx, b); err != nil {
			return err
		}
	}
	switch b.Kind {
	case KindTemplate:
		err = s.sendTemplates(ctx, b)
	default:
		err = s.sendMass(ctx, b)
	}
	if errors.Is(err, errStop) {
		return nil
	}
	if err != nil {
		s.release(id)
		return err
	}
	return s.finish(ctx, id)
}

// materialize writes the recipients of a send to all or a tag from the mirror (template broadcasts), or
// the one chunk of mass/sendall, in one statement whatever the count.
func (s *Service) materialize(ctx context.Context, b *claimed) error {
	var t Target
	if err := json.Unmarshal([]byte(b.Target), &t); err != nil {
		return fmt.Errorf("broadcast %d: target: %w", b.ID, err)
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var total int64
		if b.Kind == KindTemplate {
			q := `INSERT INTO broadcast_recipients (broadcast_id, seq, openid)
				SELECT ?, row_number() OVER (ORDER BY openid), openid FROM wx_followers WHERE account_id = ? AND subscribed`
			args := []any{b.ID, b.AccountID}
			if t.TagID != nil {
				q += ` AND tagid_list @> ARRAY[?]::int[]`
				args = append(args, *t.TagID)
			}
			res := tx.Exec(q+` ON CONFLICT DO NOTHING`, args...)
			if res.Error != nil {
				return res.Error
			}
			total = res.RowsAffected
		} else {
			n, err := s.countFollowers(ctx, b.AccountID, t.TagID)
			if err != nil {
				return err
			}
			total = int64(n)
			if err := tx.Exec(`INSERT INTO broadcast_chunks (broadcast_id, idx, size) VALUES (?, 0, ?) ON CONFLICT DO NOTHING`, b.ID, n).Error; err != nil {
				return err
			}
		}
		return tx.Exec(`UPDATE broadcasts SET materialized = true, total = ? WHERE id = ?`, total, b.ID).Error
	})
}

// finish marks a broadcast whose every recipient or chunk was handled: sent, or failed when nothing went.
func (s *Service) finish(ctx context.Context, id int64) error {
	return s.db.WithContext(ctx).Exec(`UPDATE broadcasts SET finished_at = now(), owner = '', heartbeat_at = NULL,
		state = CASE WHEN sent = 0 AND failed > 0 THEN 'failed' ELSE 'sent' END
		WHERE id = ? AND owner = ? AND state = 'sending'`, id, s.owner).Error
}

// sendTemplates sends the pending recipients in order, at most TemplateRate per second, committing each
// batch's outcomes with the broadcast's counters.
func (s *Service) sendTemplates(ctx context.Context, b *claimed) error {
	var c templateContent
	if err := json.Unmarshal([]byte(b.Content), &c); err != nil {
		return fmt.Errorf("broadcast %d: content: %w", b.ID, err)
	}
	limit := rate.NewLimiter(rate.Limit(s.opts.TemplateRate), 1)
	batch := min(max(s.opts.TemplateRate, 1), 500)
	type pending struct {
		Seq    int64
		OpenID string
	}
	for {
		ok, err := s.heartbeat(ctx, b.ID)
		if err != nil {
			return err
		}
		if !ok {
			return errStop // cancelled, or another process took over
		}
		var list []pending
		if err := s.db.WithContext(ctx).Raw(`SELECT seq, openid AS open_id FROM broadcast_recipients WHERE broadcast_id = ? AND status = 'pending'
			ORDER BY seq LIMIT ?`, b.ID, batch).Scan(&list).Error; err != nil {
			return err
		}
		if len(list) == 0 {
			return nil
		}
		out := outcomes{}
		var callErr error
		for _, r := range list {
			if err := limit.Wait(ctx); err != nil {
				callErr = err
				break
			}
			msgID, err := s.wx.SendTemplate(ctx, b.AppID, templateMessage(c, r.OpenID, clientMsgID(b.Nonce, r.OpenID)))
			if err != nil && wxclient.Code(err) == 0 {
				callErr = err // no answer: the outcome is unknown, the call is repeated (WeChat dedups it)
				break
			}
			out.add(r.Seq, msgID, err)
		}
		if err := s.commitTemplates(ctx, b.ID, out); err != nil {
			return err
		}
		if callErr != nil {
			return callErr
		}
	}
}

// clientMsgID is a template call's dedup id: the broadcast's nonce and the follower.
func clientMsgID(nonce, openid string) string { return "sz" + nonce + "-" + openid }

// massClientMsgID is a mass call's dedup id: the broadcast's nonce and the chunk.
func massClientMsgID(nonce string, chunk int) string {
	return "sz" + nonce + "-c" + strconv.Itoa(chunk)
}

// outcomes are one batch's results, as arrays for one UPDATE.
type outcomes struct {
	seqs    db.Int64Array
	status  db.StringArray
	msgids  db.Int64Array
	reasons db.StringArray
	sent    int
	failed  int
}

func (o *outcomes) add(seq, msgID int64, err error) {
	o.seqs = append(o.seqs, seq)
	if err != nil {
		o.status = append(o.status, StatusFailed)
		o.msgids = append(o.msgids, 0)
		o.reasons = append(o.reasons, reason(err))
		o.failed++
		return
	}
	o.status = append(o.status, StatusSent)
	o.msgids = append(o.msgids, msgID)
	o.reasons = append(o.reasons, "")
	o.sent++
}

// reason is what the recipient list shows of WeChat's refusal.
func reason(err error) string {
	var we *wxclient.Error
	if errors.As(err, &we) {
		return fmt.Sprintf("%d %s", we.Errcode, we.Errmsg)
	}
	return err.Error()
}

// commitTemplates writes a batch's recipients and counters in one transaction, then applies the
// TEMPLATESENDJOBFINISH events that arrived before it.
func (s *Service) commitTemplates(ctx context.Context, id int64, o outcomes) error {
	if len(o.seqs) == 0 {
		return nil
	}
	// The batch is written even when the job's context ends: what WeChat accepted must not be sent again.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return s.db.WithContext(wctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE broadcast_recipients r SET status = u.status, msgid = NULLIF(u.msgid, 0), reason = u.reason, updated_at = now()
			FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::text[]) AS u(seq, status, msgid, reason)
			WHERE r.broadcast_id = ? AND r.seq = u.seq AND r.status = 'pending'`, o.seqs, o.status, o.msgids, o.reasons, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != int64(len(o.seqs)) {
			return fmt.Errorf("broadcast %d: %d of %d recipients were no longer pending", id, len(o.seqs)-int(res.RowsAffected), len(o.seqs))
		}
		if err := tx.Exec(`UPDATE broadcasts SET done = done + ?, sent = sent + ?, failed = failed + ? WHERE id = ?`,
			len(o.seqs), o.sent, o.failed, id).Error; err != nil {
			return err
		}
		return applyTemplateEvents(tx, `r.broadcast_id = ? AND r.msgid = ANY(?::bigint[])`, id, o.msgids)
	})
}

// sendMass sends the pending chunks: mass/sendall for all or a tag (chunk 0), mass/send per chunk of
// openids. WeChat answering 45065 means the chunk went out before a crash: its msg_id is the chunk's.
func (s *Service) sendMass(ctx context.Context, b *claimed) error {
	var t Target
	if err := json.Unmarshal([]byte(b.Target), &t); err != nil {
		return fmt.Errorf("broadcast %d: target: %w", b.ID, err)
	}
	var raw json.RawMessage = []byte(b.Content)
	content, _, err := massContent(b.MsgType, raw)
	if err != nil {
		return s.failAll(ctx, b.ID, err.Error())
	}
	ignore := 0
	if b.SendIgnoreReprint {
		ignore = 1
	}
	var chunks []struct {
		Idx  int
		Size int
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT idx, size FROM broadcast_chunks WHERE broadcast_id = ? AND state = 'pending' ORDER BY idx`, b.ID).Scan(&chunks).Error; err != nil {
		return err
	}
	for _, ch := range chunks {
		ok, err := s.heartbeat(ctx, b.ID)
		if err != nil {
			return err
		}
		if !ok {
			return errStop
		}
		req := wxclient.MassRequest{MassContent: content, SendIgnoreReprint: ignore, ClientMsgID: massClientMsgID(b.Nonce, ch.Idx)}
		var res wxclient.MassResult
		if t.All || t.TagID != nil {
			req.Filter = &wxclient.MassFilter{IsToAll: t.All, TagID: t.TagID}
			res, err = s.wx.MassSendAll(ctx, b.AppID, req)
		} else {
			if err := s.db.WithContext(ctx).Raw(`SELECT openid FROM broadcast_recipients WHERE broadcast_id = ? AND chunk = ? ORDER BY seq`,
				b.ID, ch.Idx).Scan(&req.ToUser).Error; err != nil {
				return err
			}
			res, err = s.wx.MassSend(ctx, b.AppID, req)
		}
		code := wxclient.Code(err)
		switch {
		case err == nil, code == wxclient.CodeClientMsgIDExists && res.MsgID != 0:
			err = s.commitChunk(ctx, b.ID, ch.Idx, ch.Size, res, "")
		case code != 0:
			err = s.commitChunk(ctx, b.ID, ch.Idx, ch.Size, res, reason(err))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// commitChunk writes a chunk's outcome, its recipients' and the broadcast's progress in one transaction.
func (s *Service) commitChunk(ctx context.Context, id int64, idx, size int, res wxclient.MassResult, failure string) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return s.db.WithContext(wctx).Transaction(func(tx *gorm.DB) error {
		state, status, failed := "sent", StatusSent, 0
		if failure != "" {
			state, status, failed = "failed", StatusFailed, size
		}
		if err := tx.Exec(`UPDATE broadcast_chunks SET state = ?, msg_id = NULLIF(?, 0), msg_data_id = NULLIF(?, 0), reason = ?
			WHERE broadcast_id = ? AND idx = ?`, state, res.MsgID, res.MsgDataID, failure, id, idx).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE broadcast_recipients SET status = ?, reason = ?, updated_at = now()
			WHERE broadcast_id = ? AND chunk = ? AND status = 'pending'`, status, failure, id, idx).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE broadcasts SET done = done + ?, failed = failed + ?, error = CASE WHEN ? <> '' THEN ? ELSE error END
			WHERE id = ?`, size, failed, failure, failure, id).Error; err != nil {
			return err
		}
		return applyMassEvents(tx, id)
	})
}

// failAll ends a broadcast that cannot be sent at all.
func (s *Service) failAll(ctx context.Context, id int64, why string) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE broadcasts SET state = 'failed', error = ?, finished_at = now(), owner = '', heartbeat_at = NULL
		WHERE id = ?`, why, id).Error
	if err != nil {
		return err
	}
	return errStop
}

package broadcasts

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Events of WeChat that end a broadcast's calls.
const (
	EventMassFinish     = "MASSSENDJOBFINISH"
	EventTemplateFinish = "TEMPLATESENDJOBFINISH"
)

// jobFinish is the part of a *JOBFINISH event the console keeps.
type jobFinish struct {
	Event       string `xml:"Event"`
	MsgID       int64  `xml:"MsgID"`
	MsgIDAlt    int64  `xml:"MsgId"`
	Status      string `xml:"Status"`
	TotalCount  int    `xml:"TotalCount"`
	FilterCount int    `xml:"FilterCount"`
	SentCount   int    `xml:"SentCount"`
	ErrorCount  int    `xml:"ErrorCount"`
}

// OnJobFinish takes a MASSSENDJOBFINISH or TEMPLATESENDJOBFINISH event of the account, as the callback
// stored it (raw is the plaintext XML): the event is kept, then applied to the broadcast it names. An
// event that overtook the commit of its msg_id is applied by that commit. Other events are ignored.
func (s *Service) OnJobFinish(ctx context.Context, accountID int64, raw []byte) error {
	var ev jobFinish
	dec := xml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&ev); err != nil {
		return fmt.Errorf("broadcasts: job finish event: %w", err)
	}
	if ev.MsgID == 0 {
		ev.MsgID = ev.MsgIDAlt
	}
	ev.Event = strings.ToUpper(strings.TrimSpace(ev.Event))
	if ev.MsgID == 0 || (ev.Event != EventMassFinish && ev.Event != EventTemplateFinish) {
		return nil
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO broadcast_events (account_id, event, msg_id, status, total, filtered, sent, errors)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, accountID, ev.Event, ev.MsgID, strings.TrimSpace(ev.Status),
			ev.TotalCount, ev.FilterCount, ev.SentCount, ev.ErrorCount).Error; err != nil {
			return err
		}
		if ev.Event == EventTemplateFinish {
			return applyTemplateEvents(tx, `b.account_id = ? AND r.msgid = ?`, accountID, ev.MsgID)
		}
		var ids []int64
		if err := tx.Raw(`SELECT c.broadcast_id FROM broadcast_chunks c JOIN broadcasts b ON b.id = c.broadcast_id
			WHERE b.account_id = ? AND c.msg_id = ?`, accountID, ev.MsgID).Scan(&ids).Error; err != nil {
			return err
		}
		for _, id := range ids {
			if err := applyMassEvents(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// applyTemplateEvents moves the sent recipients matched by where (over r, the recipients, and b, their
// broadcast) whose TEMPLATESENDJOBFINISH arrived to delivered or failed, and corrects the counters.
func applyTemplateEvents(tx *gorm.DB, where string, args ...any) error {
	return tx.Exec(`WITH moved AS (
			UPDATE broadcast_recipients r SET
				status = CASE WHEN e.status = 'success' THEN 'delivered' ELSE 'failed' END,
				reason = CASE WHEN e.status = 'success' THEN '' ELSE e.status END,
				updated_at = now()
			FROM broadcasts b, broadcast_events e
			WHERE b.id = r.broadcast_id AND e.account_id = b.account_id AND e.msg_id = r.msgid
				AND e.event = 'TEMPLATESENDJOBFINISH' AND r.status = 'sent' AND `+where+`
			RETURNING r.broadcast_id, r.status)
		UPDATE broadcasts SET sent = broadcasts.sent - m.n, failed = broadcasts.failed + m.n
		FROM (SELECT broadcast_id, count(*) FILTER (WHERE status = 'failed') AS n FROM moved GROUP BY broadcast_id) m
		WHERE broadcasts.id = m.broadcast_id AND m.n > 0`, args...).Error
}

// applyMassEvents copies the MASSSENDJOBFINISH counts onto the broadcast's chunks and sums them on the
// broadcast; the recipients of a chunk WeChat finished without errors are delivered.
func applyMassEvents(tx *gorm.DB, id int64) error {
	res := tx.Exec(`UPDATE broadcast_chunks c SET finished = true, wx_status = e.status, total = e.total,
			filtered = e.filtered, sent = e.sent, errors = e.errors
		FROM broadcasts b, broadcast_events e
		WHERE c.broadcast_id = ? AND b.id = c.broadcast_id AND e.account_id = b.account_id AND e.msg_id = c.msg_id
			AND e.event = 'MASSSENDJOBFINISH' AND NOT c.finished`, id)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	if err := tx.Exec(`UPDATE broadcast_recipients r SET status = 'delivered', updated_at = now()
		FROM broadcast_chunks c WHERE c.broadcast_id = ? AND r.broadcast_id = c.broadcast_id AND r.chunk = c.idx
			AND c.finished AND c.errors = 0 AND c.wx_status ILIKE 'send%success' AND r.status = 'sent'`, id).Error; err != nil {
		return err
	}
	return tx.Exec(`UPDATE broadcasts b SET sent = s.sent, failed = s.failed, filtered = s.filtered, wx_status = s.status
		FROM (SELECT sum(sent) AS sent,
				sum(CASE WHEN state = 'failed' THEN size ELSE errors END) AS failed,
				sum(filtered) AS filtered,
				COALESCE(string_agg(DISTINCT NULLIF(wx_status, ''), '; '), '') AS status
			FROM broadcast_chunks WHERE broadcast_id = ?) s
		WHERE b.id = ?`, id, id).Error
}

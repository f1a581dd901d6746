package callback

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

type eventJob struct {
	accountID int64
	msg       *wxcrypto.Message
	raw       string
	ruleID    int64         // with followUps
	followUps []reply.Reply // a stored message's rule follow-ups, for the FollowUpHook
}

// JobFinishHook is told of one kind of WeChat's *JOBFINISH events (MASSSENDJOBFINISH,
// TEMPLATESENDJOBFINISH, PUBLISHJOBFINISH …) once stored, with the message's plaintext XML: their counts
// and results are elements Message does not model. It runs on the observer's goroutine, one event at a
// time; an error is logged.
type JobFinishHook interface {
	OnJobFinish(ctx context.Context, accountID int64, raw []byte) error
}

// hooked reports whether a JobFinish hook takes msg.
func (h *Handler) hooked(m *wxcrypto.Message) bool {
	return isEvent(m) && h.opts.JobFinish[strings.ToUpper(m.Event)] != nil
}

// notify hands a stored event to the observer's goroutine without ever blocking the callback: when the
// observer falls that far behind, the event is dropped, counted and logged.
func (h *Handler) notify(accountID int64, msg *wxcrypto.Message, raw string) {
	if h.opts.Observer == nil && !h.hooked(msg) {
		return
	}
	select {
	case h.events <- eventJob{accountID: accountID, msg: msg, raw: raw}:
	default:
		h.stats.eventsDropped.Add(1)
		h.warnEvery(10*time.Second, "callback: event observer is behind, events dropped",
			"dropped_total", h.stats.eventsDropped.Load())
	}
}

// runObserver calls the observer, one event at a time in arrival order, until the handler closes; events
// already queued then are still delivered.
func (h *Handler) runObserver(ctx context.Context) {
	if h.opts.Observer == nil && len(h.opts.JobFinish) == 0 && h.opts.FollowUps == nil {
		return
	}
	base := context.WithoutCancel(ctx)
	for {
		select {
		case job := <-h.events:
			h.observe(base, job)
		case <-h.stopObserver:
			for {
				select {
				case job := <-h.events:
					h.observe(base, job)
				default:
					return
				}
			}
		}
	}
}

func (h *Handler) observe(base context.Context, job eventJob) {
	ctx, cancel := context.WithTimeout(base, h.opts.ObserverTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			h.log.Error("callback: event observer panicked", "panic", fmt.Sprint(r), "event", job.msg.Event)
		}
	}()
	if len(job.followUps) > 0 {
		h.followUp(ctx, job)
		return
	}
	if hook := h.opts.JobFinish[strings.ToUpper(job.msg.Event)]; hook != nil && isEvent(job.msg) {
		if err := hook.OnJobFinish(ctx, job.accountID, []byte(job.raw)); err != nil {
			h.log.Warn("callback: job finish hook failed", "event", job.msg.Event, "err", err)
		}
		return
	}
	if h.opts.Observer != nil && observed(job.msg) {
		h.opts.Observer.OnEvent(ctx, job.accountID, job.msg)
	}
}

// Observers tells each of several observers of every observed event, in order: the followers mirror
// takes subscriptions, the articles take PUBLISHJOBFINISH; each ignores the others' events.
type Observers []EventObserver

// OnEvent implements EventObserver.
func (o Observers) OnEvent(ctx context.Context, accountID int64, msg *wxcrypto.Message) {
	for _, x := range o {
		if x != nil {
			x.OnEvent(ctx, accountID, msg)
		}
	}
}

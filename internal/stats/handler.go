package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// Handler serves /apis/stats: syncStats, getStats and exportStats.
type Handler struct {
	Service *Service
}

// Routes mounts the endpoints on the /apis/stats group, which must run httpapi.RequireAuth and
// accounts.Scope (and the body limit) before them:
//
//	syncStats {appid?, from?, to?}         → {appid, from, to, calls, days, failed, queued, error?}
//	getStats {from?, to?, metrics?}        → {from, to, timezone, users?, messages?, interface?, articles?, console}
//	exportStats {from?, to?}               → text/csv: a header row and one row per day
func (h *Handler) Routes(g httpapi.Group) {
	g.WriteJSON("/syncStats", h.sync)
	g.ReadJSON("/getStats", h.get)
	g.ReadJSON("/exportStats", h.export)
}

// sync pulls the days named (or, without from and to, the days of the last 180 not stored yet) for the
// account, within the sync budget; what is left is pulled in the background.
func (h *Handler) sync(req *httpapi.Request) (httpapi.Answer, error) {
	a, b := req.Account, req.Body
	res, queued, err := h.Service.Sync(req.Ctx, a.ID, a.AppID, b.Str("from"), b.Str("to"))
	if err != nil && !queued && res.Days == 0 {
		return nil, err
	}
	out := httpapi.Fields{"appid": a.AppID, "from": res.From, "to": res.To, "calls": res.Calls, "days": res.Days,
		"failed": res.Fails, "queued": queued}
	if err != nil {
		out["error"] = failure(err)
	}
	return out, nil
}

// report reads the range and metrics of getStats and exportStats.
func (h *Handler) report(req *httpapi.Request, metricsField string) (*Report, error) {
	b := req.Body
	first, last, err := h.Service.ParseRange(b.Str("from"), b.Str("to"))
	if err != nil {
		return nil, err
	}
	var list []string
	if metricsField != "" {
		if list, err = stringList(b, metricsField); err != nil {
			return nil, err
		}
	}
	metrics, err := ParseMetrics(list)
	if err != nil {
		return nil, err
	}
	return h.Service.Report(req.Ctx, req.Account.ID, first, last, metrics)
}

func (h *Handler) get(req *httpapi.Request) (httpapi.Answer, error) {
	r, err := h.report(req, "metrics")
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	var out httpapi.Fields
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// export answers the range as CSV, every metric: a header row and one row per day.
func (h *Handler) export(req *httpapi.Request) (httpapi.Answer, error) {
	r, err := h.report(req, "")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		return nil, err
	}
	return httpapi.Blob{ContentType: "text/csv; charset=utf-8", Data: buf.Bytes(), Header: map[string]string{
		"Content-Disposition": `attachment; filename="stats-` + req.Account.AppID + "-" + r.From + "-" + r.To + `.csv"`,
		"Cache-Control":       "no-store",
	}}, nil
}

// stringList reads a list given as a JSON array or as text separated by commas or spaces.
func stringList(b *httpapi.Body, key string) ([]string, error) {
	raw, err := b.JSON(key)
	if err != nil || raw == nil {
		return nil, err
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list, nil
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' }), nil
	}
	return nil, apperr.Invalidf(key, "must be a list of users, messages, interface, articles").WithKey("stats.err.metrics", key)
}

// Sync is syncStats: the days named are asked again; without from and to, the days of the last 180 that
// are not settled are asked. It pulls for at most the sync budget; when the budget runs out the whole
// range is handed to the background queue (queued true; the days already stored are not asked again).
func (s *Service) Sync(ctx context.Context, accountID int64, appid, from, to string) (PullResult, bool, error) {
	last := s.lastAvailable()
	first := last.AddDate(0, 0, -(BackfillDays - 1))
	force := from != "" || to != ""
	if force {
		var err error
		if first, last, err = s.ParseRange(from, to); err != nil {
			return PullResult{}, false, err
		}
		if to == "" {
			last = s.lastAvailable()
		}
		if from == "" {
			first = last
		}
	}
	pctx, cancel := context.WithTimeout(ctx, s.opts.SyncBudget)
	defer cancel()
	res, err := s.Pull(pctx, accountID, appid, first, last, force)
	if err != nil && pctx.Err() != nil && ctx.Err() == nil && s.queue != nil {
		// Out of time: the background pull goes on where this one stopped (settled days are skipped).
		if qerr := s.queue.QueuePull(context.WithoutCancel(ctx), accountID, first, last, false); qerr != nil {
			return res, false, errors.Join(err, qerr)
		}
		return res, true, nil
	}
	return res, false, err
}

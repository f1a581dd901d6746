package stats

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// Handler serves /apis/stats: syncStats, getStats and exportStats.
type Handler struct {
	Service *Service
}

// Routes mounts the endpoints on the /apis/stats group, which must run httpapi.RequireAuth and
// accounts.Scope (and the body limit) before them.
func (h *Handler) Routes(g httpapi.Group) {
	g.Write("/syncStats", h.sync)
	g.Read("/getStats", h.get)
	g.Read("/exportStats", h.export)
}

// sync pulls the days named (or, without from and to, the days of the last 180 not stored yet) for the
// account, within the sync budget; what is left is pulled in the background.
func (h *Handler) sync(c *gin.Context) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return
	}
	res, queued, err := h.Service.Sync(c.Request.Context(), a.ID, a.AppID, b.Str("from"), b.Str("to"))
	if err != nil && !queued {
		httpapi.Fail(c, err)
		return
	}
	out := gin.H{"appid": a.AppID, "from": res.From, "to": res.To, "calls": res.Calls, "days": res.Days,
		"failed": res.Fails, "queued": queued}
	if err != nil {
		out["error"] = failure(err)
	}
	httpapi.OK(c, out)
}

// request reads the range and metrics of getStats and exportStats.
func (h *Handler) request(c *gin.Context) (*accounts.Account, *Report, bool) {
	b, a, ok := accounts.Request(c)
	if !ok {
		return nil, nil, false
	}
	first, last, err := h.Service.ParseRange(b.Str("from"), b.Str("to"))
	var metrics map[string]bool
	if err == nil {
		var list []string
		if list, err = stringList(b, "metrics"); err == nil {
			metrics, err = ParseMetrics(list)
		}
	}
	var r *Report
	if err == nil {
		r, err = h.Service.Report(c.Request.Context(), a.ID, first, last, metrics)
	}
	if err != nil {
		httpapi.Fail(c, err)
		return nil, nil, false
	}
	return a, r, true
}

func (h *Handler) get(c *gin.Context) {
	_, r, ok := h.request(c)
	if !ok {
		return
	}
	raw, err := json.Marshal(r)
	var data gin.H
	if err == nil {
		err = json.Unmarshal(raw, &data)
	}
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, data)
}

// export answers the range as CSV: a header row and one row per day.
func (h *Handler) export(c *gin.Context) {
	if b, err := httpapi.Bind(c); err == nil {
		b.Fields()["metrics"] = nil // the CSV has every column
	}
	a, r, ok := h.request(c)
	if !ok {
		return
	}
	c.Header("Content-Disposition", `attachment; filename="stats-`+a.AppID+"-"+r.From+"-"+r.To+`.csv"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	c.Header("Content-Type", "text/csv; charset=utf-8")
	if err := WriteCSV(c.Writer, r); err != nil {
		httpapi.Logger(c).Warn("export stats", "err", err)
	}
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
	return nil, apperr.Invalidf(key, "must be a list of users, messages, interface, articles")
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

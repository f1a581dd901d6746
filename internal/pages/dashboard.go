package pages

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/materials"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
)

// chartDays is how far back the dashboard's charts look.
const chartDays = 30

// stat is one figure of the dashboard; OK is false when it could not be read (the card shows a dash).
type stat struct {
	N  int64
	OK bool
}

type dashboardData struct {
	Followers, Rules, Materials, Today stat
	Token                              *accounts.TokenHealth
	SafeMode                           bool
	CallbackURL                        string
	MessagesChart, FollowsChart        template.HTML
	HasMessages, HasFollows            bool
	Stats                              *statsView // WeChat's statistics over the range asked for (stats.go)
}

// dashboard shows the account at a glance: its followers, rules, materials and today's messages, the health
// of its access_token, and what the callback stored over the last 30 days.
func (p *Pages) dashboard(c *gin.Context) {
	v := p.view(c, "console", "console.title")
	a := v.Account
	ctx := c.Request.Context()
	d := dashboardData{}
	if p.deps.Followers != nil {
		if _, total, err := p.deps.Followers.Search(ctx, a, followers.Query{Limit: 1}); err == nil {
			d.Followers = stat{total, true}
		} else {
			logger(c).Warn("dashboard: followers", "err", err)
		}
	}
	if p.deps.Replies != nil {
		if rules, err := p.deps.Replies.List(ctx, a.ID); err == nil {
			d.Rules = stat{int64(len(rules)), true}
		} else {
			logger(c).Warn("dashboard: rules", "err", err)
		}
	}
	if p.deps.Materials != nil {
		if _, total, err := p.deps.Materials.ListLocal(ctx, a, "", 0, 1); err == nil {
			d.Materials = stat{total, true}
		} else {
			logger(c).Warn("dashboard: materials", "err", err)
		}
	}
	if views, err := p.deps.Accounts.Views(ctx, httpapi.UserID(c)); err == nil {
		for _, av := range views {
			if av.AppID == a.AppID {
				tok := av.Token
				d.Token, d.SafeMode, d.CallbackURL = &tok, av.SafeMode, av.CallbackURL
			}
		}
	}
	if p.deps.Inbox != nil {
		days, err := p.deps.Inbox.DailyCounts(ctx, a.ID, time.Now(), chartDays)
		if err != nil {
			logger(c).Warn("dashboard: statistics", "err", err)
		} else {
			msgs := make([]DayValue, len(days))
			follows := make([]DayValue, len(days))
			for i, dc := range days {
				msgs[i] = DayValue{Day: dc.Day, A: dc.Messages}
				follows[i] = DayValue{Day: dc.Day, A: dc.Follows, B: dc.Unfollows}
				d.HasMessages = d.HasMessages || dc.Messages > 0
				d.HasFollows = d.HasFollows || dc.Follows > 0 || dc.Unfollows > 0
			}
			d.Today = stat{int64(days[len(days)-1].Messages), true}
			d.MessagesChart = barChart(t(c, "dashboard.chart.messages"), msgs, false)
			d.FollowsChart = barChart(t(c, "dashboard.chart.follows"), follows, true)
		}
	}
	d.Stats = p.statsSection(c, a)
	v.Data = d
	p.html(c, http.StatusOK, "console", v)
}

// The helpers below are shared by the console's pages.

// ready answers whether a capability the page needs is wired; when it is not, it shows why and answers
// false.
func (p *Pages) ready(c *gin.Context, ok bool) bool {
	if ok {
		return true
	}
	v := p.view(c, "error", "error.title")
	v.Error = t(c, "console.unavailable")
	p.html(c, http.StatusServiceUnavailable, "error", v)
	c.Abort()
	return false
}

// done confirms a change with a flash and sends the browser back (POST-redirect-GET).
func (p *Pages) done(c *gin.Context, to, key string, args ...any) {
	p.flash(c, "ok", t(c, key, args...))
	redirect(c, to)
}

// failed reports a failure with a flash and sends the browser back: for the small forms of a list's rows,
// whose page is better shown again than kept as it was posted.
func (p *Pages) failed(c *gin.Context, to string, err error) {
	status, _, _ := httpapi.Describe(err)
	if status >= 500 && status != http.StatusBadGateway && status != http.StatusGatewayTimeout {
		logger(c).Error("console action failed", "err", err)
	}
	p.flash(c, "error", errText(c, err))
	redirect(c, to)
}

// statusOf is the HTTP status a page answers a failed form with.
func statusOf(err error) int {
	status, _, _ := httpapi.Describe(err)
	return status
}

// errText is what an operator reads of an error, in the request's language.
func errText(c *gin.Context, err error) string {
	return localizedError(pickLang(c.Request), err)
}

// backTo answers the form's "back" field when it is a console page, else fallback: where to return after
// a POST, keeping the list's filters and page.
func backTo(c *gin.Context, fallback string) string {
	back := httpapi.SafeLocalPath(c.PostForm("back"), "")
	if back != "/console" && !strings.HasPrefix(back, "/console/") && !strings.HasPrefix(back, "/console?") {
		return fallback
	}
	return back
}

// queryInt reads a non-negative integer query parameter (def when absent or invalid), at most maxV.
func queryInt(c *gin.Context, key string, def, maxV int) int {
	n, err := strconv.Atoi(c.Query(key))
	if err != nil || n < 0 {
		return def
	}
	return min(n, maxV)
}

// pagerFor describes a page of a list; keep are the query parameters the links carry besides offset.
func pagerFor(offset, limit int, total int64, keep url.Values) Pager {
	clean := url.Values{}
	for k, vs := range keep {
		for _, v := range vs {
			if v != "" {
				clean.Add(k, v)
			}
		}
	}
	q := ""
	if len(clean) > 0 {
		q = "&" + clean.Encode()
	}
	return Pager{Offset: offset, Limit: limit, Total: int(total), Query: template.URL(q)} //nolint:gosec // url.Values.Encode output
}

// wantsJSON tells a script's request (Accept: application/json) from a browser's form post.
func wantsJSON(c *gin.Context) bool {
	return strings.Contains(c.GetHeader("Accept"), "application/json")
}

// logoURL is the stable address of an account's logo.
func logoURL(a *accounts.Account) string { return materials.LogoPath(a.AppID) }

package wxemu

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"time"
)

// WeChat's statistics API (datacube): six endpoints the console pulls, each a POST of
// {"begin_date":"YYYY-MM-DD","end_date":"YYYY-MM-DD"} answering {"list":[...]} with one or more rows per
// day. WeChat computes a day's figures overnight: the latest end_date is yesterday (Beijing time), and each
// endpoint accepts at most a few days at once (its MaxSpan). A date that does not parse is 61500; a range
// that is reversed, too long or reaches today is 61501.
//
// The sandbox's figures are made up, but from the account itself and deterministically: new followers per
// day are the followers the emulator holds (by subscription time and scene), plus a few who followed and
// left the same day; the cumulative count is the followers subscribed by the day's end; messages and
// callback calls scale with the audience and include the messages the simulator delivered; articles are
// "published" every few days and read for a week. The same account and day always answer the same numbers.

// Errors of the datacube endpoints.
const (
	codeBadDate   = 61500
	codeDateRange = 61501
)

// dcErr is a datacube error with WeChat's errmsg for it and a hint.
func dcErr(code int, hint string) *apiError {
	msg := "date format error"
	if code == codeDateRange {
		msg = "date range error"
	}
	if hint != "" {
		msg += " hint: [" + hint + "]"
	}
	return &apiError{Errcode: code, Errmsg: msg + " rid: " + newRID()}
}

// DatacubeSpans is the longest range, in days, each datacube endpoint accepts in one call. getusersummary,
// getusercumulate, getupstreammsg (7) and getinterfacesummary (30) are WeChat's documented spans. WeChat's
// pages of getarticleread and getbizsummary name no span and describe "a day's" figures: the emulator
// accepts one day, the smallest span a client must be ready for.
var DatacubeSpans = map[string]int{
	"getusersummary":      7,
	"getusercumulate":     7,
	"getupstreammsg":      7,
	"getinterfacesummary": 30,
	"getarticleread":      1,
	"getbizsummary":       1,
}

// beijing is WeChat's time zone: its statistics days are Beijing days (no daylight saving since 1991).
var beijing = time.FixedZone("CST", 8*3600)

// datacubeFirstDay is the first day WeChat keeps statistics for; earlier days answer no rows.
var datacubeFirstDay = time.Date(2014, 12, 1, 0, 0, 0, 0, beijing)

const dateLayout = "2006-01-02"

type dateRange struct {
	BeginDate string `json:"begin_date"`
	EndDate   string `json:"end_date"`
}

// datacube wraps the day-generator of one endpoint into its handler: the request checks WeChat makes, then
// one call of rows for each day of the range.
func (e *Emulator) datacube(name string, rows func(acc *account, day time.Time) []any, extra map[string]any) authed {
	span := DatacubeSpans[name]
	return func(w http.ResponseWriter, r *http.Request, appid string) {
		var req dateRange
		if ae := decodeJSON(readBody(r), &req); ae != nil {
			writeJSON(w, ae)
			return
		}
		begin, err1 := time.ParseInLocation(dateLayout, req.BeginDate, beijing)
		end, err2 := time.ParseInLocation(dateLayout, req.EndDate, beijing)
		if err1 != nil || err2 != nil {
			writeJSON(w, dcErr(codeBadDate, ""))
			return
		}
		y, m, d := e.now().In(beijing).Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, beijing)
		days := int(end.Sub(begin).Hours()/24) + 1
		switch {
		case end.Before(begin):
			writeJSON(w, dcErr(codeDateRange, "begin_date after end_date"))
			return
		case days > span:
			writeJSON(w, dcErr(codeDateRange, fmt.Sprintf("at most %d days", span)))
			return
		case !end.Before(today):
			writeJSON(w, dcErr(codeDateRange, "end_date must be yesterday or earlier"))
			return
		}
		list := []any{}
		e.mu.Lock()
		acc := e.account(appid)
		for day := begin; !day.After(end); day = day.AddDate(0, 0, 1) {
			if day.Before(datacubeFirstDay) {
				continue
			}
			list = append(list, rows(acc, day)...)
		}
		e.mu.Unlock()
		out := map[string]any{"list": list}
		for k, v := range extra {
			out[k] = v
		}
		writeJSON(w, out)
	}
}

// datacubeRoutes are the six endpoints, for the route table.
func (e *Emulator) datacubeRoutes() map[string]authed {
	delay := map[string]any{"is_delay": false}
	return map[string]authed{
		"/datacube/getusersummary":      e.datacube("getusersummary", userSummaryRows, nil),
		"/datacube/getusercumulate":     e.datacube("getusercumulate", userCumulateRows, nil),
		"/datacube/getupstreammsg":      e.datacube("getupstreammsg", upstreamMsgRows, nil),
		"/datacube/getinterfacesummary": e.datacube("getinterfacesummary", interfaceSummaryRows, nil),
		"/datacube/getarticleread":      e.datacube("getarticleread", articleReadRows, delay),
		"/datacube/getbizsummary":       e.datacube("getbizsummary", bizSummaryRows, delay),
	}
}

// noise answers a deterministic number in [0, n) for an account, a day and a purpose.
func (acc *account) noise(day time.Time, what string, n int) int {
	if n <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(acc.AppID))
	_, _ = h.Write([]byte(what))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(day.Unix()))
	_, _ = h.Write(b[:])
	return int(h.Sum64() % uint64(n))
}

// active reports whether the account existed on day: from the day its first follower subscribed.
func (acc *account) active(day time.Time) bool {
	if len(acc.order) == 0 {
		return false
	}
	first := time.Unix(acc.order[0].SubscribeTime, 0).In(beijing)
	return !day.Before(time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, beijing))
}

// subscribedBy counts the current followers subscribed before t.
func (acc *account) subscribedBy(t time.Time) int {
	// acc.order is in subscription order: times ascend.
	return sort.Search(len(acc.order), func(i int) bool { return acc.order[i].SubscribeTime >= t.Unix() })
}

// sceneSource maps a follower's subscribe_scene to the user_source code of getusersummary.
var sceneSource = map[string]int{
	"ADD_SCENE_SEARCH": 1, "ADD_SCENE_PROFILE_CARD": 17, "ADD_SCENE_QR_CODE": 30, "ADD_SCENE_PROFILE_LINK": 57,
	"ADD_SCENE_PROFILE_ITEM": 57, "ADD_SCENE_WECHAT_ADVERTISEMENT": 100, "ADD_SCENE_REPRINT": 161,
	"ADD_SCENE_CHANNELS": 200, "ADD_SCENE_LIVESTREAM": 201,
}

type userSummaryRow struct {
	RefDate    string `json:"ref_date"`
	UserSource int    `json:"user_source"`
	NewUser    int    `json:"new_user"`
	CancelUser int    `json:"cancel_user"`
}

// churn is how many people followed on day and left the same day: they add to new_user and cancel_user
// alike, so the cumulative count stays the followers the emulator holds.
func (acc *account) churn(day time.Time) int {
	return acc.noise(day, "churn", 4)
}

func userSummaryRows(acc *account, day time.Time) []any {
	if !acc.active(day) {
		return nil
	}
	next := day.AddDate(0, 0, 1)
	bySource := map[int]int{}
	for _, f := range acc.order {
		if f.SubscribeTime >= day.Unix() && f.SubscribeTime < next.Unix() {
			bySource[sceneSource[f.SubscribeScene]]++
		}
	}
	churn := acc.churn(day)
	var out []any
	if churn > 0 || bySource[0] > 0 {
		out = append(out, userSummaryRow{day.Format(dateLayout), 0, bySource[0] + churn, churn})
	}
	for _, src := range []int{1, 17, 30, 57, 100, 161, 200, 201} {
		if n := bySource[src]; n > 0 {
			out = append(out, userSummaryRow{day.Format(dateLayout), src, n, 0})
		}
	}
	return out
}

type userCumulateRow struct {
	RefDate      string `json:"ref_date"`
	CumulateUser int    `json:"cumulate_user"`
}

func userCumulateRows(acc *account, day time.Time) []any {
	if !acc.active(day) {
		return nil
	}
	return []any{userCumulateRow{day.Format(dateLayout), acc.subscribedBy(day.AddDate(0, 0, 1))}}
}

type upstreamMsgRow struct {
	RefDate  string `json:"ref_date"`
	MsgType  int    `json:"msg_type"`
	MsgUser  int    `json:"msg_user"`
	MsgCount int    `json:"msg_count"`
}

// chatty is how many followers wrote to the account on day: 2 to 6 % of them, at least the ones the
// simulator sent as.
func (acc *account) chatty(day time.Time) (users, texts int) {
	audience := acc.subscribedBy(day.AddDate(0, 0, 1))
	users = audience * (2 + acc.noise(day, "msguser", 5)) / 100
	texts = users + users*acc.noise(day, "msgcount", 3)/2
	sim := acc.delivered[day.Format(dateLayout)]
	return users + min(sim, 1), texts + sim
}

func upstreamMsgRows(acc *account, day time.Time) []any {
	if !acc.active(day) {
		return nil
	}
	users, texts := acc.chatty(day)
	if texts == 0 {
		return nil
	}
	ref := day.Format(dateLayout)
	out := []any{upstreamMsgRow{ref, 1, users, texts}}
	if img := texts / 5; img > 0 {
		out = append(out, upstreamMsgRow{ref, 2, max(1, users/5), img})
	}
	if voice := acc.noise(day, "voice", 3) * texts / 10; voice > 0 {
		out = append(out, upstreamMsgRow{ref, 3, max(1, users/10), voice})
	}
	return out
}

type interfaceSummaryRow struct {
	RefDate       string `json:"ref_date"`
	CallbackCount int    `json:"callback_count"`
	FailCount     int    `json:"fail_count"`
	TotalTimeCost int64  `json:"total_time_cost"`
	MaxTimeCost   int    `json:"max_time_cost"`
}

func interfaceSummaryRows(acc *account, day time.Time) []any {
	if !acc.active(day) {
		return nil
	}
	_, texts := acc.chatty(day)
	calls := texts + texts/5 + 2*acc.churn(day) + acc.noise(day, "events", 6)
	if calls == 0 {
		return nil
	}
	fails := 0
	if acc.noise(day, "failday", 5) == 0 {
		fails = 1 + acc.noise(day, "fails", max(1, calls/20))
	}
	avg := 30 + acc.noise(day, "avg", 90)
	return []any{interfaceSummaryRow{day.Format(dateLayout), calls, fails, int64(calls * avg),
		avg*2 + acc.noise(day, "max", 800)}}
}

// An article is "published" on a day whose number is a multiple of publishEvery, and read for a week.
const (
	publishEvery = 3
	readDays     = 7
)

type readSource struct {
	UserSource int `json:"user_source"`
	ReadUser   int `json:"read_user"`
}

type readDetail struct {
	ReadUser       int          `json:"read_user"`
	ReadUserSource []readSource `json:"read_user_source"`
}

type articleReadRow struct {
	RefDate string     `json:"ref_date"`
	MsgID   string     `json:"msgid"`
	Detail  readDetail `json:"detail"`
}

// sources splits readers by where they came from: 99999999 is "all", 0 the chat, 1 friends' shares, 2
// Moments, 4 the history page, 6 Top Stories ("看一看"), 7 search.
func sources(acc *account, day time.Time, salt string, total int) []readSource {
	out := []readSource{{99999999, total}}
	rest := total
	for _, src := range []int{0, 1, 2, 4, 6} {
		n := rest * (20 + acc.noise(day, salt+fmt.Sprint(src), 30)) / 100
		out = append(out, readSource{src, n})
		rest -= n
	}
	return append(out, readSource{7, rest})
}

// articlesRead answers the articles read on day, with their readers.
func (acc *account) articlesRead(day time.Time) []articleReadRow {
	audience := acc.subscribedBy(day.AddDate(0, 0, 1))
	var out []articleReadRow
	for age := 0; age < readDays; age++ {
		pub := day.AddDate(0, 0, -age)
		n := pub.Unix() / 86400
		if n%publishEvery != 0 || !acc.active(pub) {
			continue
		}
		readers := audience * (12 + acc.noise(pub, "reach", 20)) / 100 / (age + 1)
		readers += acc.noise(day, "strangers"+fmt.Sprint(n), 4)
		if readers == 0 {
			continue
		}
		msgid := fmt.Sprintf("%d_%d", 2247480000+n, 1)
		out = append(out, articleReadRow{day.Format(dateLayout), msgid,
			readDetail{readers, sources(acc, day, msgid, readers)}})
	}
	return out
}

func articleReadRows(acc *account, day time.Time) []any {
	var out []any
	for _, r := range acc.articlesRead(day) {
		out = append(out, r)
	}
	return out
}

type bizDetail struct {
	ReadUser       int          `json:"read_user"`
	ReadUserSource []readSource `json:"read_user_source"`
	ShareUser      int          `json:"share_user"`
	ZaikanUser     int          `json:"zaikan_user"`
	LikeUser       int          `json:"like_user"`
	CommentCount   int          `json:"comment_count"`
}

type bizSummaryRow struct {
	RefDate string    `json:"ref_date"`
	Detail  bizDetail `json:"detail"`
}

func bizSummaryRows(acc *account, day time.Time) []any {
	if !acc.active(day) {
		return nil
	}
	sum := 0
	for _, r := range acc.articlesRead(day) {
		sum += r.Detail.ReadUser
	}
	// Some readers read more than one article: distinct readers are 70 to 100 % of the articles' readers.
	readers := sum * (70 + acc.noise(day, "distinct", 31)) / 100
	return []any{bizSummaryRow{day.Format(dateLayout), bizDetail{
		ReadUser: readers, ReadUserSource: sources(acc, day, "biz", readers),
		ShareUser: readers * (3 + acc.noise(day, "share", 8)) / 100, ZaikanUser: readers * acc.noise(day, "zaikan", 5) / 100,
		LikeUser: readers * (1 + acc.noise(day, "like", 6)) / 100, CommentCount: readers * acc.noise(day, "comment", 3) / 100,
	}}}
}

// countDelivered notes a message the simulator delivered, for getupstreammsg. The caller holds e.mu.
func (acc *account) countDelivered(at time.Time) {
	if acc.delivered == nil {
		acc.delivered = map[string]int{}
	}
	acc.delivered[at.In(beijing).Format(dateLayout)]++
}

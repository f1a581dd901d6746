package wxclient

import (
	"context"
	"encoding/json"
	"time"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// WeChat's statistics API (datacube). Every endpoint is a POST of {"begin_date","end_date"} (YYYY-MM-DD,
// Beijing days, end_date at most yesterday) answering {"list": [...]}, rows named as WeChat names them.
// A bad date is 61500, a range that is reversed, too long or reaches today is 61501.

// Datacube endpoints the console pulls.
const (
	DatacubeUserSummary      = "getusersummary"
	DatacubeUserCumulate     = "getusercumulate"
	DatacubeUpstreamMsg      = "getupstreammsg"
	DatacubeInterfaceSummary = "getinterfacesummary"
	DatacubeArticleRead      = "getarticleread"
	DatacubeBizSummary       = "getbizsummary"
)

// DatacubeSpans is the most days each endpoint answers in one call. The first four are WeChat's
// documented spans; WeChat documents none for getarticleread and getbizsummary, whose pages describe one
// day's figures, so the console asks them one day at a time.
var DatacubeSpans = map[string]int{
	DatacubeUserSummary:      7,
	DatacubeUserCumulate:     7,
	DatacubeUpstreamMsg:      7,
	DatacubeInterfaceSummary: 30,
	DatacubeArticleRead:      1,
	DatacubeBizSummary:       1,
}

// Datacube errcodes.
const (
	CodeBadDate   = 61500 // date format error
	CodeDateRange = 61501 // date range error: reversed, over the span, or not before today
)

// DateLayout is the format of begin_date, end_date and ref_date.
const DateLayout = "2006-01-02"

type dateRange struct {
	BeginDate string `json:"begin_date"`
	EndDate   string `json:"end_date"`
}

// UserSummary is a row of getusersummary: follows (new_user) and unfollows (cancel_user) of a day from one
// source (user_source: 0 other, 1 search, 17 card shared, 30 QR code, 57 account name in an article, 100
// ads, 161 reprint, 149 mini program, 200 channels, 201 live …). A day without changes has no row.
type UserSummary struct {
	RefDate    string `json:"ref_date"`
	UserSource int    `json:"user_source"`
	NewUser    int    `json:"new_user"`
	CancelUser int    `json:"cancel_user"`
}

// UserCumulate is a row of getusercumulate: the followers at the end of the day.
type UserCumulate struct {
	RefDate      string `json:"ref_date"`
	CumulateUser int    `json:"cumulate_user"`
}

// UpstreamMsg is a row of getupstreammsg: the users who wrote to the account and their messages, per type
// (msg_type 1 text, 2 image, 3 voice, 4 video, 6 third-party app message such as a link).
type UpstreamMsg struct {
	RefDate  string `json:"ref_date"`
	MsgType  int    `json:"msg_type"`
	MsgUser  int    `json:"msg_user"`
	MsgCount int    `json:"msg_count"`
}

// InterfaceSummary is a row of getinterfacesummary: WeChat's calls to the account's callback, the failed
// ones, and their total and longest times in milliseconds.
type InterfaceSummary struct {
	RefDate       string `json:"ref_date"`
	CallbackCount int    `json:"callback_count"`
	FailCount     int    `json:"fail_count"`
	TotalTimeCost int64  `json:"total_time_cost"`
	MaxTimeCost   int    `json:"max_time_cost"`
}

// ReadSource is one entry of read_user_source: readers by where they came from (99999999 all, 0 chat,
// 1 friends, 2 Moments, 4 history page, 5 other, 6 Top Stories, 7 search).
type ReadSource struct {
	UserSource int `json:"user_source"`
	ReadUser   int `json:"read_user"`
}

// ArticleDetail is the detail of a getarticleread row. Raw is the detail as WeChat sent it, kept whole.
type ArticleDetail struct {
	ReadUser       int             `json:"read_user"`
	ReadUserSource []ReadSource    `json:"read_user_source"`
	Raw            json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps the raw detail beside the fields the console reads.
func (d *ArticleDetail) UnmarshalJSON(b []byte) error {
	type plain ArticleDetail
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*d = ArticleDetail(p)
	d.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// ArticleRead is a row of getarticleread: one published article (msgid "<msg_data_id>_<index>") read on
// the day.
type ArticleRead struct {
	RefDate string        `json:"ref_date"`
	MsgID   string        `json:"msgid"`
	Detail  ArticleDetail `json:"detail"`
}

// BizDetail is the detail of a getbizsummary row. Raw is the detail as WeChat sent it, kept whole.
type BizDetail struct {
	ReadUser       int             `json:"read_user"`
	ReadUserSource []ReadSource    `json:"read_user_source"`
	ShareUser      int             `json:"share_user"`
	ZaikanUser     int             `json:"zaikan_user"`
	LikeUser       int             `json:"like_user"`
	CommentCount   int             `json:"comment_count"`
	Raw            json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps the raw detail beside the fields the console reads.
func (d *BizDetail) UnmarshalJSON(b []byte) error {
	type plain BizDetail
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*d = BizDetail(p)
	d.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// BizSummary is a row of getbizsummary: the day's overview of the account's published content.
type BizSummary struct {
	RefDate string    `json:"ref_date"`
	Detail  BizDetail `json:"detail"`
}

// DatacubeList is an answer of the datacube: its rows, and whether WeChat says they are not final yet
// (is_delay, sent by getarticleread and getbizsummary).
type DatacubeList[T any] struct {
	List    []T  `json:"list"`
	IsDelay bool `json:"is_delay"`
}

// datacube calls POST /datacube/{endpoint} for the days begin to end (their dates are used as they are).
func datacube[T any](ctx context.Context, c *Client, appid, endpoint string, begin, end time.Time) (DatacubeList[T], error) {
	var out DatacubeList[T]
	if end.Before(begin) {
		return out, apperr.Invalidf("end_date", "must not be before begin_date").WithKey("wxclient.err.date_order", "end_date")
	}
	body := dateRange{BeginDate: begin.Format(DateLayout), EndDate: end.Format(DateLayout)}
	err := c.do(ctx, appid, request{method: "POST", path: "/datacube/" + endpoint, body: body, auth: true}, &out)
	return out, err
}

// UserSummary calls datacube/getusersummary (at most 7 days).
func (c *Client) UserSummary(ctx context.Context, appid string, begin, end time.Time) (DatacubeList[UserSummary], error) {
	return datacube[UserSummary](ctx, c, appid, DatacubeUserSummary, begin, end)
}

// UserCumulate calls datacube/getusercumulate (at most 7 days).
func (c *Client) UserCumulate(ctx context.Context, appid string, begin, end time.Time) (DatacubeList[UserCumulate], error) {
	return datacube[UserCumulate](ctx, c, appid, DatacubeUserCumulate, begin, end)
}

// UpstreamMsg calls datacube/getupstreammsg (at most 7 days).
func (c *Client) UpstreamMsg(ctx context.Context, appid string, begin, end time.Time) (DatacubeList[UpstreamMsg], error) {
	return datacube[UpstreamMsg](ctx, c, appid, DatacubeUpstreamMsg, begin, end)
}

// InterfaceSummary calls datacube/getinterfacesummary (at most 30 days).
func (c *Client) InterfaceSummary(ctx context.Context, appid string, begin, end time.Time) (DatacubeList[InterfaceSummary], error) {
	return datacube[InterfaceSummary](ctx, c, appid, DatacubeInterfaceSummary, begin, end)
}

// ArticleRead calls datacube/getarticleread.
func (c *Client) ArticleRead(ctx context.Context, appid string, begin, end time.Time) (DatacubeList[ArticleRead], error) {
	return datacube[ArticleRead](ctx, c, appid, DatacubeArticleRead, begin, end)
}

// BizSummary calls datacube/getbizsummary.
func (c *Client) BizSummary(ctx context.Context, appid string, begin, end time.Time) (DatacubeList[BizSummary], error) {
	return datacube[BizSummary](ctx, c, appid, DatacubeBizSummary, begin, end)
}

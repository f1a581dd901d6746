package wxclient

import (
	"context"
	"net/url"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Batch sizes WeChat accepts (its documentation of each call); callers chunk larger lists.
const (
	MaxUserInfoBatch  = 100 // user/info/batchget
	MaxTaggingBatch   = 50  // tags/members/batchtagging and batchuntagging
	MaxBlacklistBatch = 20  // tags/members/batchblacklist and batchunblacklist
	MaxRemarkLength   = 30  // characters of user/info/updateremark
)

// Languages of user/info and sns/userinfo.
const (
	LangZhCN = "zh_CN"
	LangZhTW = "zh_TW"
	LangEN   = "en"
)

// OpenIDList is the "data" of WeChat's follower lists.
type OpenIDList struct {
	OpenID []string `json:"openid"`
}

// FollowerList is a page of user/get, user/tag/get or tags/members/getblacklist. NextOpenID continues;
// a page with Count 0 (or an empty NextOpenID) is the last.
type FollowerList struct {
	Total      int        `json:"total"` // not sent by user/tag/get
	Count      int        `json:"count"`
	Data       OpenIDList `json:"data"`
	NextOpenID string     `json:"next_openid"`
}

// UserInfo is a follower as cgi-bin/user/info describes them. Since December 2021 WeChat leaves
// nickname, sex, city, province, country and headimgurl empty here: web OAuth (snsapi_userinfo) is the
// only source of profiles.
type UserInfo struct {
	Subscribe      int    `json:"subscribe"` // 0: not following (only openid and unionid are set)
	OpenID         string `json:"openid"`
	Nickname       string `json:"nickname,omitempty"`
	Sex            int    `json:"sex,omitempty"`
	Language       string `json:"language"`
	City           string `json:"city,omitempty"`
	Province       string `json:"province,omitempty"`
	Country        string `json:"country,omitempty"`
	HeadImgURL     string `json:"headimgurl,omitempty"`
	SubscribeTime  int64  `json:"subscribe_time"`
	UnionID        string `json:"unionid,omitempty"`
	Remark         string `json:"remark"`
	GroupID        int    `json:"groupid"`
	TagIDList      []int  `json:"tagid_list"`
	SubscribeScene string `json:"subscribe_scene"`
	QRScene        int64  `json:"qr_scene"`
	QRSceneStr     string `json:"qr_scene_str"`
}

// UserQuery is one entry of user/info/batchget.
type UserQuery struct {
	OpenID string `json:"openid"`
	Lang   string `json:"lang,omitempty"`
}

// BatchUserInfoRequest is the body of user/info/batchget.
type BatchUserInfoRequest struct {
	UserList []UserQuery `json:"user_list"`
}

// BatchUserInfoResponse is its answer.
type BatchUserInfoResponse struct {
	UserInfoList []UserInfo `json:"user_info_list"`
}

// RemarkRequest is the body of user/info/updateremark.
type RemarkRequest struct {
	OpenID string `json:"openid"`
	Remark string `json:"remark"`
}

// Followers calls GET cgi-bin/user/get: up to 10,000 openids after nextOpenID ("" from the start).
func (c *Client) Followers(ctx context.Context, appid, nextOpenID string) (FollowerList, error) {
	var out FollowerList
	q := url.Values{"next_openid": {nextOpenID}}
	err := c.do(ctx, appid, request{method: "GET", path: "/cgi-bin/user/get", query: q, auth: true}, &out)
	return out, err
}

// UserInfo calls GET cgi-bin/user/info for one follower; lang is zh_CN (default), zh_TW or en.
func (c *Client) UserInfo(ctx context.Context, appid, openid, lang string) (UserInfo, error) {
	if openid == "" {
		return UserInfo{}, apperr.Missing("openid")
	}
	lang, err := checkLang(lang)
	if err != nil {
		return UserInfo{}, err
	}
	var out UserInfo
	q := url.Values{"openid": {openid}, "lang": {lang}}
	err = c.do(ctx, appid, request{method: "GET", path: "/cgi-bin/user/info", query: q, auth: true}, &out)
	return out, err
}

// BatchUserInfo calls POST cgi-bin/user/info/batchget for 1 to 100 followers, in one language.
func (c *Client) BatchUserInfo(ctx context.Context, appid string, openids []string, lang string) ([]UserInfo, error) {
	if err := checkOpenIDs("user_list", openids, MaxUserInfoBatch); err != nil {
		return nil, err
	}
	lang, err := checkLang(lang)
	if err != nil {
		return nil, err
	}
	body := BatchUserInfoRequest{UserList: make([]UserQuery, len(openids))}
	for i, o := range openids {
		body.UserList[i] = UserQuery{OpenID: o, Lang: lang}
	}
	var out BatchUserInfoResponse
	err = c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/user/info/batchget", body: body, auth: true}, &out)
	return out.UserInfoList, err
}

// UpdateRemark calls POST cgi-bin/user/info/updateremark; an empty remark clears it. WeChat allows it
// for verified service accounts only (48001 otherwise).
func (c *Client) UpdateRemark(ctx context.Context, appid, openid, remark string) error {
	if openid == "" {
		return apperr.Missing("openid")
	}
	if utf8.RuneCountInString(remark) > MaxRemarkLength {
		return apperr.Invalidf("remark", "must be at most %d characters", MaxRemarkLength).WithKey("err.field.max_chars", "remark", MaxRemarkLength)
	}
	body := RemarkRequest{OpenID: openid, Remark: remark}
	return c.do(ctx, appid, request{method: "POST", path: "/cgi-bin/user/info/updateremark", body: body, auth: true}, nil)
}

func checkLang(lang string) (string, error) {
	switch lang {
	case "":
		return LangZhCN, nil
	case LangZhCN, LangZhTW, LangEN:
		return lang, nil
	}
	return "", apperr.Invalidf("lang", "must be %s, %s or %s", LangZhCN, LangZhTW, LangEN).WithKey("err.field.one_of3", "lang", LangZhCN, LangZhTW, LangEN)
}

func checkOpenIDs(field string, openids []string, limit int) error {
	if len(openids) == 0 {
		return apperr.Missing(field)
	}
	if len(openids) > limit {
		return apperr.Invalidf(field, "at most %d openids per call", limit).WithKey("wxclient.err.openids", field, limit)
	}
	for _, o := range openids {
		if o == "" {
			return apperr.Invalidf(field, "holds an empty openid").WithKey("wxclient.err.openid_empty", field)
		}
	}
	return nil
}

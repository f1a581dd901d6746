package wxemu

import (
	"net/http"
	"slices"
	"unicode/utf8"
)

// userPageSize is how many openids user/get, user/tag/get and getblacklist answer per call.
const userPageSize = 10000

type openidList struct {
	OpenID []string `json:"openid"`
}

// userListResp is the answer of cgi-bin/user/get. On the call after the last page (count 0) WeChat
// leaves out data and answers an empty next_openid.
type userListResp struct {
	Total      int         `json:"total"`
	Count      int         `json:"count"`
	Data       *openidList `json:"data,omitempty"`
	NextOpenID string      `json:"next_openid"`
}

// handleUserGet serves GET /cgi-bin/user/get?next_openid=: subscribed followers in subscription order,
// 10,000 per call, starting after next_openid. next_openid is the last openid of the page, also on the
// last page; the call after it answers count 0 and an empty next_openid.
func (e *Emulator) handleUserGet(w http.ResponseWriter, r *http.Request, appid string) {
	next := r.URL.Query().Get("next_openid")
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	start := 0
	if next != "" {
		f := acc.subscribed(next)
		if f == nil {
			writeJSON(w, wxErr(codeInvalidOpenID))
			return
		}
		start = acc.position(f.seq) + 1
	}
	end := min(start+userPageSize, len(acc.order))
	resp := userListResp{Total: len(acc.order)}
	if start < end {
		ids := make([]string, 0, end-start)
		for _, f := range acc.order[start:end] {
			ids = append(ids, f.OpenID)
		}
		resp.Count = len(ids)
		resp.Data = &openidList{OpenID: ids}
		resp.NextOpenID = ids[len(ids)-1]
	}
	writeJSON(w, resp)
}

// userInfo is WeChat's user/info answer for a subscribed user.
type userInfo struct {
	Subscribe      int    `json:"subscribe"`
	OpenID         string `json:"openid"`
	Nickname       string `json:"nickname"`
	Sex            int    `json:"sex"`
	Language       string `json:"language"`
	City           string `json:"city"`
	Province       string `json:"province"`
	Country        string `json:"country"`
	HeadImgURL     string `json:"headimgurl"`
	SubscribeTime  int64  `json:"subscribe_time"`
	Remark         string `json:"remark"`
	GroupID        int    `json:"groupid"`
	TagIDList      []int  `json:"tagid_list"`
	SubscribeScene string `json:"subscribe_scene"`
	QRScene        int64  `json:"qr_scene"`
	QRSceneStr     string `json:"qr_scene_str"`
}

// unsubscribedInfo is what WeChat says of a user who no longer follows the account.
type unsubscribedInfo struct {
	Subscribe int    `json:"subscribe"`
	OpenID    string `json:"openid"`
}

// info renders f as user/info does. The caller holds e.mu.
func (e *Emulator) info(f *follower) any {
	if !f.Subscribed {
		return unsubscribedInfo{OpenID: f.OpenID}
	}
	u := userInfo{
		Subscribe:      1,
		OpenID:         f.OpenID,
		Nickname:       f.Nickname,
		Sex:            f.Sex,
		Language:       f.Language,
		City:           f.City,
		Province:       f.Province,
		Country:        f.Country,
		HeadImgURL:     f.HeadImgURL,
		SubscribeTime:  f.SubscribeTime,
		Remark:         f.Remark,
		TagIDList:      slices.Clone(f.TagIDs),
		SubscribeScene: f.SubscribeScene,
		QRScene:        f.QRScene,
		QRSceneStr:     f.QRSceneStr,
	}
	if u.TagIDList == nil {
		u.TagIDList = []int{}
	}
	if e.opts.ProfilelessUserInfo {
		u.Nickname, u.Sex, u.City, u.Province, u.Country, u.HeadImgURL = "", 0, "", "", "", ""
	}
	return u
}

// handleUserInfo serves GET /cgi-bin/user/info?openid=&lang=.
func (e *Emulator) handleUserInfo(w http.ResponseWriter, r *http.Request, appid string) {
	openid := r.URL.Query().Get("openid")
	if openid == "" {
		writeJSON(w, wxErr(codeMissingOpenID))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.account(appid).followers[openid]
	if f == nil {
		writeJSON(w, wxErr(codeInvalidOpenID))
		return
	}
	writeJSON(w, e.info(f))
}

// handleUserBatchGet serves POST /cgi-bin/user/info/batchget {"user_list":[{"openid","lang"}]}, at most
// 100 users. An empty or longer list is 40032 "invalid openid list size": WeChat's docs state the limit
// but no code, and 40032 is WeChat's code for openid lists of a wrong size elsewhere.
func (e *Emulator) handleUserBatchGet(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		UserList []struct {
			OpenID string `json:"openid"`
			Lang   string `json:"lang"`
		} `json:"user_list"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	if len(req.UserList) == 0 || len(req.UserList) > 100 {
		writeJSON(w, wxErr(codeInvalidOpenIDList))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	list := make([]any, 0, len(req.UserList))
	for _, u := range req.UserList {
		f := acc.followers[u.OpenID]
		if f == nil {
			writeJSON(w, wxErr(codeInvalidOpenID))
			return
		}
		list = append(list, e.info(f))
	}
	writeJSON(w, struct {
		UserInfoList []any `json:"user_info_list"`
	}{list})
}

// maxRemarkChars is the limit on a remark as WeChat's documentation and the contract state it: 30
// characters, answering 40092 beyond. (Some reports say WeChat counts bytes; the console follows the
// documented rule, so the emulator does too.)
const maxRemarkChars = 30

// handleUpdateRemark serves POST /cgi-bin/user/info/updateremark {"openid","remark"}.
func (e *Emulator) handleUpdateRemark(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		OpenID string `json:"openid"`
		Remark string `json:"remark"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	if req.OpenID == "" {
		writeJSON(w, wxErr(codeMissingOpenID))
		return
	}
	if utf8.RuneCountInString(req.Remark) > maxRemarkChars {
		writeJSON(w, wxErr(codeInvalidRemark, randString(alnum, 14)))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.account(appid).subscribed(req.OpenID)
	if f == nil {
		writeJSON(w, wxErr(codeInvalidOpenID))
		return
	}
	f.Remark = req.Remark
	writeJSON(w, okResp)
}

// openidPage pages a filtered follower list as user/tag/get and getblacklist do: after is the last
// openid of the previous page ("" for the first). An openid not in the list is 40003.
func openidPage(list []*follower, after string) (ids []string, next string, ae *apiError) {
	start := 0
	if after != "" {
		i := slices.IndexFunc(list, func(f *follower) bool { return f.OpenID == after })
		if i < 0 {
			return nil, "", wxErr(codeInvalidOpenID)
		}
		start = i + 1
	}
	end := min(start+userPageSize, len(list))
	for _, f := range list[start:max(start, end)] {
		ids = append(ids, f.OpenID)
	}
	if len(ids) > 0 {
		next = ids[len(ids)-1]
	}
	return ids, next, nil
}

package wxemu

import (
	"net/http"
	"slices"
	"sort"
)

// Tag is a user tag of an account as tags/get shows it. Id 2 (星标组) is WeChat's reserved star tag and is
// listed; 0 (未分组) and 1 (the blacklist) are reserved too but never listed: the blacklist has its own calls.
type Tag struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

const (
	starTagID      = 2
	firstUserTagID = 100 // WeChat numbers created tags from 100
	maxUserTags    = 100
	maxTagBytes    = 30
	maxTagsPerUser = 20
	maxTaggingList = 50
	maxBlackList   = 20
	maxDeleteFans  = 100000
)

// Tags returns the tags of appid as tags/get lists them, by id.
func (e *Emulator) Tags(appid string) []Tag {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		return acc.tagList()
	}
	return nil
}

func (acc *account) tagList() []Tag {
	out := make([]Tag, 0, len(acc.tags))
	for _, t := range acc.tags {
		out = append(out, Tag{ID: t.ID, Name: t.Name, Count: t.Count})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// addTags and dropTags keep tag counts right as a follower's tags or subscription change.
func (acc *account) addTags(ids []int) {
	for _, id := range ids {
		if t := acc.tags[id]; t != nil {
			t.Count++
		}
	}
}

func (acc *account) dropTags(ids []int) {
	for _, id := range ids {
		if t := acc.tags[id]; t != nil && t.Count > 0 {
			t.Count--
		}
	}
}

type tagBody struct {
	Tag struct {
		ID   *int   `json:"id"`
		Name string `json:"name"`
	} `json:"tag"`
}

// checkTagName validates a new name: empty or taken 45157, over 30 bytes 45158. The caller holds e.mu.
func (acc *account) checkTagName(name string, self int) *apiError {
	if name == "" {
		return wxErr(codeInvalidTagName)
	}
	if len(name) > maxTagBytes {
		return wxErr(codeTagNameTooLong)
	}
	if name == "未分组" || name == "黑名单" {
		return wxErr(codeInvalidTagName)
	}
	for _, t := range acc.tags {
		if t.Name == name && t.ID != self {
			return wxErr(codeInvalidTagName)
		}
	}
	return nil
}

// handleTagCreate serves POST /cgi-bin/tags/create {"tag":{"name":"广东"}} → {"tag":{"id":134,"name":"广东"}}.
func (e *Emulator) handleTagCreate(w http.ResponseWriter, r *http.Request, appid string) {
	var req tagBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if ae := acc.checkTagName(req.Tag.Name, -1); ae != nil {
		writeJSON(w, ae)
		return
	}
	if len(acc.tags)-1 >= maxUserTags { // the star tag does not count
		writeJSON(w, wxErr(codeTooManyTags))
		return
	}
	t := &Tag{ID: acc.nextTagID, Name: req.Tag.Name}
	acc.nextTagID++
	acc.tags[t.ID] = t
	writeJSON(w, map[string]any{"tag": struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}{t.ID, t.Name}})
}

// handleTagsGet serves GET /cgi-bin/tags/get → {"tags":[{"id","name","count"}]}.
func (e *Emulator) handleTagsGet(w http.ResponseWriter, r *http.Request, appid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	writeJSON(w, map[string]any{"tags": e.account(appid).tagList()})
}

// userTag resolves the id of a tag the account may edit: 0, 1 and 2 are 45058, unknown ids 45159, a
// missing id 44002.
func (acc *account) userTag(id *int) (*Tag, *apiError) {
	if id == nil {
		return nil, wxErr(codeEmptyPost)
	}
	if *id >= 0 && *id <= starTagID {
		return nil, wxErr(codeSysTag)
	}
	t := acc.tags[*id]
	if t == nil {
		return nil, wxErr(codeInvalidTagID)
	}
	return t, nil
}

// handleTagUpdate serves POST /cgi-bin/tags/update {"tag":{"id":134,"name":"广东人"}}.
func (e *Emulator) handleTagUpdate(w http.ResponseWriter, r *http.Request, appid string) {
	var req tagBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	t, ae := acc.userTag(req.Tag.ID)
	if ae == nil {
		ae = acc.checkTagName(req.Tag.Name, t.ID)
	}
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	t.Name = req.Tag.Name
	writeJSON(w, okResp)
}

// handleTagDelete serves POST /cgi-bin/tags/delete {"tag":{"id":134}}; the tag leaves every follower.
// A tag with more than 100,000 followers cannot be deleted (45057), as on WeChat.
func (e *Emulator) handleTagDelete(w http.ResponseWriter, r *http.Request, appid string) {
	var req tagBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	t, ae := acc.userTag(req.Tag.ID)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	if t.Count > maxDeleteFans {
		writeJSON(w, wxErr(codeTagTooManyFans))
		return
	}
	for _, f := range acc.followers {
		f.TagIDs = slices.DeleteFunc(f.TagIDs, func(id int) bool { return id == t.ID })
	}
	delete(acc.tags, t.ID)
	writeJSON(w, okResp)
}

type taggingBody struct {
	OpenIDList []string `json:"openid_list"`
	TagID      int      `json:"tagid"`
}

// taggingTargets validates a batch (un)tagging: 1..50 openids (40032), a taggable tag (45159: created
// tags and the star tag 2; not 0 or 1), subscribed followers (40003). The caller holds e.mu.
func (acc *account) taggingTargets(req taggingBody) ([]*follower, *apiError) {
	if len(req.OpenIDList) == 0 || len(req.OpenIDList) > maxTaggingList {
		return nil, wxErr(codeInvalidOpenIDList)
	}
	if acc.tags[req.TagID] == nil {
		return nil, wxErr(codeInvalidTagID)
	}
	fs := make([]*follower, 0, len(req.OpenIDList))
	for _, id := range req.OpenIDList {
		f := acc.subscribed(id)
		if f == nil {
			return nil, wxErr(codeInvalidOpenID)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// handleBatchTagging serves POST /cgi-bin/tags/members/batchtagging {"openid_list":[...],"tagid":134}.
// All or nothing: a follower who would carry more than 20 tags fails the whole call with 45059.
func (e *Emulator) handleBatchTagging(w http.ResponseWriter, r *http.Request, appid string) {
	var req taggingBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	fs, ae := acc.taggingTargets(req)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	for _, f := range fs {
		if !slices.Contains(f.TagIDs, req.TagID) && len(f.TagIDs) >= maxTagsPerUser {
			writeJSON(w, wxErr(codeUserTooManyTags))
			return
		}
	}
	for _, f := range fs {
		if !slices.Contains(f.TagIDs, req.TagID) {
			f.TagIDs = append(f.TagIDs, req.TagID)
			acc.addTags([]int{req.TagID})
		}
	}
	writeJSON(w, okResp)
}

// handleBatchUntagging serves POST /cgi-bin/tags/members/batchuntagging {"openid_list":[...],"tagid":134}.
func (e *Emulator) handleBatchUntagging(w http.ResponseWriter, r *http.Request, appid string) {
	var req taggingBody
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	fs, ae := acc.taggingTargets(req)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	for _, f := range fs {
		if i := slices.Index(f.TagIDs, req.TagID); i >= 0 {
			f.TagIDs = slices.Delete(f.TagIDs, i, i+1)
			acc.dropTags([]int{req.TagID})
		}
	}
	writeJSON(w, okResp)
}

// handleTagIDList serves POST /cgi-bin/tags/getidlist {"openid"} → {"tagid_list":[...]}.
func (e *Emulator) handleTagIDList(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		OpenID string `json:"openid"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	f := e.account(appid).subscribed(req.OpenID)
	if f == nil {
		writeJSON(w, wxErr(codeInvalidOpenID))
		return
	}
	ids := slices.Clone(f.TagIDs)
	if ids == nil {
		ids = []int{}
	}
	writeJSON(w, map[string]any{"tagid_list": ids})
}

// tagUsersResp is the answer of user/tag/get: like user/get without total.
type tagUsersResp struct {
	Count      int         `json:"count"`
	Data       *openidList `json:"data,omitempty"`
	NextOpenID string      `json:"next_openid"`
}

// handleTagUsers serves POST /cgi-bin/user/tag/get {"tagid":134,"next_openid":""}: 10,000 per call.
func (e *Emulator) handleTagUsers(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		TagID      int    `json:"tagid"`
		NextOpenID string `json:"next_openid"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc.tags[req.TagID] == nil {
		writeJSON(w, wxErr(codeInvalidTagID))
		return
	}
	var list []*follower
	for _, f := range acc.order {
		if slices.Contains(f.TagIDs, req.TagID) {
			list = append(list, f)
		}
	}
	ids, next, ae := openidPage(list, req.NextOpenID)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	resp := tagUsersResp{Count: len(ids), NextOpenID: next}
	if len(ids) > 0 {
		resp.Data = &openidList{OpenID: ids}
	}
	writeJSON(w, resp)
}

// handleGetBlacklist serves POST /cgi-bin/tags/members/getblacklist {"begin_openid":""}: like user/get,
// 10,000 per call.
func (e *Emulator) handleGetBlacklist(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		BeginOpenID string `json:"begin_openid"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	var list []*follower
	for _, f := range acc.order {
		if f.Blacklisted {
			list = append(list, f)
		}
	}
	ids, next, ae := openidPage(list, req.BeginOpenID)
	if ae != nil {
		writeJSON(w, ae)
		return
	}
	resp := userListResp{Total: len(list), Count: len(ids), NextOpenID: next}
	if len(ids) > 0 {
		resp.Data = &openidList{OpenID: ids}
	}
	writeJSON(w, resp)
}

// setBlacklisted serves batchblacklist and batchunblacklist {"openid_list":[...]}: 1..20 openids (40032),
// subscribed followers (40003), all or nothing.
func (e *Emulator) setBlacklisted(w http.ResponseWriter, r *http.Request, appid string, on bool) {
	var req struct {
		OpenIDList []string `json:"openid_list"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	if len(req.OpenIDList) == 0 || len(req.OpenIDList) > maxBlackList {
		writeJSON(w, wxErr(codeInvalidOpenIDList))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	fs := make([]*follower, 0, len(req.OpenIDList))
	for _, id := range req.OpenIDList {
		f := acc.subscribed(id)
		if f == nil {
			writeJSON(w, wxErr(codeInvalidOpenID))
			return
		}
		fs = append(fs, f)
	}
	for _, f := range fs {
		f.Blacklisted = on
	}
	writeJSON(w, okResp)
}

// handleBatchBlacklist serves POST /cgi-bin/tags/members/batchblacklist.
func (e *Emulator) handleBatchBlacklist(w http.ResponseWriter, r *http.Request, appid string) {
	e.setBlacklisted(w, r, appid, true)
}

// handleBatchUnblacklist serves POST /cgi-bin/tags/members/batchunblacklist.
func (e *Emulator) handleBatchUnblacklist(w http.ResponseWriter, r *http.Request, appid string) {
	e.setBlacklisted(w, r, appid, false)
}

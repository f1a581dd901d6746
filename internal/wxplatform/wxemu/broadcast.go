package wxemu

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Mass messages (cgi-bin/message/mass/*) and template messages (cgi-bin/template/*,
// cgi-bin/message/template/send), with WeChat's quotas and errors, the MASSSENDJOBFINISH and
// TEMPLATESENDJOBFINISH events pushed to the account's callback after Options.JobFinishDelay, and a
// count of deliveries per (clientmsgid or client_msg_id, openid) that tests read to prove exactly-once.

const (
	maxMassOpenIDs = 10000 // mass/send: at most 10,000 openids per call
	minMassOpenIDs = 2     // ... and at least two (40130)
	maxTemplates   = 25    // private templates per account (45026)
	defaultJobWait = 2 * time.Second
)

// DeliveryKey names one delivery the emulator counted: the client's dedup id (a mass call's clientmsgid,
// a template call's client_msg_id; empty when the call carried none; "preview" for mass/preview) and the
// follower it reached.
type DeliveryKey struct {
	ClientMsgID string
	OpenID      string
}

// Template is one private template of an account, as get_all_private_template lists it.
type Template struct {
	TemplateID      string `json:"template_id"`
	Title           string `json:"title"`
	PrimaryIndustry string `json:"primary_industry"`
	DeputyIndustry  string `json:"deputy_industry"`
	Content         string `json:"content"`
	Example         string `json:"example"`
}

// MassJob is one accepted mass message, as mass/get and the MASSSENDJOBFINISH event report it.
type MassJob struct {
	MsgID       int64
	MsgDataID   int64
	ClientMsgID string
	MsgType     string
	Status      string // SENDING, SEND_SUCCESS, SEND_FAIL, DELETE (mass/get's msg_status)
	Total       int
	Filter      int
	Sent        int
	Error       int
	Deleted     []int // article_idx deleted (0: all)
}

// broadcastState is what one account's mass and template messages leave behind. Guarded by Emulator.mu.
type broadcastState struct {
	clientIDs  map[string]int64 // mass clientmsgid -> msg_id
	jobs       map[int64]*MassJob
	templates  []*Template
	tplSent    map[uint64]int64 // hash of (client_msg_id, openid) -> msgid: 100,000 sends stay a few MB
	deliveries map[DeliveryKey]int
	failShare  float64
	noCount    bool
	massDelay  time.Duration
}

// nextMsgID numbers mass and template messages, increasing like WeChat's. The caller holds e.mu.
func (e *Emulator) nextMsgID() int64 {
	if e.lastMsgID == 0 {
		e.lastMsgID = 1000000000 + rand.Int64N(1000000)
	}
	e.lastMsgID += 1 + rand.Int64N(7)
	return e.lastMsgID
}

// bc returns appid's broadcast state, made on first use. The caller holds e.mu.
func (e *Emulator) bc(appid string) *broadcastState {
	if e.bcStates == nil {
		e.bcStates = map[string]*broadcastState{}
	}
	s := e.bcStates[appid]
	if s == nil {
		s = &broadcastState{clientIDs: map[string]int64{}, jobs: map[int64]*MassJob{},
			tplSent: map[uint64]int64{}, deliveries: map[DeliveryKey]int{}}
		e.bcStates[appid] = s
	}
	return s
}

// SetFailShare makes a share (0 to 1) of appid's followers fail every mass and template message: template
// calls to them answer 43101 (the user refused), mass messages count them in ErrorCount. Which followers
// fail is a function of the openid, so a retry fails the same ones.
func (e *Emulator) SetFailShare(appid string, share float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bc(appid).failShare = share
}

// SetMassDelay makes appid's mass/send and mass/sendall answer d after WeChat accepted the message: the
// followers have it, the caller does not know yet. A fault test kills the caller in that gap.
func (e *Emulator) SetMassDelay(appid string, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bc(appid).massDelay = d
}

// massDelay answers appid's SetMassDelay. The caller holds e.mu.
func (e *Emulator) massDelay(appid string) time.Duration { return e.bc(appid).massDelay }

// CountDeliveries turns the delivery counter of appid on (the default) or off: a benchmark of 100,000
// sends need not keep 100,000 keys.
func (e *Emulator) CountDeliveries(appid string, on bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bc(appid).noCount = !on
}

// Deliveries returns how many times each (client id, openid) of appid was delivered a mass or template
// message. Exactly-once means every value is 1.
func (e *Emulator) Deliveries(appid string) map[DeliveryKey]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[DeliveryKey]int, len(e.bc(appid).deliveries))
	for k, v := range e.bc(appid).deliveries {
		out[k] = v
	}
	return out
}

// MassJobs returns the mass messages appid sent, by msg_id.
func (e *Emulator) MassJobs(appid string) []MassJob {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []MassJob
	for _, j := range e.bc(appid).jobs {
		out = append(out, *j)
	}
	slices.SortFunc(out, func(a, b MassJob) int { return int(a.MsgID - b.MsgID) })
	return out
}

// Templates returns appid's private templates.
func (e *Emulator) Templates(appid string) []Template {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Template
	for _, t := range e.bc(appid).templates {
		out = append(out, *t)
	}
	return out
}

// sendKey is the dedup key of a template send: a 64-bit hash of client_msg_id and openid.
func sendKey(clientID, openid string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(clientID))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(openid))
	return h.Sum64()
}

// fails reports whether openid is in the failing share.
func (s *broadcastState) fails(openid string) bool {
	if s.failShare <= 0 {
		return false
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(openid))
	return float64(h.Sum32()%10000) < s.failShare*10000
}

func (s *broadcastState) deliver(clientID, openid string) {
	if !s.noCount {
		s.deliveries[DeliveryKey{ClientMsgID: clientID, OpenID: openid}]++
	}
}

// massBody is the body of mass/sendall, mass/send and mass/preview: the target, the msgtype and the
// content under the msgtype's key.
type massBody struct {
	Filter *struct {
		IsToAll bool `json:"is_to_all"`
		TagID   *int `json:"tag_id"`
	} `json:"filter"`
	ToUser            json.RawMessage `json:"touser"`
	ToWxName          string          `json:"towxname"`
	MsgType           string          `json:"msgtype"`
	SendIgnoreReprint int             `json:"send_ignore_reprint"`
	ClientMsgID       string          `json:"clientmsgid"`
	MPNews            *struct {
		MediaID string `json:"media_id"`
	} `json:"mpnews"`
	Text *struct {
		Content string `json:"content"`
	} `json:"text"`
	Voice *struct {
		MediaID string `json:"media_id"`
	} `json:"voice"`
	MPVideo *struct {
		MediaID string `json:"media_id"`
	} `json:"mpvideo"`
	Images *struct {
		MediaIDs []string `json:"media_ids"`
	} `json:"images"`
	Image *struct {
		MediaID string `json:"media_id"`
	} `json:"image"`
}

// checkContent validates the msgtype and its content. The caller holds e.mu.
func (acc *account) checkContent(b *massBody, preview bool) *apiError {
	mediaOf := func(id, typ string) *apiError {
		if id == "" {
			return wxErr(codeMissingMediaID)
		}
		if m, _ := acc.findMaterial(id); m == nil || (typ != "" && m.Type != typ) {
			return wxErr(codeInvalidMediaID)
		}
		return nil
	}
	switch b.MsgType {
	case "mpnews":
		// A draft's media_id (draft/*), or a permanent news material of the older API: WeChat answers
		// 40007 for anything else.
		if b.MPNews == nil || b.MPNews.MediaID == "" {
			return wxErr(codeMissingMediaID)
		}
		if d, _ := acc.findDraft(b.MPNews.MediaID); d == nil {
			if m, _ := acc.findMaterial(b.MPNews.MediaID); m == nil || m.Type != "news" {
				return wxErr(codeInvalidMediaID)
			}
		}
	case "text":
		if b.Text == nil || strings.TrimSpace(b.Text.Content) == "" {
			return wxErr(codeEmptyContent)
		}
	case "voice":
		if b.Voice == nil {
			return wxErr(codeMissingMediaID)
		}
		return mediaOf(b.Voice.MediaID, "voice")
	case "mpvideo":
		if b.MPVideo == nil {
			return wxErr(codeMissingMediaID)
		}
		return mediaOf(b.MPVideo.MediaID, "video")
	case "image":
		switch {
		case preview && b.Image != nil:
			return mediaOf(b.Image.MediaID, "image")
		case b.Images == nil || len(b.Images.MediaIDs) == 0:
			return wxErr(codeMissingMediaID)
		}
		for _, id := range b.Images.MediaIDs {
			if ae := mediaOf(id, "image"); ae != nil {
				return ae
			}
		}
	case "":
		return wxErr(codeInvalidMsgType)
	default:
		return wxErr(codeInvalidMsgType)
	}
	return nil
}

type massAnswer struct {
	Errcode   int    `json:"errcode"`
	Errmsg    string `json:"errmsg"`
	MsgID     int64  `json:"msg_id"`
	MsgDataID int64  `json:"msg_data_id,omitempty"`
}

// handleMassSendAll serves POST /cgi-bin/message/mass/sendall: to every follower or to a tag's.
func (e *Emulator) handleMassSendAll(w http.ResponseWriter, r *http.Request, appid string) {
	var b massBody
	if ae := decodeJSON(readBody(r), &b); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	acc := e.account(appid)
	if b.Filter == nil || (!b.Filter.IsToAll && b.Filter.TagID == nil) {
		e.mu.Unlock()
		writeJSON(w, wxErr(codeInvalidArgs, "filter needs is_to_all or tag_id"))
		return
	}
	if !b.Filter.IsToAll && acc.tags[*b.Filter.TagID] == nil {
		e.mu.Unlock()
		writeJSON(w, wxErr(codeInvalidTagID))
		return
	}
	if ae := acc.checkContent(&b, false); ae != nil {
		e.mu.Unlock()
		writeJSON(w, ae)
		return
	}
	var to []*follower
	for _, f := range acc.order {
		if b.Filter.IsToAll || slices.Contains(f.TagIDs, *b.Filter.TagID) {
			to = append(to, f)
		}
	}
	ans, job := e.acceptMass(appid, acc, &b, to, 0)
	delay := e.massDelay(appid)
	e.mu.Unlock()
	time.Sleep(delay)
	writeJSON(w, ans)
	if job != nil {
		e.pushMassFinish(appid, *job)
	}
}

// handleMassSend serves POST /cgi-bin/message/mass/send: to 2 to 10,000 openids.
func (e *Emulator) handleMassSend(w http.ResponseWriter, r *http.Request, appid string) {
	var b massBody
	if ae := decodeJSON(readBody(r), &b); ae != nil {
		writeJSON(w, ae)
		return
	}
	var openids []string
	if len(b.ToUser) == 0 || json.Unmarshal(b.ToUser, &openids) != nil {
		writeJSON(w, wxErr(codeInvalidOpenIDList))
		return
	}
	switch {
	case len(openids) < minMassOpenIDs:
		writeJSON(w, wxErr(codeOpenIDListTooShort))
		return
	case len(openids) > maxMassOpenIDs:
		writeJSON(w, wxErr(codeInvalidOpenIDList))
		return
	}
	e.mu.Lock()
	acc := e.account(appid)
	if ae := acc.checkContent(&b, false); ae != nil {
		e.mu.Unlock()
		writeJSON(w, ae)
		return
	}
	var to []*follower
	filtered := 0
	seen := make(map[string]bool, len(openids))
	for _, id := range openids {
		f := acc.followers[id]
		if seen[id] || f == nil || !f.Subscribed {
			filtered++
			continue
		}
		seen[id] = true
		to = append(to, f)
	}
	ans, job := e.acceptMass(appid, acc, &b, to, filtered)
	delay := e.massDelay(appid)
	e.mu.Unlock()
	time.Sleep(delay)
	writeJSON(w, ans)
	if job != nil {
		e.pushMassFinish(appid, *job)
	}
}

// acceptMass records a mass message to the followers in to, or answers 45065 with the msg_id of the
// earlier job with the same clientmsgid. The caller holds e.mu.
func (e *Emulator) acceptMass(appid string, acc *account, b *massBody, to []*follower, filtered int) (any, *MassJob) {
	s := e.bc(appid)
	if b.ClientMsgID != "" {
		if id, ok := s.clientIDs[b.ClientMsgID]; ok {
			ae := wxErr(codeClientMsgIDExists)
			return massAnswer{Errcode: ae.Errcode, Errmsg: ae.Errmsg, MsgID: id}, nil
		}
	}
	job := &MassJob{MsgID: e.nextMsgID(), ClientMsgID: b.ClientMsgID, MsgType: b.MsgType, Status: "SENDING",
		Total: len(to) + filtered, Filter: filtered}
	if b.MsgType == "mpnews" {
		job.MsgDataID = job.MsgID/10 + 7
	}
	for _, f := range to {
		if s.fails(f.OpenID) {
			job.Error++
			continue
		}
		job.Sent++
		s.deliver(b.ClientMsgID, f.OpenID)
	}
	if job.Total > 0 && job.Sent == 0 {
		job.Status = "SEND_FAIL"
	} else {
		job.Status = "SEND_SUCCESS"
	}
	s.jobs[job.MsgID] = job
	if b.ClientMsgID != "" {
		s.clientIDs[b.ClientMsgID] = job.MsgID
	}
	return massAnswer{Errcode: 0, Errmsg: "send job submission success", MsgID: job.MsgID, MsgDataID: job.MsgDataID}, job
}

// handleMassPreview serves POST /cgi-bin/message/mass/preview: to one follower (touser) or WeChat ID
// (towxname).
func (e *Emulator) handleMassPreview(w http.ResponseWriter, r *http.Request, appid string) {
	var b massBody
	if ae := decodeJSON(readBody(r), &b); ae != nil {
		writeJSON(w, ae)
		return
	}
	var openid string
	if len(b.ToUser) > 0 && json.Unmarshal(b.ToUser, &openid) != nil {
		writeJSON(w, wxErr(codeInvalidOpenID))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	switch {
	case openid == "" && strings.TrimSpace(b.ToWxName) == "":
		writeJSON(w, wxErr(codeMissingOpenID))
		return
	case openid != "":
		f := acc.followers[openid]
		if f == nil {
			writeJSON(w, wxErr(codeInvalidOpenID))
			return
		}
		if !f.Subscribed {
			writeJSON(w, wxErr(codeRequireSubscribe))
			return
		}
	}
	if ae := acc.checkContent(&b, true); ae != nil {
		writeJSON(w, ae)
		return
	}
	to := openid
	if to == "" {
		to = "wxname:" + b.ToWxName
	}
	e.bc(appid).deliver("preview", to)
	writeJSON(w, massAnswer{Errcode: 0, Errmsg: "preview success", MsgID: e.nextMsgID()})
}

// flexInt reads a JSON number or a numeric string (mass/get's example sends msg_id as a string).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	*f = flexInt(n)
	return nil
}

// handleMassDelete serves POST /cgi-bin/message/mass/delete {"msg_id", "article_idx"}: article_idx 0 or
// absent deletes every article.
func (e *Emulator) handleMassDelete(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		MsgID      flexInt `json:"msg_id"`
		ArticleIdx int     `json:"article_idx"`
		URL        string  `json:"url"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	job := e.bc(appid).jobs[int64(req.MsgID)]
	if job == nil || job.MsgType != "mpnews" && job.MsgType != "mpvideo" {
		writeJSON(w, wxErr(codeInvalidArgs, "msg_id"))
		return
	}
	job.Deleted = append(job.Deleted, req.ArticleIdx)
	if req.ArticleIdx == 0 {
		job.Status = "DELETE"
	}
	writeJSON(w, okResp)
}

// handleMassGet serves POST /cgi-bin/message/mass/get {"msg_id"} → {"msg_id", "msg_status"}.
func (e *Emulator) handleMassGet(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		MsgID flexInt `json:"msg_id"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	job := e.bc(appid).jobs[int64(req.MsgID)]
	if job == nil {
		writeJSON(w, wxErr(codeInvalidArgs, "msg_id"))
		return
	}
	writeJSON(w, struct {
		MsgID     int64  `json:"msg_id"`
		MsgStatus string `json:"msg_status"`
	}{job.MsgID, job.Status})
}

// handleTemplateList serves GET /cgi-bin/template/get_all_private_template.
func (e *Emulator) handleTemplateList(w http.ResponseWriter, r *http.Request, appid string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	list := make([]Template, 0, len(e.bc(appid).templates))
	for _, t := range e.bc(appid).templates {
		list = append(list, *t)
	}
	writeJSON(w, struct {
		TemplateList []Template `json:"template_list"`
	}{list})
}

var shortIDPattern = regexp.MustCompile(`^(OPENTM|TM)\d{5,9}$`)

// handleTemplateAdd serves POST /cgi-bin/template/api_add_template {"template_id_short",
// "keyword_name_list"}. The emulator's template library takes any short id shaped like WeChat's (TM00015,
// OPENTM207698910) and builds the content from the keyword names.
func (e *Emulator) handleTemplateAdd(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		ShortID      string   `json:"template_id_short"`
		KeywordNames []string `json:"keyword_name_list"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	if !shortIDPattern.MatchString(req.ShortID) {
		writeJSON(w, wxErr(codeInvalidTemplateID))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.bc(appid)
	if len(s.templates) >= maxTemplates {
		writeJSON(w, wxErr(codeTooManyTemplates))
		return
	}
	names := req.KeywordNames
	if len(names) == 0 {
		names = []string{"订单号", "状态"}
	}
	var content, example strings.Builder
	content.WriteString("{{first.DATA}}\n")
	example.WriteString("您好，您有一条新通知\n")
	for i, n := range names {
		fmt.Fprintf(&content, "%s：{{keyword%d.DATA}}\n", n, i+1)
		fmt.Fprintf(&example, "%s：示例%d\n", n, i+1)
	}
	content.WriteString("{{remark.DATA}}")
	example.WriteString("感谢您的使用")
	t := &Template{TemplateID: randString(openidChars, 43), Title: "通知 " + req.ShortID,
		PrimaryIndustry: "IT科技", DeputyIndustry: "互联网|电子商务", Content: content.String(), Example: example.String()}
	s.templates = append(s.templates, t)
	writeJSON(w, struct {
		Errcode    int    `json:"errcode"`
		Errmsg     string `json:"errmsg"`
		TemplateID string `json:"template_id"`
	}{0, "ok", t.TemplateID})
}

// handleTemplateDelete serves POST /cgi-bin/template/del_private_template {"template_id"}.
func (e *Emulator) handleTemplateDelete(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		TemplateID string `json:"template_id"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.bc(appid)
	i := slices.IndexFunc(s.templates, func(t *Template) bool { return t.TemplateID == req.TemplateID })
	if i < 0 {
		writeJSON(w, wxErr(codeInvalidTemplateID))
		return
	}
	s.templates = slices.Delete(s.templates, i, i+1)
	writeJSON(w, okResp)
}

// handleTemplateSend serves POST /cgi-bin/message/template/send. The same openid and client_msg_id
// send once: a repeat answers the first call's msgid and reaches nobody.
func (e *Emulator) handleTemplateSend(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		ToUser      string          `json:"touser"`
		TemplateID  string          `json:"template_id"`
		URL         string          `json:"url"`
		ClientMsgID string          `json:"client_msg_id"`
		Data        json.RawMessage `json:"data"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	acc := e.account(appid)
	s := e.bc(appid)
	f := acc.followers[req.ToUser]
	var ae *apiError
	switch {
	case req.ToUser == "":
		ae = wxErr(codeMissingOpenID)
	case f == nil:
		ae = wxErr(codeInvalidOpenID)
	case !slices.ContainsFunc(s.templates, func(t *Template) bool { return t.TemplateID == req.TemplateID }):
		ae = wxErr(codeInvalidTemplateID)
	case !f.Subscribed:
		ae = wxErr(codeRequireSubscribe)
	case s.fails(req.ToUser):
		ae = wxErr(codeUserRefused)
	}
	if ae != nil {
		e.mu.Unlock()
		writeJSON(w, ae)
		return
	}
	key := sendKey(req.ClientMsgID, req.ToUser)
	if req.ClientMsgID != "" {
		if id, ok := s.tplSent[key]; ok {
			e.mu.Unlock()
			writeJSON(w, templateAnswer{Errcode: 0, Errmsg: "ok", MsgID: id})
			return
		}
	}
	id := e.nextMsgID()
	if req.ClientMsgID != "" {
		s.tplSent[key] = id
	}
	s.deliver(req.ClientMsgID, req.ToUser)
	e.mu.Unlock()
	writeJSON(w, templateAnswer{Errcode: 0, Errmsg: "ok", MsgID: id})
	e.pushTemplateFinish(appid, req.ToUser, id, "success")
}

type templateAnswer struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
	MsgID   int64  `json:"msgid"`
}

// pushMassFinish sends MASSSENDJOBFINISH to the account's callback after the delay, as WeChat does when
// the job is done. FromUserName is the account's system openid in WeChat's samples; the emulator uses a
// fixed one per account.
func (e *Emulator) pushMassFinish(appid string, j MassJob) {
	status := "send success"
	if j.Status == "SEND_FAIL" {
		status = "send fail"
	}
	xml := fmt.Sprintf("<xml>\n<ToUserName><![CDATA[%%s]]></ToUserName>\n<FromUserName><![CDATA[%%s]]></FromUserName>\n"+
		"<CreateTime>%%d</CreateTime>\n<MsgType><![CDATA[event]]></MsgType>\n<Event><![CDATA[MASSSENDJOBFINISH]]></Event>\n"+
		"<MsgID>%d</MsgID>\n<Status><![CDATA[%s]]></Status>\n<TotalCount>%d</TotalCount>\n<FilterCount>%d</FilterCount>\n"+
		"<SentCount>%d</SentCount>\n<ErrorCount>%d</ErrorCount>\n"+
		"<CopyrightCheckResult>\n<Count>0</Count>\n<ResultList></ResultList>\n<CheckState>1</CheckState>\n</CopyrightCheckResult>\n"+
		"<ArticleUrlResult>\n<Count>0</Count>\n<ResultList></ResultList>\n</ArticleUrlResult>\n</xml>",
		j.MsgID, status, j.Total, j.Filter, j.Sent, j.Error)
	e.pushLater(appid, "", xml)
}

// pushTemplateFinish sends TEMPLATESENDJOBFINISH for one template message after the delay.
func (e *Emulator) pushTemplateFinish(appid, openid string, msgID int64, status string) {
	xml := fmt.Sprintf("<xml>\n<ToUserName><![CDATA[%%s]]></ToUserName>\n<FromUserName><![CDATA[%%s]]></FromUserName>\n"+
		"<CreateTime>%%d</CreateTime>\n<MsgType><![CDATA[event]]></MsgType>\n<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>\n"+
		"<MsgID>%d</MsgID>\n<Status><![CDATA[%s]]></Status>\n</xml>", msgID, status)
	e.pushLater(appid, openid, xml)
}

// pushLater delivers format (with the original id, the sender and CreateTime still to fill in) to the
// account's callback after Options.JobFinishDelay, when the account has a callback; a negative delay
// pushes nothing.
func (e *Emulator) pushLater(appid, from, format string) {
	d := e.opts.JobFinishDelay
	if d < 0 {
		return
	}
	if d == 0 {
		d = defaultJobWait
	}
	if cb, _ := e.Callback(appid); cb == "" {
		return
	}
	time.AfterFunc(d, func() {
		e.mu.Lock()
		acc := e.account(appid)
		if acc == nil {
			e.mu.Unlock()
			return
		}
		orig := acc.OriginalID
		if from == "" {
			from = "o" + strings.TrimPrefix(orig, "gh_") + "system0000000"
		}
		now := e.now().Unix()
		e.mu.Unlock()
		raw := fmt.Sprintf(format, orig, from, now)
		ctx, cancel := context.WithTimeout(context.Background(), e.opts.DeliveryTimeout)
		defer cancel()
		if err := e.DeliverRaw(ctx, appid, from, []byte(raw)); err != nil {
			e.log.Warn("wxemu: job finish push failed", "appid", appid, "err", err)
		}
	})
}

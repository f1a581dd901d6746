package wxemu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Conditional ("personalised") menus: menu/addconditional, menu/delconditional, menu/trymatch, and the
// "conditionalmenu" list of menu/get. WeChat's codes: 65301 no such menuid, 65302 no such user, 65303 no
// default menu yet, 65304 empty matchrule, 65305 too many conditional menus, 65320 a matchrule on private
// data (gender, region, language), 45159 a tag the account lacks; the menu's own rules are menu/create's.

const (
	codeNoSuchMenuID       = 65301
	codeNoSuchUser         = 65302
	codeNoDefaultMenu      = 65303
	codeMatchRuleEmpty     = 65304
	codeTooManyConditional = 65305
	codePrivateMatchRule   = 65320

	// maxConditionalMenus: WeChat documents no number; the emulator allows this many.
	maxConditionalMenus = 100
	// firstConditionalMenuID makes menuids look like WeChat's nine-digit ones.
	firstConditionalMenuID = 208379533
)

func init() {
	errmsgs[codeNoSuchMenuID] = "menuid not exist"
	errmsgs[codeNoSuchUser] = "no such user"
	errmsgs[codeNoDefaultMenu] = "no default menu, can not create conditional menu"
	errmsgs[codeMatchRuleEmpty] = "match rule empty"
	errmsgs[codeTooManyConditional] = "conditional menu count limit"
	errmsgs[codePrivateMatchRule] = "match rule contains privacy info"
}

// Platforms of a matchrule: 1 iOS, 2 Android, 3 others. Simulated followers use Android unless
// SetFollowerPlatform says otherwise.
const defaultPlatform = 2

// matchRule is a matchrule as WeChat stores it; every value a string, as documented.
type matchRule struct {
	TagID              string `json:"tag_id,omitempty"`
	Sex                string `json:"sex,omitempty"`
	Country            string `json:"country,omitempty"`
	Province           string `json:"province,omitempty"`
	City               string `json:"city,omitempty"`
	ClientPlatformType string `json:"client_platform_type,omitempty"`
	Language           string `json:"language,omitempty"`
}

// conditionalMenu is one conditional menu of an account.
type conditionalMenu struct {
	id      int64
	buttons []menuButton
	rule    matchRule
}

// flexString reads a JSON string or number as text (WeChat takes "2" and 2 alike).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// handleAddConditional serves POST /cgi-bin/menu/addconditional {"button":[...],"matchrule":{...}} →
// {"menuid":"208379533"}.
func (e *Emulator) handleAddConditional(w http.ResponseWriter, r *http.Request, appid string) {
	body := readBody(r)
	if len(bytes.TrimSpace(body)) > 0 && hasUnicodeEscape(body) {
		writeJSON(w, wxErr(codeInvalidCharset))
		return
	}
	var req struct {
		Button    []menuButton `json:"button"`
		MatchRule *struct {
			TagID              flexString `json:"tag_id"`
			GroupID            flexString `json:"group_id"`
			Sex                flexString `json:"sex"`
			Country            flexString `json:"country"`
			Province           flexString `json:"province"`
			City               flexString `json:"city"`
			ClientPlatformType flexString `json:"client_platform_type"`
			Language           flexString `json:"language"`
		} `json:"matchrule"`
	}
	if ae := decodeJSON(body, &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	if acc.menuButtons == nil {
		writeJSON(w, wxErr(codeNoDefaultMenu))
		return
	}
	m := req.MatchRule
	if m == nil || (m.TagID == "" && m.GroupID == "" && m.Sex == "" && m.Country == "" && m.Province == "" &&
		m.City == "" && m.ClientPlatformType == "" && m.Language == "") {
		writeJSON(w, wxErr(codeMatchRuleEmpty))
		return
	}
	if m.Sex != "" || m.Country != "" || m.Province != "" || m.City != "" || m.Language != "" {
		writeJSON(w, wxErr(codePrivateMatchRule))
		return
	}
	tag := m.TagID
	if tag == "" {
		tag = m.GroupID
	}
	if tag != "" {
		id, err := strconv.Atoi(string(tag))
		if err != nil || acc.tags[id] == nil {
			writeJSON(w, wxErr(codeInvalidTagID))
			return
		}
	}
	switch m.ClientPlatformType {
	case "", "1", "2", "3":
	default:
		writeJSON(w, wxErr(codeInvalidArgs, "client_platform_type"))
		return
	}
	if ae := acc.validateMenu(req.Button); ae != nil {
		writeJSON(w, ae)
		return
	}
	if len(acc.conditional) >= maxConditionalMenus {
		writeJSON(w, wxErr(codeTooManyConditional))
		return
	}
	if acc.nextMenuID == 0 {
		acc.nextMenuID = firstConditionalMenuID
	}
	acc.nextMenuID++
	acc.conditional = append(acc.conditional, &conditionalMenu{id: acc.nextMenuID, buttons: req.Button,
		rule: matchRule{TagID: string(tag), ClientPlatformType: string(m.ClientPlatformType)}})
	writeJSON(w, struct {
		MenuID string `json:"menuid"`
	}{strconv.FormatInt(acc.nextMenuID, 10)})
}

// handleDelConditional serves POST /cgi-bin/menu/delconditional {"menuid":"..."}.
func (e *Emulator) handleDelConditional(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		MenuID flexString `json:"menuid"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	id, err := strconv.ParseInt(strings.TrimSpace(string(req.MenuID)), 10, 64)
	if err != nil {
		writeJSON(w, wxErr(codeNoSuchMenuID))
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	for i, c := range acc.conditional {
		if c.id == id {
			acc.conditional = append(acc.conditional[:i], acc.conditional[i+1:]...)
			writeJSON(w, okResp)
			return
		}
	}
	writeJSON(w, wxErr(codeNoSuchMenuID))
}

// handleTryMatch serves POST /cgi-bin/menu/trymatch {"user_id":"openid"} → {"button":[...]}: the newest
// conditional menu whose rule the follower matches, else the default menu (46003 when there is none).
func (e *Emulator) handleTryMatch(w http.ResponseWriter, r *http.Request, appid string) {
	var req struct {
		UserID string `json:"user_id"`
	}
	if ae := decodeJSON(readBody(r), &req); ae != nil {
		writeJSON(w, ae)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	acc := e.account(appid)
	f := acc.followers[req.UserID]
	if f == nil || !f.Subscribed {
		writeJSON(w, wxErr(codeNoSuchUser))
		return
	}
	if acc.menuButtons == nil {
		writeJSON(w, wxErr(codeMenuNotExist))
		return
	}
	platform := acc.platforms[f.OpenID]
	if platform == 0 {
		platform = defaultPlatform
	}
	buttons := acc.menuButtons
	for i := len(acc.conditional) - 1; i >= 0; i-- {
		c := acc.conditional[i]
		if c.rule.matches(f.TagIDs, platform) {
			buttons = c.buttons
			break
		}
	}
	writeJSON(w, map[string]any{"button": shownButtons(buttons)})
}

func (m matchRule) matches(tags []int, platform int) bool {
	if m.TagID != "" {
		found := false
		for _, t := range tags {
			found = found || strconv.Itoa(t) == m.TagID
		}
		if !found {
			return false
		}
	}
	return m.ClientPlatformType == "" || m.ClientPlatformType == strconv.Itoa(platform)
}

// shownButtons answers buttons as menu/get shows them: every leaf with "sub_button": [], parents without
// a type.
func shownButtons(in []menuButton) []menuButton {
	out := make([]menuButton, len(in))
	for i, b := range in {
		subs := make([]menuButton, len(b.SubButton))
		for j, s := range b.SubButton {
			s.SubButton = []menuButton{}
			subs[j] = s
		}
		if len(subs) > 0 {
			b.Type, b.Key, b.URL, b.MediaID, b.AppID, b.PagePath, b.ArticleID = "", "", "", "", "", "", ""
		}
		b.SubButton = subs
		out[i] = b
	}
	return out
}

// conditionalJSON answers the account's conditional menus as menu/get lists them. The caller holds e.mu.
func (acc *account) conditionalJSON() []map[string]any {
	out := make([]map[string]any, 0, len(acc.conditional))
	for _, c := range acc.conditional {
		out = append(out, map[string]any{"button": shownButtons(c.buttons), "matchrule": c.rule, "menuid": c.id})
	}
	return out
}

// SetFollowerPlatform sets the client platform (1 iOS, 2 Android, 3 others) menu/trymatch uses for a
// follower.
func (e *Emulator) SetFollowerPlatform(appid, openid string, platform int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.account(appid); acc != nil {
		if acc.platforms == nil {
			acc.platforms = map[string]int{}
		}
		acc.platforms[openid] = platform
	}
}

// ConditionalMenus returns the menuids of appid's conditional menus, oldest first.
func (e *Emulator) ConditionalMenus(appid string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	if acc := e.account(appid); acc != nil {
		for _, c := range acc.conditional {
			out = append(out, strconv.FormatInt(c.id, 10))
		}
	}
	return out
}

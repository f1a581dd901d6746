package pages

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
)

// The menu form is a fixed grid, WeChat's largest menu: 3 top buttons of 5 sub-buttons each. Its fields
// are named by the button's path as the menu service names problems (button[1].sub_button[2].name), so
// every error lands next to its field.
const (
	MenuTops = menu.MaxButtons
	gridSubs = menu.MaxSubButtons
)

// MenuSlot is one slot of the grid: a button's fields, as text. (Exported for the templates, which reach
// its fields through MenuTop.)
type MenuSlot struct {
	Path                                                      string
	Type, Name, Key, URL, MediaID, ArticleID, AppID, PagePath string
	// More opens the slot's less common fields: one of them is set or has an error.
	More bool
}

// MenuTop is a top-level slot with its sub-button slots.
type MenuTop struct {
	MenuSlot
	Index int
	Subs  []MenuSlot
}

func (b MenuSlot) empty() bool {
	return b.Type == "" && b.Name == "" && b.Key == "" && b.URL == "" && b.MediaID == "" && b.ArticleID == "" &&
		b.AppID == "" && b.PagePath == ""
}

func (b MenuSlot) button() menu.Button {
	return menu.Button{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL, MediaID: b.MediaID, ArticleID: b.ArticleID,
		AppID: b.AppID, PagePath: b.PagePath}
}

func slotOf(b menu.Button) MenuSlot {
	return MenuSlot{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL, MediaID: b.MediaID, ArticleID: b.ArticleID,
		AppID: b.AppID, PagePath: b.PagePath}
}

// newGrid answers an empty grid.
func newGrid() []MenuTop {
	g := make([]MenuTop, MenuTops)
	for i := range g {
		g[i].Subs = make([]MenuSlot, gridSubs)
	}
	renumber(g)
	return g
}

// renumber gives each slot its path after slots moved.
func renumber(g []MenuTop) {
	for i := range g {
		g[i].Index = i
		g[i].Path = fmt.Sprintf("button[%d]", i)
		for j := range g[i].Subs {
			g[i].Subs[j].Path = fmt.Sprintf("button[%d].sub_button[%d]", i, j)
		}
	}
}

// gridOf lays a menu out on the grid (buttons beyond WeChat's limits are left out: such a menu was
// refused when saved).
func gridOf(m *menu.Menu) []MenuTop {
	g := newGrid()
	if m == nil {
		return g
	}
	for i, b := range m.Button {
		if i >= MenuTops {
			break
		}
		g[i].MenuSlot = slotOf(b)
		for j, s := range b.SubButton {
			if j < gridSubs {
				g[i].Subs[j] = slotOf(s)
			}
		}
	}
	renumber(g)
	return g
}

// postedGrid reads the grid from the form.
func postedGrid(c *gin.Context) []MenuTop {
	g := newGrid()
	read := func(b *MenuSlot) {
		get := func(f string) string { return strings.TrimSpace(c.PostForm(b.Path + "." + f)) }
		path := b.Path
		*b = MenuSlot{Path: path, Type: get("type"), Name: get("name"), Key: get("key"), URL: get("url"),
			MediaID: get("media_id"), ArticleID: get("article_id"), AppID: get("appid"), PagePath: get("pagepath")}
	}
	for i := range g {
		read(&g[i].MenuSlot)
		for j := range g[i].Subs {
			read(&g[i].Subs[j])
		}
	}
	return g
}

// menuOf answers the grid's menu, empty slots left out, and a function that turns a path of the menu
// (which counts only the buttons kept) back into the path of the grid's slot.
func menuOf(g []MenuTop) (menu.Menu, func(string) string) {
	m := menu.Menu{Button: []menu.Button{}}
	paths := map[string]string{}
	for _, top := range g {
		var subs []menu.Button
		for _, s := range top.Subs {
			if s.empty() {
				continue
			}
			paths[fmt.Sprintf("button[%d].sub_button[%d]", len(m.Button), len(subs))] = s.Path
			subs = append(subs, s.button())
		}
		if top.empty() && len(subs) == 0 {
			continue
		}
		paths[fmt.Sprintf("button[%d]", len(m.Button))] = top.Path
		b := top.button()
		b.SubButton = subs
		m.Button = append(m.Button, b)
	}
	remap := func(field string) string {
		// The longest known prefix: button[i].sub_button[j] before button[i].
		best := ""
		for from := range paths {
			if (field == from || strings.HasPrefix(field, from+".")) && len(from) > len(best) {
				best = from
			}
		}
		if best == "" {
			return field
		}
		return paths[best] + strings.TrimPrefix(field, best)
	}
	return m, remap
}

// applyOp moves or removes a slot ("up:1", "down:0.2", "del:2"), for editing the tree without script.
func applyOp(g []MenuTop, op string) bool {
	verb, where, ok := strings.Cut(op, ":")
	if !ok {
		return false
	}
	is, js, sub := strings.Cut(where, ".")
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= len(g) {
		return false
	}
	if !sub {
		switch verb {
		case "up":
			if i > 0 {
				g[i-1], g[i] = g[i], g[i-1]
			}
		case "down":
			if i+1 < len(g) {
				g[i], g[i+1] = g[i+1], g[i]
			}
		case "del":
			copy(g[i:], g[i+1:])
			g[len(g)-1] = MenuTop{Subs: make([]MenuSlot, gridSubs)}
		default:
			return false
		}
		renumber(g)
		return true
	}
	j, err := strconv.Atoi(js)
	subs := g[i].Subs
	if err != nil || j < 0 || j >= len(subs) {
		return false
	}
	switch verb {
	case "up":
		if j > 0 {
			subs[j-1], subs[j] = subs[j], subs[j-1]
		}
	case "down":
		if j+1 < len(subs) {
			subs[j], subs[j+1] = subs[j+1], subs[j]
		}
	case "del":
		copy(subs[j:], subs[j+1:])
		subs[len(subs)-1] = MenuSlot{}
	default:
		return false
	}
	renumber(g)
	return true
}

// clickRule tells whether a click button's key has a keyword rule to answer it (contract §6).
type clickRule struct {
	Key     string
	RuleID  int64
	Enabled bool
}

type menuData struct {
	Grid      []MenuTop
	JSON      string
	State     menu.State
	Types     []string
	Rules     []string // exact keyword rules, offered as click keys
	Clicks    []clickRule
	History   []menu.HistoryEntry
	Unsaved   bool
	Published bool
	Cond      *menuCondData // conditional menus (menu_conditional.go)
}

func (p *Pages) menuPage(c *gin.Context) {
	v, ok := p.menuView(c, nil, "")
	if !ok {
		return
	}
	p.menuHTML(c, http.StatusOK, v)
}

// menuView gathers the page; grid and text, when given, are what the operator posted, else the draft.
func (p *Pages) menuView(c *gin.Context, grid []MenuTop, text string) (*View, bool) {
	v := p.view(c, "menu", "menu.title")
	ctx := c.Request.Context()
	a := v.Account
	st, err := p.deps.Menus.Get(ctx, a)
	if err != nil {
		p.fail(c, err)
		return nil, false
	}
	d := &menuData{State: st, Types: menu.Types, Grid: grid, JSON: text, Published: st.Published}
	if d.Grid == nil {
		d.Grid = gridOf(st.Menu)
	}
	if d.JSON == "" {
		m := st.Menu
		if m == nil {
			m = &menu.Menu{Button: []menu.Button{}}
		}
		b, _ := json.MarshalIndent(m, "", "  ")
		d.JSON = string(b)
	}
	if h, err := p.deps.Menus.History(ctx, a, 10); err == nil {
		d.History = h
	}
	d.Cond = p.conditionalView(c, a)
	var rules []*reply.Rule
	if rules, err = p.deps.Replies.List(ctx, a.ID); err != nil {
		logger(c).Warn("menu: rules", "err", err)
	}
	for _, r := range rules {
		if r.Match == reply.MatchExact {
			d.Rules = append(d.Rules, r.Keyword)
		}
	}
	m, _ := menuOf(d.Grid)
	for _, key := range m.ClickKeys() {
		cr := clickRule{Key: key}
		for _, r := range rules {
			if r.Match == reply.MatchExact && strings.EqualFold(strings.TrimSpace(r.Keyword), strings.TrimSpace(key)) {
				cr.RuleID, cr.Enabled = r.ID, r.Enabled
			}
		}
		d.Clicks = append(d.Clicks, cr)
	}
	v.Data = d
	return v, true
}

// menuHTML renders the page, opening the slots whose less common fields are set or wrong.
func (p *Pages) menuHTML(c *gin.Context, status int, v *View) {
	d := v.Data.(*menuData)
	mark := func(b *MenuSlot) {
		b.More = b.MediaID != "" || b.ArticleID != "" || b.AppID != "" || b.PagePath != ""
		for _, f := range []string{"media_id", "article_id", "appid", "pagepath"} {
			if _, bad := v.Errors[b.Path+"."+f]; bad {
				b.More = true
			}
		}
	}
	for i := range d.Grid {
		mark(&d.Grid[i].MenuSlot)
		for j := range d.Grid[i].Subs {
			mark(&d.Grid[i].Subs[j])
		}
	}
	p.html(c, status, "menu", v)
}

// menuSave takes the grid: an op button edits the tree and shows it again unsaved; "save" keeps it as
// the draft, "publish" also sends it to WeChat.
func (p *Pages) menuSave(c *gin.Context) {
	a := accounts.Current(c)
	grid := postedGrid(c)
	if op := c.PostForm("op"); op != "" {
		applyOp(grid, op)
		v, ok := p.menuView(c, grid, "")
		if !ok {
			return
		}
		v.Data.(*menuData).Unsaved = true
		p.menuHTML(c, http.StatusOK, v)
		return
	}
	m, remap := menuOf(grid)
	m = menu.Normalize(m)
	if problems := m.Problems(); len(problems) > 0 {
		v, ok := p.menuView(c, grid, "")
		if !ok {
			return
		}
		for _, pr := range problems {
			field := remap(pr.Field)
			if field == "button" {
				v.Error = pr.Msg
				continue
			}
			if _, seen := v.Errors[field]; !seen {
				v.Errors[field] = strings.TrimPrefix(pr.Msg, pr.Field+": ")
			}
		}
		v.Data.(*menuData).Unsaved = true
		p.menuHTML(c, http.StatusBadRequest, v)
		return
	}
	p.menuStore(c, a, m, func(v *View, err error) {
		v.Data.(*menuData).Grid, v.Data.(*menuData).Unsaved = grid, true
		formError(v, err)
		for field, msg := range v.Errors {
			delete(v.Errors, field)
			v.Errors[remap(field)] = msg
		}
	})
}

// menuSaveJSON takes the menu as WeChat's menu/create JSON, for what the grid does not show.
func (p *Pages) menuSaveJSON(c *gin.Context) {
	a := accounts.Current(c)
	text := c.PostForm("menu")
	m, err := menu.Parse(json.RawMessage(text))
	if err != nil {
		v, ok := p.menuView(c, nil, text)
		if !ok {
			return
		}
		v.Errors["menu"] = errText(c, err)
		p.menuHTML(c, statusOf(err), v)
		return
	}
	p.menuStore(c, a, m, func(v *View, err error) {
		v.Data.(*menuData).JSON = text
		v.Errors["menu"] = errText(c, err)
	})
}

// menuStore saves m as the draft, and publishes it when the operator asked to; onError marks the page
// shown again after a refusal.
func (p *Pages) menuStore(c *gin.Context, a *accounts.Account, m menu.Menu, onError func(*View, error)) {
	ctx, uid := c.Request.Context(), httpapi.UserID(c)
	var err error
	key := "menu.saved"
	if c.PostForm("action") == "publish" {
		_, err = p.deps.Menus.SaveAndPublish(ctx, a, uid, m)
		key = "menu.published"
	} else {
		_, err = p.deps.Menus.Save(ctx, a, uid, m)
	}
	if err != nil {
		v, ok := p.menuView(c, nil, "")
		if !ok {
			return
		}
		onError(v, err)
		p.menuHTML(c, statusOf(err), v)
		return
	}
	p.done(c, withAppID("/console/menu", a), key)
}

func (p *Pages) menuPublish(c *gin.Context) {
	a := accounts.Current(c)
	if _, err := p.deps.Menus.Publish(c.Request.Context(), a, httpapi.UserID(c)); err != nil {
		p.failed(c, withAppID("/console/menu", a), err)
		return
	}
	p.done(c, withAppID("/console/menu", a), "menu.published")
}

func (p *Pages) menuImport(c *gin.Context) {
	a := accounts.Current(c)
	back := withAppID("/console/menu", a)
	_, warnings, err := p.deps.Menus.Import(c.Request.Context(), a, httpapi.UserID(c))
	if err != nil {
		p.failed(c, back, err)
		return
	}
	for _, w := range warnings {
		p.flash(c, "info", w.Field+": "+w.Msg)
	}
	p.done(c, back, "menu.imported")
}

func (p *Pages) menuDelete(c *gin.Context) {
	a := accounts.Current(c)
	back := withAppID("/console/menu", a)
	if _, err := p.deps.Menus.Delete(c.Request.Context(), a, httpapi.UserID(c)); err != nil {
		p.failed(c, back, err)
		return
	}
	p.done(c, back, "menu.deleted")
}

package pages

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
	"github.com/socialinzen/socialinzen/internal/wxplatform/followers"
	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
)

// The menu page's conditional variants (contract §20): the list with a delete button each, a form that
// publishes a variant (its menu as WeChat's JSON, a tag, a platform), and a preview of what a follower
// with a given tag on a given platform sees (menu/trymatch's rule, computed from the console's records).

// menuCondData is the part of the menu page about conditional menus.
type menuCondData struct {
	List      []condRow
	Tags      []followers.Group // the account's tags (blacklist and "no group" left out)
	TagNames  map[int]string
	Platforms []int
	// The create form as posted (shown again after a refusal).
	CondJSON, CondTag, CondPlatform string
	// The preview asked for (?previewTag=&previewPlatform=) and its answer.
	PreviewAsked            bool
	PreviewTag, PreviewPlat string
	PreviewMenu             *menu.Menu
	PreviewMenuID           string
}

// condRow is a conditional menu as the list shows it: its rule's tag by name.
type condRow struct {
	menu.Conditional
	TagID, Platform int
	TagName         string
}

// conditionalView fills the conditional part of the menu page.
func (p *Pages) conditionalView(c *gin.Context, a *accounts.Account) *menuCondData {
	ctx := c.Request.Context()
	d := &menuCondData{TagNames: map[int]string{}, Platforms: []int{menu.PlatformIOS, menu.PlatformAndroid, menu.PlatformOthers}}
	conds, err := p.deps.Menus.Conditionals(ctx, a)
	if err != nil {
		logger(c).Warn("menu: conditional menus", "err", err)
	}
	if groups, err := p.deps.Followers.Groups(ctx, a); err == nil {
		for _, g := range groups {
			if g.ID >= 2 {
				d.Tags = append(d.Tags, g)
				d.TagNames[g.ID] = g.Name
			}
		}
	} else {
		logger(c).Warn("menu: tags", "err", err)
	}
	for _, cm := range conds {
		r := condRow{Conditional: cm}
		if t := cm.MatchRule.TagID; t != nil {
			r.TagID, r.TagName = *t, d.TagNames[*t]
		}
		if pl := cm.MatchRule.ClientPlatformType; pl != nil {
			r.Platform = *pl
		}
		d.List = append(d.List, r)
	}
	d.PreviewTag, d.PreviewPlat = strings.TrimSpace(c.Query("previewTag")), strings.TrimSpace(c.Query("previewPlatform"))
	if c.Query("preview") != "" {
		d.PreviewAsked = true
		var tags []int
		if n, err := strconv.Atoi(d.PreviewTag); err == nil {
			tags = append(tags, n)
		}
		plat, _ := strconv.Atoi(d.PreviewPlat)
		if d.PreviewMenu, d.PreviewMenuID, err = p.deps.Menus.Preview(ctx, a, tags, plat); err != nil {
			logger(c).Warn("menu: preview", "err", err)
		}
	}
	return d
}

// menuConditionalCreate publishes a conditional menu from the form: menu (JSON), tagId, clientPlatformType.
func (p *Pages) menuConditionalCreate(c *gin.Context) {
	a := accounts.Current(c)
	text := c.PostForm("menu")
	tag, plat := strings.TrimSpace(c.PostForm("tagId")), strings.TrimSpace(c.PostForm("clientPlatformType"))
	rule := map[string]string{}
	if tag != "" {
		rule["tagId"] = tag
	}
	if plat != "" {
		rule["clientPlatformType"] = plat
	}
	raw, _ := json.Marshal(rule)
	m, err := menu.Parse(json.RawMessage(text))
	var mr menu.MatchRule
	if err == nil {
		mr, err = menu.ParseMatchRule(raw)
	}
	if err == nil {
		_, err = p.deps.Menus.SaveConditional(c.Request.Context(), a, httpapi.UserID(c), m, mr)
	}
	if err != nil {
		v, ok := p.menuView(c, nil, "")
		if !ok {
			return
		}
		cd := v.Data.(*menuData).Cond
		cd.CondJSON, cd.CondTag, cd.CondPlatform = text, tag, plat
		field := "cond"
		v.Errors[field] = errText(c, err)
		p.menuHTML(c, statusOf(err), v)
		return
	}
	p.done(c, withAppID("/console/menu", a)+"#conditional-h", "menu.cond.published")
}

// menuConditionalDelete removes a conditional menu (menuId).
func (p *Pages) menuConditionalDelete(c *gin.Context) {
	a := accounts.Current(c)
	back := withAppID("/console/menu", a)
	if err := p.deps.Menus.DeleteConditional(c.Request.Context(), a, httpapi.UserID(c), c.PostForm("menuId")); err != nil {
		p.failed(c, back, err)
		return
	}
	p.done(c, back, "menu.cond.deleted")
}

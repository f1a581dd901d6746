package menu

import (
	"fmt"
	"net/url"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxclient"
)

// fromSelfMenu converts get_current_selfmenu_info's answer back to menu/create JSON: sub-buttons come out
// of their {"list": [...]}, a media_id kept in "value" goes back to media_id, and the types only WeChat's
// admin can set are turned into the nearest API type, each with a warning:
//
//   - img, photo, voice: a media_id button with the same media_id;
//   - news: a media_id button with the news' media_id, or without one a view button opening its first
//     article;
//   - video: a view button opening the video's link;
//   - text: a click button with a generated key (MENU_TEXT_<i>[_<j>]); the text goes into the warning, for
//     a keyword rule to answer that key.
//
// Other unknown types are kept as they are, so that validation names them.
func fromSelfMenu(info wxclient.SelfMenuInfo) (Menu, []Warning) {
	c := &selfConverter{}
	m := Menu{Button: make([]Button, 0, len(info.SelfMenuInfo.Button))}
	for i, sb := range info.SelfMenuInfo.Button {
		p := fmt.Sprintf("button[%d]", i)
		if sb.SubButton != nil && len(sb.SubButton.List) > 0 {
			parent := Button{Name: sb.Name}
			for j, s := range sb.SubButton.List {
				c.pos = [2]int{i, j}
				parent.SubButton = append(parent.SubButton, c.leaf(fmt.Sprintf("%s.sub_button[%d]", p, j), s, fmt.Sprintf("%d_%d", i, j)))
			}
			m.Button = append(m.Button, parent)
			continue
		}
		c.pos = [2]int{i, -1}
		m.Button = append(m.Button, c.leaf(p, sb, fmt.Sprint(i)))
	}
	c.uniqueTextKeys(m)
	return m, c.warnings
}

type selfConverter struct {
	warnings []Warning
	// generated are the positions ({i, j}, j = -1 at the top) of the text buttons turned into click
	// buttons, whose keys are made unique once the whole menu is known.
	generated [][2]int
	// pos is the position of the button being converted.
	pos [2]int
}

func (c *selfConverter) warn(p, format string, args ...any) {
	c.warnings = append(c.warnings, Warning{Field: p, Msg: fmt.Sprintf(format, args...)})
}

// leaf converts a button without sub-buttons; suffix names it in generated keys.
func (c *selfConverter) leaf(p string, s wxclient.SelfMenuButton, suffix string) Button {
	b := Button{Type: s.Type, Name: s.Name, Key: s.Key, URL: s.URL, AppID: s.AppID, PagePath: s.PagePath}
	switch s.Type {
	case TypeMediaID:
		b.MediaID = s.Value
	case TypeClick, TypeScancodePush, TypeScancodeWaitmsg, TypePicSysphoto, TypePicPhotoOrAlbum, TypePicWeixin,
		TypeLocationSelect:
		if b.Key == "" {
			b.Key = s.Value
		}
	case TypeView:
		if b.URL == "" {
			b.URL = s.Value
		}
	case "img", "photo", "voice":
		b = Button{Type: TypeMediaID, Name: s.Name, MediaID: s.Value}
		c.warn(p, "was a %q button set in WeChat's admin; it is now a media_id button sending the same material (check that it is a permanent material of the account)", s.Type)
	case "news":
		if s.Value != "" {
			b = Button{Type: TypeMediaID, Name: s.Name, MediaID: s.Value}
			c.warn(p, "was a news button set in WeChat's admin; it is now a media_id button sending the same news")
			break
		}
		if s.NewsInfo != nil && len(s.NewsInfo.List) > 0 && isHTTPURL(s.NewsInfo.List[0].ContentURL) {
			b = Button{Type: TypeView, Name: s.Name, URL: s.NewsInfo.List[0].ContentURL}
			c.warn(p, "was a news button set in WeChat's admin without a media_id; it is now a view button opening its first article %q", s.NewsInfo.List[0].Title)
			break
		}
		c.warn(p, "is a news button set in WeChat's admin without a media_id or article link; it cannot be expressed in the API's menu")
	case "video":
		b = Button{Type: TypeView, Name: s.Name, URL: s.Value}
		c.warn(p, "was a video button set in WeChat's admin; it is now a view button opening the video's link (links WeChat gives for videos may expire: prefer a media_id button with the video material)")
	case "text":
		b = Button{Type: TypeClick, Name: s.Name, Key: "MENU_TEXT_" + suffix}
		c.generated = append(c.generated, c.pos)
		c.warn(p, "was a text button set in WeChat's admin, answering %q; it is now a click button: create a keyword rule whose keyword is its key and whose reply is that text, or the button stays silent", s.Value)
	}
	return b
}

// uniqueTextKeys makes each generated key differ from the live menu's own click keys (compared as
// Validate compares them), with a numeric suffix where one collides.
func (c *selfConverter) uniqueTextKeys(m Menu) {
	if len(c.generated) == 0 {
		return
	}
	used := map[string]bool{}
	at := func(pos [2]int) *Button {
		b := &m.Button[pos[0]]
		if pos[1] >= 0 {
			b = &b.SubButton[pos[1]]
		}
		return b
	}
	isGenerated := map[*Button]bool{}
	for _, pos := range c.generated {
		isGenerated[at(pos)] = true
	}
	for i := range m.Button {
		for _, b := range append([]*Button{&m.Button[i]}, subPointers(&m.Button[i])...) {
			if b.Type == TypeClick && !isGenerated[b] {
				used[foldKey(b.Key)] = true
			}
		}
	}
	for _, pos := range c.generated {
		b := at(pos)
		k := b.Key
		for n := 2; used[foldKey(k)]; n++ {
			k = fmt.Sprintf("%s_%d", b.Key, n)
		}
		b.Key = k
		used[foldKey(k)] = true
	}
}

func subPointers(b *Button) []*Button {
	out := make([]*Button, len(b.SubButton))
	for j := range b.SubButton {
		out[j] = &b.SubButton[j]
	}
	return out
}

// incomplete reports whether a button of an API type lacks a field its type needs: get_current_selfmenu_info
// does not always carry media_id and article_id, which menu/get does.
func incomplete(m Menu) bool {
	for _, b := range m.Button {
		for _, x := range append([]Button{b}, b.SubButton...) {
			if len(x.SubButton) > 0 {
				continue
			}
			for _, f := range typeFields[x.Type] {
				if *field(&x, f) == "" {
					return true
				}
			}
		}
	}
	return false
}

// fill copies from menu/get's menu the fields m lacks, button by button, where both menus have a button of
// the same name and type at the same place.
func fill(m Menu, api Menu) Menu {
	out := m.Clone()
	for i := range out.Button {
		if i >= len(api.Button) || out.Button[i].Name != api.Button[i].Name {
			continue
		}
		fillButton(&out.Button[i], api.Button[i])
		for j := range out.Button[i].SubButton {
			subs := api.Button[i].SubButton
			if j < len(subs) && out.Button[i].SubButton[j].Name == subs[j].Name {
				fillButton(&out.Button[i].SubButton[j], subs[j])
			}
		}
	}
	return out
}

func fillButton(b *Button, api Button) {
	if len(b.SubButton) > 0 || b.Type != api.Type {
		return
	}
	for _, f := range typeFields[b.Type] {
		if dst := field(b, f); *dst == "" {
			*dst = *field(&api, f)
		}
	}
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

package pages

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/menu"
)

// TestMenuConditionalVariants: the menu page publishes a conditional menu for a tag, lists it, previews
// what a follower with the tag sees (and one without), and deletes it.
func TestMenuConditionalVariants(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 0)
	ctx := context.Background()
	tag, err := e.WX.CreateTag(ctx, e.acct.AppID, "VIP")
	require.NoError(t, err)
	id := strconv.Itoa(tag.ID)
	_, err = e.menus.SaveAndPublish(ctx, e.acct, e.userID, menu.Menu{Button: []menu.Button{{Type: "click", Name: "默认", Key: "D"}}})
	require.NoError(t, err)

	doc := requirePage(t, e.get("/console/menu"), LangZH)
	require.Equal(t, 1, doc.Find("#conditional-empty").Length())
	require.Equal(t, 1, doc.Find(`#f-cond-tag option[value="`+id+`"]`).Length())

	// No rule: refused, the form comes back with the error.
	p := e.post("/console/menu/conditional", url.Values{"menu": {`{"button":[{"type":"click","name":"VIP","key":"V"}]}`}})
	require.Equal(t, http.StatusBadRequest, p.Status)
	require.Equal(t, 1, p.Doc(t).Find("#e-cond").Length())

	doc = requirePage(t, e.submit("/console/menu/conditional", url.Values{"tagId": {id},
		"menu": {`{"button":[{"type":"click","name":"VIP专享","key":"V"}]}`}}), LangZH)
	rows := doc.Find("#conditional-list tr.conditional")
	require.Equal(t, 1, rows.Length())
	require.Contains(t, rows.Text(), "VIP专享")
	require.Contains(t, rows.Text(), "VIP")
	menuID, _ := rows.Attr("data-menuid")
	require.Equal(t, []string{menuID}, e.Emu.ConditionalMenus(e.acct.AppID))

	doc = requirePage(t, e.get("/console/menu?preview=1&previewTag="+id), LangZH)
	pv := doc.Find("#menu-preview")
	got, _ := pv.Attr("data-menuid")
	require.Equal(t, menuID, got)
	require.Contains(t, pv.Text(), "VIP专享")
	doc = requirePage(t, e.get("/console/menu?preview=1&previewTag="), LangZH)
	got, _ = doc.Find("#menu-preview").Attr("data-menuid")
	require.Equal(t, "", got)
	require.Contains(t, doc.Find("#menu-preview").Text(), "默认")

	doc = requirePage(t, e.submit("/console/menu/conditional/delete", url.Values{"menuId": {menuID}}), LangZH)
	require.Equal(t, 1, doc.Find("#conditional-empty").Length())
	require.Empty(t, e.Emu.ConditionalMenus(e.acct.AppID))
}

package pages

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestErrorsInTheOperatorsLanguage: what a service refuses reaches the page in the operator's language
// (Chinese by default), through the error's i18n key, while the API keeps its English msg.
func TestErrorsInTheOperatorsLanguage(t *testing.T) {
	t.Parallel()
	e := newConsole(t, 3)
	e.syncFollowers()
	target := e.Emu.Followers(e.acct.AppID)[0].OpenID
	logoAction, _ := requirePage(t, e.get("/console/settings"), LangZH).Find("#logo form").Attr("action")
	require.NotEmpty(t, logoAction)
	bigLogo := append(pngBytes(t), bytes.Repeat([]byte{0}, 2<<20)...)

	for _, c := range []struct {
		lang                           string
		login, materials, logo, remark string
	}{
		{LangZH, "用户名或密码错误", "文件太大：缩略图最大 64 KB，这个文件有 100 KB", "logoFile：文件太大（最大 2 MB）", "remark：最多 30 个字"},
		{LangEN, "wrong username or password", "file too large: a thumb may be at most 64 KB, this file has 100 KB",
			"logoFile: the file is too large (at most 2 MB)", "remark: must be at most 30 characters"},
	} {
		e.lang = c.lang

		// A wrong password on the login form.
		p := e.post("/login", url.Values{"username": {"nobody"}, "password": {"wrong password"}})
		require.Equal(t, http.StatusUnauthorized, p.Status, p.Body)
		require.Contains(t, p.Doc(t).Find("main").Text(), c.login)

		// An upload over its kind's limit, next to the file field after the redirect.
		p = e.multipartPost(withAppID("/console/materials/upload", e.acct), map[string]string{"type": "thumb"}, "file", "t.jpg",
			bytes.Repeat([]byte{0xff}, 100<<10))
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		requireFieldError(t, requirePage(t, e.get(p.Location), c.lang), "f-file", c.materials)

		// A logo larger than the whole form may be.
		p = e.multipartPost(logoAction, nil, "logoFile", "logo.png", bigLogo)
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		requireFieldError(t, requirePage(t, e.get(p.Location), c.lang), "f-logoFile", c.logo)

		// A follower's remark too long, next to that follower's field.
		p = e.post("/console/followers/remark", url.Values{"openid": {target}, "remark": {strings.Repeat("备", 31)},
			"back": {withAppID("/console/followers", e.acct)}})
		require.Equal(t, http.StatusBadRequest, p.Status, p.Body)
		requireFieldError(t, p.Doc(t), "remark-"+target, c.remark)
	}
}

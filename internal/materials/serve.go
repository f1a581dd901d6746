package materials

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// fileCSP is the policy a kept file is served under: were a file ever taken for a document, it runs no
// script, loads nothing and reaches nothing of the console's origin.
const fileCSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"

// file serves GET /apis/materials/file/{id} to the owner of the material's account; anyone else's is 40400,
// as if it did not exist.
func (h *Handler) file(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		httpapi.Fail(c, ErrNotFound)
		return
	}
	ctx := c.Request.Context()
	list, err := h.Accounts.List(ctx, httpapi.UserID(c))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	ids := make([]int64, 0, len(list))
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	f, err := h.Service.File(ctx, ids, id)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	c.Header("Cross-Origin-Resource-Policy", "same-origin")
	serveFile(c, f, "private, no-cache")
}

// ownLogo serves GET /apis/materials/logo?appid= : the operator's account's logo.
func (h *Handler) ownLogo(c *gin.Context) {
	ctx := c.Request.Context()
	acct, err := h.Accounts.Resolve(ctx, httpapi.UserID(c), strings.TrimSpace(c.Query("appid")))
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	f, err := h.Service.Logo(ctx, acct.ID)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	c.Header("Cross-Origin-Resource-Policy", "same-origin")
	serveFile(c, f, "private, no-cache")
}

// publicLogo serves GET /materials/logo/{appid} to anyone: the URL stays the same when the logo changes,
// so caches revalidate after a minute (the ETag is the content's SHA-256).
func (h *Handler) publicLogo(c *gin.Context) {
	ctx := c.Request.Context()
	acct, err := h.Accounts.ByAppID(ctx, c.Param("appid"))
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			err = ErrNoLogo
		}
		httpapi.Fail(c, err)
		return
	}
	f, err := h.Service.Logo(ctx, acct.ID)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	serveFile(c, f, "public, max-age=60")
}

// serveFile answers a kept file with the content type detected at upload, never sniffed again by the
// browser, inline under a safe name, sandboxed; with ETag, conditional and range requests (audio and video
// players seek with ranges).
func serveFile(c *gin.Context, f *File, cacheControl string) {
	h := c.Writer.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", fileCSP)
	disposition := "inline"
	if formatOf(f.ContentType) == nil {
		disposition = "attachment"
	}
	h.Set("Content-Disposition", contentDisposition(disposition, f.Name))
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", `"`+f.SHA256+`"`)
	http.ServeContent(c.Writer, c.Request, "", f.CreatedAt, bytes.NewReader(f.Data))
}

// contentDisposition writes disposition with the name twice (RFC 6266): filename, an ASCII fallback with
// anything else replaced by "_", and filename*, the exact name percent-encoded in UTF-8 (RFC 8187).
func contentDisposition(disposition, name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		if r >= 0x20 && r < 0x7f && r != '"' && r != '\\' && r != '%' {
			ascii.WriteRune(r)
		} else {
			ascii.WriteByte('_')
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			ext.WriteByte(b)
		} else {
			ext.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(b)>>4, 16)+strconv.FormatUint(uint64(b)&0xf, 16)))
		}
	}
	return disposition + `; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar reports RFC 8187's attr-char: letters, digits and !#$&+-.^_`|~.
func isAttrChar(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}

package pages

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// assets serves the embedded static files under /static/<hash>/<name>, where hash covers all of them, so
// a new build gets new URLs and the files can be cached for a year.
type assets struct {
	fsys   fs.FS
	prefix string
}

func newAssets(static fs.FS) (*assets, error) {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		h.Write(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &assets{fsys: sub, prefix: "/static/" + hex.EncodeToString(h.Sum(nil))[:12] + "/"}, nil
}

// URL answers the hashed URL of a static file.
func (a *assets) URL(name string) string { return a.prefix + strings.TrimPrefix(name, "/") }

func (a *assets) serve(c *gin.Context) {
	p := strings.TrimPrefix(c.Request.URL.Path, "/static/")
	i := strings.IndexByte(p, '/')
	if i < 0 {
		c.Status(http.StatusNotFound)
		return
	}
	name := path.Clean(p[i+1:])
	f, err := fs.ReadFile(a.fsys, name)
	if err != nil {
		c.Status(http.StatusNotFound)
		return
	}
	if "/static/"+p[:i]+"/" == a.prefix {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "no-cache")
	}
	ct := "application/octet-stream"
	switch path.Ext(name) {
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	case ".png":
		ct = "image/png"
	case ".ico":
		ct = "image/x-icon"
	}
	c.Data(http.StatusOK, ct, f)
}

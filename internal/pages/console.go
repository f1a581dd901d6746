package pages

import "github.com/gin-gonic/gin"

// consoleRoutes mounts the pages that act on an official account.
func (p *Pages) consoleRoutes(g *gin.RouterGroup) {
	g.GET("", p.dashboard)
}

func (p *Pages) dashboard(c *gin.Context) {
	v := p.view(c, "console", "console.title")
	p.html(c, 200, "console", v)
}

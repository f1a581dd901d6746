package pages

import (
	"crypto/rand"
	"github.com/socialinzen/socialinzen/internal/apperr"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// Routes mounts every page and the static files on the engine's root.
func (p *Pages) Routes(r gin.IRouter) {
	r.GET("/static/*file", p.assets.serve)
	g := r.Group("", p.tokenInQuery, p.optionalUser)
	g.GET("/", p.home)
	g.GET("/login", p.loginPage)
	g.POST("/login", p.csrf, p.loginPost)
	g.GET("/register", p.registerPage)
	g.POST("/register", p.csrf, p.mailRate(), p.registerPost)
	g.GET("/forgot", p.forgotPage)
	g.POST("/forgot", p.csrf, p.mailRate(), p.forgotPost)
	g.GET("/reset", p.resetPage)
	g.POST("/reset", p.csrf, p.resetPost)
	g.POST("/lang", p.csrf, p.setLang)
	g.POST("/switch", p.csrf, p.switchOperator)

	in := g.Group("", p.requireUser)
	in.GET("/authorize", p.authorizePage)
	in.POST("/authorize", p.csrf, p.authorizePost)
	in.POST("/authorize/demo", p.csrf, p.authorizeDemo)
	in.POST("/authorize/check", p.csrf, p.authorizeCheck)

	con := in.Group("/console", p.requireAccount, p.requireRole)
	p.consoleRoutes(con)
	p.componentRoutes(g, in, con)
	p.teamRoutes(g, in, con)
	if e, ok := r.(*gin.Engine); ok {
		p.patterns = map[string][]string{}
		for _, ri := range e.Routes() {
			if strings.HasPrefix(ri.Path, "/console") {
				p.patterns[ri.Method] = append(p.patterns[ri.Method], ri.Path)
			}
		}
	}
}

// mailRate refuses, with an error page, a form that would send one more mail than the client address
// may send (the API answers the same limit with 42900).
func (p *Pages) mailRate() gin.HandlerFunc {
	return func(c *gin.Context) {
		if p.deps.MailRate == nil {
			c.Next()
			return
		}
		if ok, wait := p.deps.MailRate.Allow(c.ClientIP()); !ok {
			c.Header("Retry-After", itoa(int(wait.Seconds())+1))
			p.fail(c, &apperr.Error{Kind: apperr.TooManyRequests, Msg: "Too many requests from your address: please wait a moment and try again.", Key: "error.toomany", RetryAfter: wait})
			return
		}
		c.Next()
	}
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlnum answers n random letters and digits (a suggested Token or EncodingAESKey).
func randomAlnum(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }

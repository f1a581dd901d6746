package pages

import "github.com/gin-gonic/gin"

// consoleRoutes mounts the pages that act on an official account (behind requireUser and requireAccount).
// Every POST runs the CSRF check and answers 303 back to its page with a flash (POST-redirect-GET), or
// renders the page again with the errors next to their fields.
func (p *Pages) consoleRoutes(g *gin.RouterGroup) {
	g.GET("", p.dashboard)

	g.GET("/replies", p.repliesPage)
	g.POST("/replies", p.csrf, p.replyAdd)
	g.POST("/replies/special/:kind", p.csrf, p.replySpecial)
	g.POST("/replies/simulate", p.csrf, p.simulate)
	g.POST("/replies/rule/:id", p.csrf, p.replyUpdate)
	g.POST("/replies/rule/:id/enable", p.csrf, p.replyEnable)
	g.POST("/replies/rule/:id/delete", p.csrf, p.replyDelete)

	g.GET("/followers", p.followersPage)
	g.GET("/followers/sync/status", p.followersSyncStatus)
	g.POST("/followers/sync", p.csrf, p.followersSync)
	g.POST("/followers/groups", p.csrf, p.groupCreate)
	g.POST("/followers/groups/:id", p.csrf, p.groupRename)
	g.POST("/followers/groups/:id/delete", p.csrf, p.groupDelete)
	g.POST("/followers/remark", p.csrf, p.followerRemark)
	g.POST("/followers/move", p.csrf, p.followerMove)

	g.GET("/broadcasts", p.broadcastsPage)
	g.POST("/broadcasts/mass", p.csrf, p.broadcastMass)
	g.POST("/broadcasts/preview", p.csrf, p.broadcastPreview)
	g.POST("/broadcasts/templates/sync", p.csrf, p.templatesSync)
	g.POST("/broadcasts/templates/add", p.csrf, p.templateAdd)
	g.POST("/broadcasts/templates/send", p.csrf, p.templateSend)
	g.GET("/broadcasts/:id", p.broadcastPage)
	g.POST("/broadcasts/:id/:action", p.csrf, p.broadcastAction)

	g.GET("/qrcodes", p.qrcodesPage)
	g.POST("/qrcodes", p.csrf, p.qrcodeCreate)
	g.GET("/qrcodes/:file", p.qrcodeImage)

	g.GET("/materials", p.materialsPage)
	g.POST("/materials/upload", p.csrf, p.materialUpload)
	g.POST("/materials/delete", p.csrf, p.materialDelete)

	g.GET("/menu", p.menuPage)
	g.POST("/menu", p.csrf, p.menuSave)
	g.POST("/menu/json", p.csrf, p.menuSaveJSON)
	g.POST("/menu/publish", p.csrf, p.menuPublish)
	g.POST("/menu/import", p.csrf, p.menuImport)
	g.POST("/menu/delete", p.csrf, p.menuDelete)
	g.POST("/menu/conditional", p.csrf, p.menuConditionalCreate)
	g.POST("/menu/conditional/delete", p.csrf, p.menuConditionalDelete)

	g.GET("/articles", p.articlesPage)
	g.GET("/articles/edit", p.articleEdit)
	g.GET("/articles/status", p.articleStatus)
	g.POST("/articles/save", p.csrf, p.articleSave)
	g.POST("/articles/publish", p.csrf, p.articlePublish)
	g.POST("/articles/delete", p.csrf, p.articleDelete)
	g.POST("/articles/sync", p.csrf, p.articleSync)

	g.GET("/jssdk", p.jssdkPage)

	g.GET("/inbox", p.inboxPage)

	g.GET("/conversations", p.conversationsPage)
	g.POST("/conversations/send", p.csrf, p.conversationSend)
	g.POST("/conversations/read", p.csrf, p.conversationRead)
	g.POST("/conversations/assign", p.csrf, p.conversationAssign)
	g.POST("/conversations/quick", p.csrf, p.quickSave)
	g.POST("/conversations/quick/delete", p.csrf, p.quickDelete)

	g.GET("/settings", p.settingsPage)
	g.POST("/settings/jsdomains", p.csrf, p.settingsJSDomains)
	g.POST("/settings/msdk", p.csrf, p.settingsRotateMsdk)
	g.POST("/settings/unbind", p.csrf, p.settingsUnbind)
	g.POST("/settings/logo", p.csrf, p.settingsLogo)
	g.GET("/settings/audit", p.auditPage)
}

package wxemu

import (
	"net/http"
)

// authed is a handler of an endpoint that takes the base access_token; appid is the token's account.
type authed func(w http.ResponseWriter, r *http.Request, appid string)

type route struct {
	method string // GET or POST; anything else is answered like WeChat (43001 / 43002)
	auth   authed // set for endpoints checked with access_token
	open   http.HandlerFunc
}

func (e *Emulator) routes() http.Handler {
	get := func(h authed) route { return route{method: http.MethodGet, auth: h} }
	post := func(h authed) route { return route{method: http.MethodPost, auth: h} }
	getOpen := func(h http.HandlerFunc) route { return route{method: http.MethodGet, open: h} }
	postOpen := func(h http.HandlerFunc) route { return route{method: http.MethodPost, open: h} }

	table := map[string]route{
		// token.go
		"/cgi-bin/token":            getOpen(e.handleToken),
		"/cgi-bin/stable_token":     postOpen(e.handleStableToken),
		"/cgi-bin/ticket/getticket": get(e.handleGetTicket),
		// qrcode.go
		"/cgi-bin/qrcode/create": post(e.handleQRCreate),
		"/cgi-bin/showqrcode":    getOpen(e.handleShowQR),
		// users.go
		"/cgi-bin/user/get":               get(e.handleUserGet),
		"/cgi-bin/user/info":              get(e.handleUserInfo),
		"/cgi-bin/user/info/batchget":     post(e.handleUserBatchGet),
		"/cgi-bin/user/info/updateremark": post(e.handleUpdateRemark),
		// tags.go
		"/cgi-bin/user/tag/get":                  post(e.handleTagUsers),
		"/cgi-bin/tags/members/getblacklist":     post(e.handleGetBlacklist),
		"/cgi-bin/tags/create":                   post(e.handleTagCreate),
		"/cgi-bin/tags/get":                      get(e.handleTagsGet),
		"/cgi-bin/tags/update":                   post(e.handleTagUpdate),
		"/cgi-bin/tags/delete":                   post(e.handleTagDelete),
		"/cgi-bin/tags/members/batchtagging":     post(e.handleBatchTagging),
		"/cgi-bin/tags/members/batchuntagging":   post(e.handleBatchUntagging),
		"/cgi-bin/tags/getidlist":                post(e.handleTagIDList),
		"/cgi-bin/tags/members/batchblacklist":   post(e.handleBatchBlacklist),
		"/cgi-bin/tags/members/batchunblacklist": post(e.handleBatchUnblacklist),
		// materials.go
		"/cgi-bin/material/add_material":      post(e.handleAddMaterial),
		"/cgi-bin/material/get_material":      post(e.handleGetMaterial),
		"/cgi-bin/material/del_material":      post(e.handleDelMaterial),
		"/cgi-bin/material/get_materialcount": get(e.handleMaterialCount),
		"/cgi-bin/material/batchget_material": post(e.handleBatchGetMaterial),
		"/cgi-bin/media/uploadimg":            post(e.handleUploadImg),
		// drafts.go, freepublish.go
		"/cgi-bin/draft/add":              post(e.handleDraftAdd),
		"/cgi-bin/draft/update":           post(e.handleDraftUpdate),
		"/cgi-bin/draft/get":              post(e.handleDraftGet),
		"/cgi-bin/draft/delete":           post(e.handleDraftDelete),
		"/cgi-bin/draft/count":            get(e.handleDraftCount),
		"/cgi-bin/draft/batchget":         post(e.handleDraftBatchGet),
		"/cgi-bin/freepublish/submit":     post(e.handleFreePublishSubmit),
		"/cgi-bin/freepublish/get":        post(e.handleFreePublishGet),
		"/cgi-bin/freepublish/delete":     post(e.handleFreePublishDelete),
		"/cgi-bin/freepublish/getarticle": post(e.handleFreePublishGetArticle),
		"/cgi-bin/freepublish/batchget":   post(e.handleFreePublishBatchGet),
		"/simulator/publishOutcome":       postOpen(e.handleSimulatorPublishOutcome),
		// menu.go
		"/cgi-bin/menu/create":               post(e.handleMenuCreate),
		"/cgi-bin/menu/get":                  get(e.handleMenuGet),
		"/cgi-bin/menu/delete":               get(e.handleMenuDelete),
		"/cgi-bin/get_current_selfmenu_info": get(e.handleSelfMenuInfo),
		// conditional.go
		"/cgi-bin/menu/addconditional": post(e.handleAddConditional),
		"/cgi-bin/menu/delconditional": post(e.handleDelConditional),
		"/cgi-bin/menu/trymatch":       post(e.handleTryMatch),
		// customservice.go
		"/cgi-bin/message/custom/send":   post(e.handleCustomSend),
		"/cgi-bin/message/custom/typing": post(e.handleCustomTyping),
		"/simulator/received":            getOpen(e.handleSimulatorReceived),
		// broadcast.go
		"/cgi-bin/message/mass/sendall":              post(e.handleMassSendAll),
		"/cgi-bin/message/mass/send":                 post(e.handleMassSend),
		"/cgi-bin/message/mass/preview":              post(e.handleMassPreview),
		"/cgi-bin/message/mass/delete":               post(e.handleMassDelete),
		"/cgi-bin/message/mass/get":                  post(e.handleMassGet),
		"/cgi-bin/template/get_all_private_template": get(e.handleTemplateList),
		"/cgi-bin/template/api_add_template":         post(e.handleTemplateAdd),
		"/cgi-bin/template/del_private_template":     post(e.handleTemplateDelete),
		"/cgi-bin/message/template/send":             post(e.handleTemplateSend),
		// oauth.go
		"/connect/oauth2/authorize": getOpen(e.handleAuthorize),
		"/connect/oauth2/consent":   postOpen(e.handleConsent),
		"/sns/oauth2/access_token":  getOpen(e.handleSNSAccessToken),
		"/sns/oauth2/refresh_token": getOpen(e.handleSNSRefresh),
		"/sns/auth":                 getOpen(e.handleSNSAuth),
		"/sns/userinfo":             getOpen(e.handleSNSUserInfo),
		// sandbox.go
		"/demo":               getOpen(e.handleDemo),
		"/simulator/send":     postOpen(e.handleSimulatorSend),
		"/simulator/callback": postOpen(e.handleSimulatorCallback),
	}
	for k, v := range e.componentRoutes() {
		table[k] = v
	}

	for path, h := range e.datacubeRoutes() { // datacube.go
		table[path] = post(h)
	}

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.record(w, r) {
			return
		}
		rt, ok := table[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != rt.method {
			if rt.method == http.MethodPost {
				writeJSON(w, wxErr(codeRequirePOST))
			} else {
				writeJSON(w, wxErr(codeRequireGET))
			}
			return
		}
		if rt.open != nil {
			rt.open(w, r)
			return
		}
		appid, ae := e.checkToken(r.URL.Query().Get("access_token"))
		if ae != nil {
			writeJSON(w, ae)
			return
		}
		rt.auth(w, r, appid)
	})
}

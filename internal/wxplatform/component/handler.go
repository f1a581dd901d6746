package component

import (
	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/httpapi"
)

// APIRoutes mounts, on an authenticated /apis/wxplatform group: componentAuthorizeUrl {mobile?} → {url}
// (contract §15), componentStatus → the ticket's health and the URLs to configure on the Open Platform,
// and componentStartPushTicket (api_start_push_ticket, when pushes are missing).
func (s *Service) APIRoutes(g httpapi.Group) {
	g.Write("/componentAuthorizeUrl", s.authorizeURL)
	g.Read("/componentStatus", s.status)
	g.Write("/componentStartPushTicket", s.startPushTicket)
}

func (s *Service) authorizeURL(c *gin.Context) {
	b, err := httpapi.Bind(c)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	mobile, _, err := b.Bool("mobile")
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	u, err := s.AuthorizeURL(c.Request.Context(), httpapi.UserID(c), mobile)
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"url": u})
}

func (s *Service) status(c *gin.Context) {
	st, err := s.Status(c.Request.Context())
	if err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, gin.H{"appid": st.AppID, "ticketAgeSeconds": st.TicketAgeSeconds, "pushesMissing": st.PushesMissing,
		"eventUrl": st.EventURL, "messageUrl": st.MessageURL})
}

func (s *Service) startPushTicket(c *gin.Context) {
	if err := s.StartPushTicket(c.Request.Context()); err != nil {
		httpapi.Fail(c, err)
		return
	}
	httpapi.OK(c, nil)
}

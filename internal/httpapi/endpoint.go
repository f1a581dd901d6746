package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/domain"
)

// One shape for every JSON endpoint: a capability registers an Endpoint, a function of a Request answering
// an Answer or an error, and the adapter here does the rest once: decode the body, check the operator may
// call the route on the scoped account, call, encode the answer, map the error to the contract's errcode
// (Fail). A handler body is only its own logic:
//
//	func (h *Handler) Routes(g httpapi.Group) {
//		g.WriteJSON("/addReply", h.add)
//		g.ReadJSON("/listReply", h.list)
//	}
//
//	func (h *Handler) add(r *httpapi.Request) (httpapi.Answer, error) {
//		in, err := decodeInput(r.Body)
//		if err != nil {
//			return nil, err
//		}
//		rule, err := h.svc.Add(r.Ctx, r.Account.ID, in)
//		if err != nil {
//			return nil, err
//		}
//		return httpapi.Fields{"id": rule.ID, "rule": rule.View()}, nil
//	}

// Role is the least role an operator must hold on an account to call a route: contract §14's owner ›
// admin › editor › agent › viewer (domain.Role). RoleAny leaves the choice to the group's Authorize hook
// (teams.Authorize: viewer for reads, editor for writes).
type Role = domain.Role

// RoleAny asks nothing beyond authentication (and, on a scoped group, an account of one's own).
const RoleAny Role = ""

// Route is what the group's Authorize hook learns of the route being called.
type Route struct {
	Path  string
	Write bool // the route changes something (POST only); a read answers GET too
	Min   Role // declared with MinRole; RoleAny otherwise
}

// RouteOption declares something of one route.
type RouteOption func(*routeSpec)

type routeSpec struct {
	Route
	before []gin.HandlerFunc
	noBody bool
}

// MinRole declares the least role the route needs (see Role); the group's Authorize hook enforces it.
func MinRole(role Role) RouteOption { return func(s *routeSpec) { s.Min = role } }

// Before runs middleware ahead of the route (e.g. a body limit of its own).
func Before(h ...gin.HandlerFunc) RouteOption {
	return func(s *routeSpec) { s.before = append(s.before, h...) }
}

// RawBody leaves the body unread for the endpoint to stream (uploads): Request.Body holds the query only.
func RawBody() RouteOption { return func(s *routeSpec) { s.noBody = true } }

// Request is what an endpoint receives.
type Request struct {
	// Ctx is the request's context; it carries the principal and the account (domain.PrincipalFrom,
	// domain.AccountFrom) for the services that want them.
	Ctx  context.Context
	Body *Body
	// Principal is the operator the request acts for (zero on public routes).
	Principal domain.Principal
	// Account is the official account accounts.Scope chose; never nil on a scoped group.
	Account *domain.Account
	// Gin is the request itself, for the rare endpoint that sets a header or a cookie or streams.
	Gin *gin.Context
}

// UserID answers the operator's id.
func (r *Request) UserID() int64 { return r.Principal.UserID }

// Answer is a successful answer.
type Answer interface {
	answer(c *gin.Context)
}

// Fields answers errcode 0, msg "ok" and the fields at the top level. A nil Answer answers just the
// first two.
type Fields gin.H

func (f Fields) answer(c *gin.Context) { OK(c, gin.H(f)) }

type list[T any] []T

func (l list[T]) answer(c *gin.Context) { Array(c, []T(l)) }

// List answers a bare JSON array, where the spec answers with one (listReply, group users); nil is [].
func List[T any](items []T) Answer { return list[T](items) }

// Status answers fields with another status than 200 (a 202 for work begun).
type Status struct {
	Code   int
	Fields Fields
}

func (s Status) answer(c *gin.Context) {
	out := gin.H{"errcode": CodeOK, "msg": "ok"}
	for k, v := range s.Fields {
		out[k] = v
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(s.Code, out)
}

// Endpoint is a JSON endpoint's own logic.
type Endpoint func(r *Request) (Answer, error)

// ErrUnscoped is a scoped group's route reached without accounts.Scope: a wiring mistake.
var ErrUnscoped = errors.New("httpapi: a scoped route ran without accounts.Scope")

// ReadJSON registers a read-only endpoint on both POST and GET.
func (g Group) ReadJSON(path string, fn Endpoint, opts ...RouteOption) {
	s := g.spec(path, false, opts)
	h := append(s.before, g.adapt(s, fn))
	g.POST(path, h...)
	g.GET(path, h...)
}

// WriteJSON registers an endpoint that changes something (POST only).
func (g Group) WriteJSON(path string, fn Endpoint, opts ...RouteOption) {
	s := g.spec(path, true, opts)
	g.POST(path, append(s.before, g.adapt(s, fn))...)
}

func (g Group) spec(path string, write bool, opts []RouteOption) routeSpec {
	s := routeSpec{Route: Route{Path: path, Write: write, Min: RoleAny}}
	if write {
		s.Min = g.WriteMin
	}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// adapt is the one place a JSON endpoint is decoded, checked, called and answered.
func (g Group) adapt(s routeSpec, fn Endpoint) gin.HandlerFunc {
	return func(c *gin.Context) {
		var b *Body
		var err error
		if s.noBody {
			b, err = Decode(&http.Request{URL: c.Request.URL})
		} else {
			b, err = Bind(c)
		}
		if err != nil {
			Fail(c, err)
			return
		}
		ctx := c.Request.Context()
		p, _ := domain.PrincipalFrom(ctx)
		a, _ := domain.AccountFrom(ctx)
		if g.Scoped && a == nil {
			Fail(c, apperr.Wrap(apperr.Internal, "internal error", ErrUnscoped))
			return
		}
		ctx = WithRoute(ctx, s.Route)
		if g.Authorize != nil {
			if err := g.Authorize(ctx, s.Route); err != nil {
				Fail(c, err)
				return
			}
		}
		ans, err := fn(&Request{Ctx: ctx, Body: b, Principal: p, Account: a, Gin: c})
		if err != nil {
			Fail(c, err)
			return
		}
		if c.Writer.Written() {
			return // the endpoint answered itself (a redirect, a file)
		}
		if ans == nil {
			OK(c, nil)
			return
		}
		ans.answer(c)
	}
}

// Blob answers bytes of a content type (an image), with headers of its own; its failures are still the
// JSON envelope.
type Blob struct {
	ContentType string
	Data        []byte
	Header      map[string]string
}

func (b Blob) answer(c *gin.Context) {
	for k, v := range b.Header {
		c.Header(k, v)
	}
	c.Data(http.StatusOK, b.ContentType, b.Data)
}

// Redirect answers a redirect (a browser's form post answered with the page to show next).
type Redirect struct {
	Code     int
	Location string
}

func (r Redirect) answer(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Redirect(r.Code, r.Location)
}

type routeKey struct{}

// WithRoute answers ctx carrying the route being called; the adapter puts it in every endpoint's context,
// so a handler that resolves its account itself (an upload on an unscoped group) is still checked against
// the route's role by accounts.Resolve.
func WithRoute(ctx context.Context, r Route) context.Context {
	return context.WithValue(ctx, routeKey{}, r)
}

// RouteFrom answers the route WithRoute put in ctx.
func RouteFrom(ctx context.Context) (Route, bool) {
	r, ok := ctx.Value(routeKey{}).(Route)
	return r, ok
}

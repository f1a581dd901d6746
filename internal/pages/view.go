package pages

import (
	"html/template"

	"github.com/socialinzen/socialinzen/internal/domain"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/wxplatform/accounts"
)

// View is what every template receives.
type View struct {
	Lang     string
	Page     string // the page's name, for the navigation
	Title    string // a translation key
	Path     string // the request path, for the language switch to come back to
	User     *httpapi.Principal
	Accounts []*accounts.Account
	Account  *accounts.Account // the account the page acts on
	Flashes  []Flash
	Form     map[string]string // values to put back into a form after an error
	Errors   map[string]string // field -> message, shown next to the field
	Error    string            // a message for the whole form
	Data     any               // the page's own data
	Sandbox  bool
	Role     domain.Role // the operator's role on Account (contract §14)
}

// Can says the operator's role on the account includes role: the templates hide what it may not do
// ({{if .Can "admin"}}); requireRole refuses it anyway.
func (v *View) Can(role string) bool { return v.Role.AtLeast(domain.Role(role)) }

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind string // ok | error | info
	Text string
}

// Pager describes one page of a long list.
type Pager struct {
	Offset, Limit, Total int
	// Query is the rest of the query string (without offset) for the links, already encoded ("&q=x"):
	// typed as URL text so that html/template does not escape its "&" and "=" again.
	Query template.URL
}

// HasPrev and HasNext tell whether the links are shown.
func (p Pager) HasPrev() bool { return p.Offset > 0 }

// HasNext reports whether there is a page after this one.
func (p Pager) HasNext() bool { return p.Offset+p.Limit < p.Total }

// PrevOffset is the offset of the previous page.
func (p Pager) PrevOffset() int {
	if p.Offset-p.Limit < 0 {
		return 0
	}
	return p.Offset - p.Limit
}

// NextOffset is the offset of the next page.
func (p Pager) NextOffset() int { return p.Offset + p.Limit }

// From and To number the shown rows from 1.
func (p Pager) From() int {
	if p.Total == 0 {
		return 0
	}
	return p.Offset + 1
}

// To is the number of the last shown row.
func (p Pager) To() int {
	if p.Offset+p.Limit > p.Total {
		return p.Total
	}
	return p.Offset + p.Limit
}

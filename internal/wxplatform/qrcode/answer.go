package qrcode

import (
	"context"

	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// Rules answers a message by the keyword rules; *reply.Service implements it (and so does Answerer,
// which the callback takes in its place).
type Rules interface {
	Match(ctx context.Context, accountID int64, msg *wxcrypto.Message) (*reply.Match, error)
}

// Answerer answers the callback's messages: a scan of a code with a reply, or a follow through it, gets
// the code's reply (it wins over the subscribe and default replies); everything else goes to the rules.
// It reads the in-memory snapshot only, so it costs the callback two map lookups.
type Answerer struct {
	s    *Service
	next Rules
}

// Answering wraps the rules with the codes' replies; the callback takes the result as its Matcher.
func (s *Service) Answering(next Rules) *Answerer { return &Answerer{s: s, next: next} }

// Match implements the callback's Matcher.
func (a *Answerer) Match(ctx context.Context, accountID int64, msg *wxcrypto.Message) (*reply.Match, error) {
	if act := a.s.lookup(accountID, msg); act != nil && act.reply != nil {
		return &reply.Match{Kind: reply.MatchKindQRCode, Reply: *act.reply}, nil
	}
	return a.next.Match(ctx, accountID, msg)
}

package reply

import (
	"errors"
	"strconv"
	"strings"

	"github.com/socialinzen/socialinzen/internal/apperr"
)

// Errors of several keywords and replies (contract §20).
var (
	ErrTooManyKeywords = apperr.Invalidf("request", "may have at most %d keywords", MaxKeywords).
				WithKey("err.rule.keywords_max", MaxKeywords)
	ErrTooManyReplies = apperr.Invalidf("replies", "may have at most %d replies", MaxReplies).
				WithKey("err.rule.replies_max", MaxReplies)
	ErrBadReplyMode = apperr.Invalidf("replyMode", "must be random or all").WithKey("err.rule.reply_mode")
)

// checkKeywords validates a rule's keywords for its mode and answers them trimmed: 1 to MaxKeywords, none
// twice (compared as they are matched). A single keyword's errors name "request", several "request[i]".
func checkKeywords(raw []string, mode MatchMode) ([]string, error) {
	switch {
	case len(raw) == 0:
		return nil, apperr.Missing("request")
	case len(raw) > MaxKeywords:
		return nil, ErrTooManyKeywords
	}
	out := make([]string, len(raw))
	seen := make(map[string]bool, len(raw))
	for i, kw := range raw {
		field := "request"
		if len(raw) > 1 {
			field = "request[" + strconv.Itoa(i) + "]"
		}
		k, err := checkKeyword(field, kw, mode)
		if err != nil {
			return nil, err
		}
		key := foldKey(k)
		if seen[key] {
			return nil, apperr.Invalidf(field, "is given twice").WithKey("err.rule.keyword_twice", field)
		}
		seen[key] = true
		out[i] = k
	}
	return out, nil
}

// checkReplies validates a rule's replies: 1 to MaxReplies, each of a valid type with a valid body. Errors
// name the reply as replies[i] (replies[1].content).
func checkReplies(replies []Reply) error {
	switch {
	case len(replies) == 0:
		return apperr.Missing("replies")
	case len(replies) > MaxReplies:
		return ErrTooManyReplies
	}
	for i, rp := range replies {
		base := "replies[" + strconv.Itoa(i) + "]"
		if !rp.Type.Valid() {
			if rp.Type == "" {
				return apperr.Missing(base + ".type")
			}
			return apperr.Invalidf(base+".type", "must be one of text, image, voice, video, music, multitext").WithKey("err.reply.type", base+".type")
		}
		if err := rp.Content.Validate(rp.Type, MaxArticlesMessage); err != nil {
			return RenameField(err, ReplyField, base)
		}
	}
	return nil
}

// RenameField renames the field an error names: reply.content → replies[2].content.
func RenameField(err error, from, to string) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || !strings.HasPrefix(ae.Field, from) {
		return err
	}
	c := *ae
	c.Field = to + strings.TrimPrefix(ae.Field, from)
	c.Msg = strings.Replace(ae.Msg, ae.Field, c.Field, 1)
	if len(c.Args) > 0 {
		args := append([]any(nil), c.Args...)
		if s, ok := args[0].(string); ok && s == ae.Field {
			args[0] = c.Field
		}
		c.Args = args
	}
	return &c
}

// checkMode answers the reply mode, random when unset.
func checkMode(m ReplyMode) (ReplyMode, error) {
	if m == "" {
		return ModeRandom, nil
	}
	if !m.Valid() {
		return "", ErrBadReplyMode
	}
	return m, nil
}

// regexCount is how many regex keywords a rule of mode with keywords has.
func regexCount(mode MatchMode, keywords []string) int {
	if mode != MatchRegex {
		return 0
	}
	return len(keywords)
}

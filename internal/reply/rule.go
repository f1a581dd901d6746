package reply

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// ReplyType is what a rule answers with, in the API's words (contract §6). multitext is WeChat's news
// reply.
type ReplyType string

// The reply types.
const (
	TypeText      ReplyType = "text"
	TypeImage     ReplyType = "image"
	TypeVoice     ReplyType = "voice"
	TypeVideo     ReplyType = "video"
	TypeMusic     ReplyType = "music"
	TypeMultitext ReplyType = "multitext"
)

// MatchMode is how a keyword rule compares its keyword with a message.
type MatchMode string

// The match modes, strongest first: an exact rule beats a contains rule beats a regex rule.
const (
	MatchExact    MatchMode = "exact"
	MatchContains MatchMode = "contains"
	MatchRegex    MatchMode = "regex"
)

// ReplyMode is how a rule with several replies answers (contract §20).
type ReplyMode string

// The reply modes: random answers one of the replies, chosen at random; all answers the first as the
// passive reply and sends the others as customer-service messages right after.
const (
	ModeRandom ReplyMode = "random"
	ModeAll    ReplyMode = "all"
)

// Valid reports whether m is one of the reply modes.
func (m ReplyMode) Valid() bool { return m == ModeRandom || m == ModeAll }

// Reply is one reply of a rule: its type and body.
type Reply struct {
	Type    ReplyType
	Content Content
}

// Kind says what a rule answers: keyword rules answer text messages (and menu clicks); the subscribe reply
// answers the subscribe event; the default reply answers any message no keyword rule matched.
type Kind string

// The rule kinds.
const (
	KindKeyword   Kind = "keyword"
	KindSubscribe Kind = "subscribe"
	KindDefault   Kind = "default"
)

// Limits of what a rule may hold.
const (
	// MaxKeywordChars bounds exact and contains keywords. WeChat's own admin allows 30 characters; a menu
	// key (matched like an exact keyword) may be 128 bytes.
	MaxKeywordChars = 128
	// MaxRegexBytes bounds a regex keyword. RE2 runs in linear time whatever the pattern, so the cap only
	// bounds the size of the compiled program.
	MaxRegexBytes = 256
	// MaxKeywordRules bounds an account's keyword rules (WeChat's own admin allows 200). Exact and contains
	// rules cost the same per message whatever their number (a hash lookup, one Aho-Corasick pass); the cap
	// bounds memory and rebuilds.
	MaxKeywordRules = 1000
	// MaxRegexRules bounds an account's regex rules: they are tried one by one.
	MaxRegexRules = 100
	// MaxRegexProgram bounds a regex's compiled program (RE2 instructions). RE2 is linear in the message,
	// but its factor grows with the program: a 1,200-instruction pattern takes ~40 ms on 2 KB, one of 200
	// at most a few.
	MaxRegexProgram = 200
	// RegexInputBytes is how much of a message regexes see: its first 2,048 bytes (WeChat's limit on a text
	// message), cut on a character boundary.
	RegexInputBytes = 2048
	// MaxTextBytes is WeChat's limit on a text reply.
	MaxTextBytes = 2048
	// MaxArticlesMessage is how many articles WeChat shows in answer to a message; MaxArticlesEvent in
	// answer to an event (the subscribe reply).
	MaxArticlesMessage = 1
	MaxArticlesEvent   = 8
	// MaxKeywords is how many keywords one rule may have, MaxReplies how many replies (WeChat's own admin's
	// limits).
	MaxKeywords = 10
	MaxReplies  = 5
)

// Errors of the package.
var (
	ErrNotFound      = apperr.New(apperr.NotFound, "reply rule not found").WithKey("err.reply.not_found")
	ErrKeywordTaken  = apperr.New(apperr.Conflict, "a rule with this keyword already exists").WithKey("err.reply.keyword_taken")
	errLoadThrottled = errors.New("reply: rules could not be loaded a moment ago")
)

// ErrUnavailable wraps every error Match returns: the account's rules are not in memory and could not be
// read from Postgres. The callback answers "success" then (contract §5: always answer within 2 s).
var ErrUnavailable = errors.New("reply: rules unavailable")

// Content is the body of a reply, whatever its type; only the fields of its type are set.
type Content struct {
	Content      string    // text
	MediaID      string    // image, voice, video
	Title        string    // video, music
	Description  string    // video, music
	MusicURL     string    // music
	HQMusicURL   string    // music, optional
	ThumbMediaID string    // music
	Articles     []Article // multitext
}

// Article is one item of a multitext (news) reply.
type Article struct {
	Title       string
	Description string
	PicURL      string
	URL         string
}

// Rule is a keyword rule, or an account's subscribe or default reply.
type Rule struct {
	ID        int64
	AccountID int64
	Kind      Kind
	Keyword   string    // the request as the operator typed it, trimmed; "" for subscribe and default
	Keywords  []string  // every keyword of a keyword rule, Keyword first
	Match     MatchMode // exact for subscribe and default
	Type      ReplyType // the first reply's type
	Reply     Content   // the first reply
	Replies   []Reply   // every reply, the first being Type and Reply
	Mode      ReplyMode // how several replies answer
	Schedule  Schedule  // when a keyword rule answers
	Enabled   bool
	Hits      int64      // the messages it answered, each counted once (List only)
	LastHitAt *time.Time // when it last answered one (List only)
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Match is what Match answers: the rule that matched and the passive reply to send. Reply carries MsgType and
// the body fields only; the callback fills ToUserName, FromUserName and CreateTime. Its Articles slice is
// shared with the matcher: copy it before changing it.
type Match struct {
	RuleID  int64
	Keyword string
	Kind    string // "keyword", "subscribe", "default" or "click"
	Reply   wxcrypto.Reply
	// FollowUps are the replies a rule in "all" mode sends as customer-service messages after the passive
	// one, in order (nil otherwise). Shared with the matcher: read only.
	FollowUps []Reply
}

// foldKey is the form keywords are compared and kept unique in: surrounding white space trimmed (Unicode's,
// so the ideographic space U+3000 too) and Latin letters lower-cased (A–Z, and accented and full-width Latin
// letters); every other script is compared as is.
func foldKey(s string) string {
	return foldLatin(strings.TrimSpace(s))
}

// foldLatin lower-cases Latin letters and leaves everything else. It allocates only when something
// changes.
func foldLatin(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isUpperLatin(r) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		} else if isUpperLatin(r) {
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isUpperLatin(r rune) bool {
	// CJK, kana and Hangul, the bulk of what followers send, have no Latin letters: skip the tables.
	if (r >= 0x2E80 && r < 0xA640) || (r >= 0xAC00 && r < 0xD800) {
		return false
	}
	return unicode.IsUpper(r) && unicode.Is(unicode.Latin, r)
}

// checkKeyword validates a keyword for its mode and answers it trimmed.
func checkKeyword(field, raw string, mode MatchMode) (string, error) {
	kw := strings.TrimSpace(raw)
	if kw == "" {
		return "", apperr.Missing(field)
	}
	if !utf8.ValidString(kw) {
		return "", apperr.Invalidf(field, "must be valid UTF-8 text").WithKey("err.field.utf8_text", field)
	}
	if mode == MatchRegex {
		if len(kw) > MaxRegexBytes {
			return "", apperr.Invalidf(field, "a regular expression may be at most %d bytes", MaxRegexBytes).WithKey("err.reply.regex_bytes", field, MaxRegexBytes)
		}
		if _, err := regexp.Compile(kw); err != nil {
			return "", apperr.Invalidf(field, "is not a valid regular expression (RE2 syntax): %s", regexProblem(err)).WithKey("err.reply.regex_invalid", field, regexProblem(err))
		}
		if n := regexProgramSize(kw); n > MaxRegexProgram {
			return "", apperr.Invalidf(field, "is too complex a regular expression (%d steps, at most %d): use fewer or smaller repetitions", n, MaxRegexProgram).WithKey("err.reply.regex_complex", field, n, MaxRegexProgram)
		}
		return kw, nil
	}
	if utf8.RuneCountInString(kw) > MaxKeywordChars {
		return "", apperr.Invalidf(field, "may be at most %d characters", MaxKeywordChars).WithKey("err.field.may_max_chars", field, MaxKeywordChars)
	}
	return kw, nil
}

// regexProgramSize answers the number of instructions of the pattern's compiled program, as RE2 runs it.
func regexProgramSize(kw string) int {
	re, err := syntax.Parse(kw, syntax.Perl)
	if err != nil {
		return 0
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return 0
	}
	return len(prog.Inst)
}

func regexProblem(err error) string {
	msg := err.Error()
	return strings.TrimPrefix(msg, "error parsing regexp: ")
}

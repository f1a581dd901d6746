package reply

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/wxplatform/wxcrypto"
)

// textRule is a fixture: an enabled text keyword rule answering "reply:<keyword>".
func textRule(id int64, keyword string, mode MatchMode) *Rule {
	return &Rule{ID: id, Kind: KindKeyword, Keyword: keyword, Match: mode, Type: TypeText,
		Reply: Content{Content: "reply:" + keyword}, Enabled: true}
}

func newsRule(id int64, kind Kind, n int) *Rule {
	r := &Rule{ID: id, Kind: kind, Match: MatchExact, Type: TypeMultitext, Enabled: true}
	for i := range n {
		r.Reply.Articles = append(r.Reply.Articles, Article{Title: fmt.Sprint("a", i), Description: "d",
			PicURL: "http://p/", URL: "http://u/"})
	}
	return r
}

func text(s string) *wxcrypto.Message { return &wxcrypto.Message{MsgType: "text", Content: s} }

func event(name, key string) *wxcrypto.Message {
	return &wxcrypto.Message{MsgType: "event", Event: name, EventKey: key}
}

func TestMatcherKeywords(t *testing.T) {
	t.Parallel()
	disabled := textRule(20, "off", MatchExact)
	disabled.Enabled = false
	disabledContains := textRule(21, "关闭", MatchContains)
	disabledContains.Enabled = false
	rules := []*Rule{
		textRule(1, "Hello", MatchExact),
		textRule(2, "hello world", MatchContains),
		textRule(3, "hello", MatchContains), // same text as the exact rule's keyword: exact wins
		textRule(4, "world", MatchContains),
		textRule(5, `^price\s*(\d+)$`, MatchRegex),
		textRule(6, `(?i)^PRICE`, MatchRegex),
		textRule(7, "优惠", MatchContains),
		textRule(8, "优惠券", MatchContains),
		textRule(9, "券", MatchContains),
		textRule(10, "你好", MatchExact),
		textRule(11, "abc", MatchContains),
		textRule(12, "bcd", MatchContains), // same length as abc: the lower id wins
		textRule(13, "价格", MatchRegex),     // a regex of plain text
		textRule(14, "wifi", MatchContains),
		disabled,
		disabledContains,
		textRule(22, "ΑΒΓ", MatchExact),
		textRule(23, "cafÉ", MatchExact),
		textRule(24, "menu_help", MatchExact),
	}
	m := buildMatcher(1, rules, nil, nil)
	tests := []struct {
		name   string
		text   string
		wantID int64 // 0: no keyword rule
	}{
		{"exact", "Hello", 1},
		{"exact ignores Latin case and surrounding space", "  hELLO \n", 1},
		{"exact ignores the ideographic space", "\u3000你好\u3000", 10},
		{"exact beats contains", "hello", 1},
		{"longest contains wins", "oh hello world!", 2},
		{"contains ignores case", "HELLO there", 3},
		{"contains elsewhere", "brave new world", 4},
		{"contains beats regex", "price 10 hello", 3},
		{"regex", "price 10", 5},
		{"regex is case-sensitive unless (?i)", "Price 10", 6},
		{"regex on trimmed text", "  price 7  ", 5},
		{"Chinese longest contains", "请问有优惠券吗", 8},
		{"Chinese shorter contains", "有优惠吗", 7},
		{"Chinese single character", "一张券", 9},
		{"Chinese exact is not contains", "你好吗", 0},
		{"overlapping keywords: same length, lower id", "xabcdx", 11},
		{"overlapping keywords: only the later one", "xbcdx", 12},
		{"regex of plain Chinese", "今天价格多少", 13},
		{"mixed scripts", "这里有WiFi吗", 14},
		{"disabled exact rule", "off", 0},
		{"disabled contains rule", "请关闭", 0},
		{"Greek is compared as is", "ΑΒΓ", 22},
		{"Greek case is not folded", "αβγ", 0},
		{"accented Latin folds", "CAFÉ", 23},
		{"nothing", "zzz", 0},
		{"blank", "   ", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, kind := m.match(text(tt.text), time.Time{}, instant{})
			if tt.wantID == 0 {
				require.Nil(t, r)
				return
			}
			require.NotNil(t, r)
			require.Equal(t, tt.wantID, r.id)
			require.Equal(t, MatchKindKeyword, kind)
		})
	}
}

func TestMatcherMessagesAndEvents(t *testing.T) {
	t.Parallel()
	rules := []*Rule{
		textRule(1, "hi", MatchExact),
		textRule(2, "MENU_Help", MatchExact),
		textRule(3, "menu", MatchContains),
		textRule(4, "^menu", MatchRegex),
		newsRule(5, KindSubscribe, 8),
		{ID: 6, Kind: KindDefault, Match: MatchExact, Type: TypeText, Reply: Content{Content: "default"}, Enabled: true},
		newsRule(7, KindKeyword, 1),
	}
	rules[6].Keyword = "news"
	m := buildMatcher(1, rules, nil, nil)
	tests := []struct {
		name     string
		msg      *wxcrypto.Message
		wantID   int64
		wantKind string
	}{
		{"keyword", text("hi"), 1, MatchKindKeyword},
		{"no keyword: default reply", text("what?"), 6, MatchKindDefault},
		{"image: default reply", &wxcrypto.Message{MsgType: "image", MediaID: "x"}, 6, MatchKindDefault},
		{"voice: default reply", &wxcrypto.Message{MsgType: "voice"}, 6, MatchKindDefault},
		{"location: default reply", &wxcrypto.Message{MsgType: "location"}, 6, MatchKindDefault},
		{"subscribe", event("subscribe", ""), 5, MatchKindSubscribe},
		{"subscribe through a QR code", event("subscribe", "qrscene_12"), 5, MatchKindSubscribe},
		{"unsubscribe: nothing", event("unsubscribe", ""), 0, ""},
		{"click matches exact keywords", event("CLICK", "menu_help"), 2, MatchKindClick},
		{"click ignores contains and regex", event("CLICK", "menu_other"), 0, ""},
		{"click with an unknown key: nothing, not the default", event("CLICK", "nope"), 0, ""},
		{"click without key", event("CLICK", ""), 0, ""},
		{"view event: nothing", event("VIEW", "http://x/"), 0, ""},
		{"scan event: nothing", event("SCAN", "12"), 0, ""},
		{"location event: nothing", event("LOCATION", ""), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, kind := m.match(tt.msg, time.Time{}, instant{})
			if tt.wantID == 0 {
				require.Nil(t, r)
				return
			}
			require.NotNil(t, r)
			require.Equal(t, tt.wantID, r.id)
			require.Equal(t, tt.wantKind, kind)
		})
	}

	t.Run("subscribe answers 8 articles", func(t *testing.T) {
		r, kind := m.match(event("subscribe", ""), time.Time{}, instant{})
		got := answer(r, kind)
		require.Equal(t, "news", got.Reply.MsgType)
		require.Len(t, got.Reply.Articles, 8)
		require.Equal(t, "", got.Keyword)
		require.Equal(t, int64(5), got.RuleID)
	})
	t.Run("keyword news answers 1 article", func(t *testing.T) {
		r, kind := m.match(text("news"), time.Time{}, instant{})
		got := answer(r, kind)
		require.Equal(t, "news", got.Reply.MsgType)
		require.Len(t, got.Reply.Articles, 1)
		require.Equal(t, "news", got.Keyword)
	})
	t.Run("click answer carries the keyword", func(t *testing.T) {
		r, kind := m.match(event("click", "MENU_HELP"), time.Time{}, instant{})
		got := answer(r, kind)
		require.Equal(t, "MENU_Help", got.Keyword)
		require.Equal(t, "click", got.Kind)
		require.Equal(t, wxcrypto.Reply{MsgType: "text", Content: "reply:MENU_Help"}, got.Reply)
	})
	t.Run("no subscribe reply: nothing", func(t *testing.T) {
		m := buildMatcher(1, []*Rule{rules[5]}, nil, nil)
		r, _ := m.match(event("subscribe", ""), time.Time{}, instant{})
		require.Nil(t, r)
		r, _ = m.match(event("unsubscribe", ""), time.Time{}, instant{})
		require.Nil(t, r)
	})
}

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		typ  ReplyType
		c    Content
		want wxcrypto.Reply
	}{
		{"text", TypeText, Content{Content: "hi"}, wxcrypto.Reply{MsgType: "text", Content: "hi"}},
		{"image", TypeImage, Content{MediaID: "M"}, wxcrypto.Reply{MsgType: "image", MediaID: "M"}},
		{"voice", TypeVoice, Content{MediaID: "V"}, wxcrypto.Reply{MsgType: "voice", MediaID: "V"}},
		{"video", TypeVideo, Content{MediaID: "M", Title: "T", Description: "D"},
			wxcrypto.Reply{MsgType: "video", MediaID: "M", Title: "T", Description: "D"}},
		{"music falls back to the plain URL for HQ", TypeMusic, Content{Title: "T", MusicURL: "http://a", ThumbMediaID: "TH"},
			wxcrypto.Reply{MsgType: "music", Title: "T", MusicURL: "http://a", HQMusicURL: "http://a", ThumbMediaID: "TH"}},
		{"multitext", TypeMultitext, Content{Articles: []Article{{"t", "d", "http://p", "http://u"}}},
			wxcrypto.Reply{MsgType: "news", Articles: []wxcrypto.Article{{Title: "t", Description: "d", PicURL: "http://p", URL: "http://u"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, render(tt.typ, tt.c, 8))
		})
	}
}

func TestMatcherSkipsBadStoredRegex(t *testing.T) {
	t.Parallel()
	var skipped []int64
	m := buildMatcher(1, []*Rule{textRule(1, "(bad", MatchRegex), textRule(2, "ok", MatchRegex)}, nil,
		func(r *Rule, err error) { skipped = append(skipped, r.ID) })
	require.Equal(t, []int64{1}, skipped)
	r, _ := m.match(text("ok"), time.Time{}, instant{})
	require.Equal(t, int64(2), r.id)
}

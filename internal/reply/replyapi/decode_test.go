package replyapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/socialinzen/socialinzen/internal/apperr"
	"github.com/socialinzen/socialinzen/internal/httpapi"
	"github.com/socialinzen/socialinzen/internal/reply"
	"github.com/socialinzen/socialinzen/internal/reply/replywire"
)

// decodeFields decodes a reply the way the handler does (through httpapi's Body, which applies the spec's
// aliases, and replyOf) and validates it the way the service does.
func decodeFields(fields map[string]any, maxArticles int) (reply.ReplyType, reply.Content, error) {
	b := httpapi.NewBody(fields)
	raw, err := replyOf(b)
	if err != nil {
		return "", reply.Content{}, err
	}
	t, c, err := replywire.Decode(b.Str("type"), "", raw, maxArticles)
	if err != nil {
		return "", reply.Content{}, err
	}
	return t, c, c.Validate(t, maxArticles)
}

// requireInvalid asserts err is a 40000 naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	var ae *apperr.Error
	require.True(t, errors.As(err, &ae), "not an apperr: %v", err)
	require.Equal(t, apperr.Invalid, ae.Kind, "%v", err)
	require.Equal(t, field, ae.Field, "%v", err)
	require.True(t, strings.HasPrefix(ae.Msg, field), "message %q should name %q", ae.Msg, field)
}

type obj = map[string]any
type arr = []any

func article(int) obj {
	return obj{"title": "t", "description": "d", "picurl": "https://example.com/p.jpg", "url": "http://example.com/a"}
}

func articles(n int) arr {
	out := arr{}
	for i := range n {
		out = append(out, article(i))
	}
	return out
}

func TestDecodeReply(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("好", 682) + "ab" // 2048 bytes
	tests := []struct {
		name        string
		fields      obj
		maxArticles int
		wantType    reply.ReplyType
		want        reply.Content
		wantErr     string // the field named; "" for success
	}{
		// text
		{name: "text", fields: obj{"type": "text", "reply": obj{"content": " hi "}},
			wantType: reply.TypeText, want: reply.Content{Content: "hi"}},
		{name: "text wrapper", fields: obj{"type": "text", "reply": obj{"type": "text", "content": "hi"}},
			wantType: reply.TypeText, want: reply.Content{Content: "hi"}},
		{name: "text wrapper gives the type", fields: obj{"reply": obj{"type": "text", "content": "hi"}},
			wantType: reply.TypeText, want: reply.Content{Content: "hi"}},
		{name: "text as a bare form field", fields: obj{"type": "text", "reply": "hello"},
			wantType: reply.TypeText, want: reply.Content{Content: "hello"}},
		{name: "text JSON in a form field", fields: obj{"type": "text", "reply": `{"content":"hi"}`},
			wantType: reply.TypeText, want: reply.Content{Content: "hi"}},
		{name: "text wrapper JSON in a form field", fields: obj{"reply": `{"type":"text","content":"hi"}`},
			wantType: reply.TypeText, want: reply.Content{Content: "hi"}},
		{name: "text fields at the top level", fields: obj{"type": "text", "content": "hi"},
			wantType: reply.TypeText, want: reply.Content{Content: "hi"}},
		{name: "text at the limit", fields: obj{"type": "text", "reply": obj{"content": long}},
			wantType: reply.TypeText, want: reply.Content{Content: long}},
		{name: "text over the limit", fields: obj{"type": "text", "reply": obj{"content": long + "x"}}, wantErr: "reply.content"},
		{name: "text missing", fields: obj{"type": "text", "reply": obj{}}, wantErr: "reply.content"},
		{name: "text blank", fields: obj{"type": "text", "reply": obj{"content": "  "}}, wantErr: "reply.content"},
		{name: "text not a string", fields: obj{"type": "text", "reply": obj{"content": obj{}}}, wantErr: "reply.content"},
		{name: "text as an array", fields: obj{"type": "text", "reply": arr{"x"}}, wantErr: "reply"},

		// image and voice
		{name: "image", fields: obj{"type": "image", "reply": obj{"mediaId": "M1"}},
			wantType: reply.TypeImage, want: reply.Content{MediaID: "M1"}},
		{name: "image with the spec's typo", fields: obj{"type": "image", "reply": obj{"mediald": "M1"}},
			wantType: reply.TypeImage, want: reply.Content{MediaID: "M1"}},
		{name: "image in the spec's wrapper", fields: obj{"reply": obj{"type": "image", "content": obj{"mediald": "M1"}}},
			wantType: reply.TypeImage, want: reply.Content{MediaID: "M1"}},
		{name: "image wrapper JSON in a form field", fields: obj{"type": "image", "reply": `{"type":"image","content":{"mediald":"M1"}}`},
			wantType: reply.TypeImage, want: reply.Content{MediaID: "M1"}},
		{name: "image in WeChat's spelling", fields: obj{"type": "image", "reply": obj{"MediaId": "M1"}},
			wantType: reply.TypeImage, want: reply.Content{MediaID: "M1"}},
		{name: "image at the top level (a form)", fields: obj{"type": "image", "mediald": "M1"},
			wantType: reply.TypeImage, want: reply.Content{MediaID: "M1"}},
		{name: "image missing", fields: obj{"type": "image", "reply": obj{}}, wantErr: "reply.mediaId"},
		{name: "image with spaces", fields: obj{"type": "image", "reply": obj{"mediaId": "a b"}}, wantErr: "reply.mediaId"},
		{name: "image as text", fields: obj{"type": "image", "reply": "M1"}, wantErr: "reply"},
		{name: "voice", fields: obj{"type": "voice", "reply": obj{"type": "voice", "content": obj{"mediald": "V"}}},
			wantType: reply.TypeVoice, want: reply.Content{MediaID: "V"}},
		{name: "voice missing", fields: obj{"type": "voice", "reply": obj{"type": "voice", "content": obj{}}}, wantErr: "reply.mediaId"},

		// video
		{name: "video", fields: obj{"type": "video", "reply": obj{"title": "T", "description": "D", "mediaId": "M"}},
			wantType: reply.TypeVideo, want: reply.Content{Title: "T", Description: "D", MediaID: "M"}},
		{name: "video with the spec's typos", fields: obj{"type": "vedio", "reply": obj{"type": "vedio", "content": obj{"title": "T", "description": "D", "mediald": "M"}}},
			wantType: reply.TypeVideo, want: reply.Content{Title: "T", Description: "D", MediaID: "M"}},
		{name: "video without title", fields: obj{"type": "video", "reply": obj{"description": "D", "mediaId": "M"}}, wantErr: "reply.title"},
		{name: "video without description", fields: obj{"type": "video", "reply": obj{"title": "T", "mediaId": "M"}}, wantErr: "reply.description"},
		{name: "video without media", fields: obj{"type": "video", "reply": obj{"title": "T", "description": "D"}}, wantErr: "reply.mediaId"},
		{name: "video title too long", fields: obj{"type": "video", "reply": obj{"title": strings.Repeat("x", 129), "description": "D", "mediaId": "M"}}, wantErr: "reply.title"},

		// music
		{name: "music", fields: obj{"type": "music", "reply": obj{"title": "T", "description": "D", "musicUrl": "http://m/a.mp3",
			"hqMusicUrl": "https://m/hq.mp3", "thumbMediaId": "TH"}},
			wantType: reply.TypeMusic, want: reply.Content{Title: "T", Description: "D", MusicURL: "http://m/a.mp3", HQMusicURL: "https://m/hq.mp3", ThumbMediaID: "TH"}},
		{name: "music without the optional fields, spec's typo", fields: obj{"type": "music", "reply": obj{"title": "T", "musicUrl": "http://m/a.mp3", "thumbMediald": "TH"}},
			wantType: reply.TypeMusic, want: reply.Content{Title: "T", MusicURL: "http://m/a.mp3", ThumbMediaID: "TH"}},
		{name: "music without title", fields: obj{"type": "music", "reply": obj{"musicUrl": "http://m/a.mp3", "thumbMediaId": "TH"}}, wantErr: "reply.title"},
		{name: "music without url", fields: obj{"type": "music", "reply": obj{"title": "T", "thumbMediaId": "TH"}}, wantErr: "reply.musicUrl"},
		{name: "music with an ftp url", fields: obj{"type": "music", "reply": obj{"title": "T", "musicUrl": "ftp://m/a.mp3", "thumbMediaId": "TH"}}, wantErr: "reply.musicUrl"},
		{name: "music with a bad HQ url", fields: obj{"type": "music", "reply": obj{"title": "T", "musicUrl": "http://m/a", "hqMusicUrl": "m/hq", "thumbMediaId": "TH"}}, wantErr: "reply.hqMusicUrl"},
		{name: "music without thumb", fields: obj{"type": "music", "reply": obj{"title": "T", "musicUrl": "http://m/a.mp3"}}, wantErr: "reply.thumbMediaId"},

		// multitext
		{name: "multitext object", fields: obj{"type": "multitext", "reply": article(0)},
			wantType: reply.TypeMultitext, want: reply.Content{Articles: []reply.Article{{Title: "t", Description: "d", PicURL: "https://example.com/p.jpg", URL: "http://example.com/a"}}}},
		{name: "multitext array of one", fields: obj{"type": "multitext", "reply": articles(1)},
			wantType: reply.TypeMultitext, want: reply.Content{Articles: []reply.Article{{Title: "t", Description: "d", PicURL: "https://example.com/p.jpg", URL: "http://example.com/a"}}}},
		{name: "multitext wrapper", fields: obj{"reply": obj{"type": "multitext", "content": article(0)}},
			wantType: reply.TypeMultitext, want: reply.Content{Articles: []reply.Article{{Title: "t", Description: "d", PicURL: "https://example.com/p.jpg", URL: "http://example.com/a"}}}},
		{name: "news is multitext", fields: obj{"type": "news", "reply": `[{"title":"t","description":"d","picurl":"https://example.com/p.jpg","url":"http://example.com/a"}]`},
			wantType: reply.TypeMultitext, want: reply.Content{Articles: []reply.Article{{Title: "t", Description: "d", PicURL: "https://example.com/p.jpg", URL: "http://example.com/a"}}}},
		{name: "multitext two for a keyword rule", fields: obj{"type": "multitext", "reply": articles(2)}, wantErr: "reply"},
		{name: "multitext eight for the subscribe reply", fields: obj{"type": "multitext", "reply": articles(8)}, maxArticles: 8, wantType: reply.TypeMultitext},
		{name: "multitext nine for the subscribe reply", fields: obj{"type": "multitext", "reply": articles(9)}, maxArticles: 8, wantErr: "reply"},
		{name: "multitext empty", fields: obj{"type": "multitext", "reply": arr{}}, wantErr: "reply"},
		{name: "multitext without picurl", fields: obj{"type": "multitext", "reply": obj{"title": "t", "description": "d", "url": "http://x/"}}, wantErr: "reply.picurl"},
		{name: "multitext item without url", fields: obj{"type": "multitext", "reply": arr{obj{"title": "t", "description": "d", "picurl": "http://x/p"}}}, wantErr: "reply[0].url"},
		{name: "multitext javascript url", fields: obj{"type": "multitext", "reply": obj{"title": "t", "description": "d", "picurl": "http://x/p", "url": "javascript:alert(1)"}}, wantErr: "reply.url"},
		{name: "multitext item not an object", fields: obj{"type": "multitext", "reply": arr{article(0), "x"}}, maxArticles: 8, wantErr: "reply[1]"},

		// type and reply themselves
		{name: "no type", fields: obj{"reply": obj{"content": "hi"}}, wantErr: "type"},
		{name: "unknown type", fields: obj{"type": "sticker", "reply": obj{"content": "hi"}}, wantErr: "type"},
		{name: "wrapper type disagrees", fields: obj{"type": "text", "reply": obj{"type": "image", "content": obj{"mediaId": "M"}}}, wantErr: "reply.type"},
		{name: "wrapper type unknown", fields: obj{"reply": obj{"type": "gif", "content": obj{}}}, wantErr: "reply.type"},
		{name: "no reply", fields: obj{"type": "text"}, wantErr: "reply"},
		{name: "reply is broken JSON text", fields: obj{"type": "image", "reply": `{"mediaId":`}, wantErr: "reply"},
		{name: "field of the wrong type", fields: obj{"type": "video", "reply": obj{"title": arr{}, "description": "D", "mediaId": "M"}}, wantErr: "reply.title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			max := tt.maxArticles
			if max == 0 {
				max = reply.MaxArticlesMessage
			}
			typ, c, err := decodeFields(tt.fields, max)
			if tt.wantErr != "" {
				requireInvalid(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantType, typ)
			if tt.maxArticles == 0 {
				require.Equal(t, tt.want, c)
			}
		})
	}
}

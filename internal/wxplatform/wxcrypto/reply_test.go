package wxcrypto

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const replyHead = "<xml><ToUserName><![CDATA[oFollower]]></ToUserName><FromUserName><![CDATA[gh_account]]></FromUserName>" +
	"<CreateTime>1700000000</CreateTime>"

func TestReplyMarshal(t *testing.T) {
	base := Reply{ToUserName: "oFollower", FromUserName: "gh_account", CreateTime: 1700000000}
	with := func(f func(r *Reply)) Reply { r := base; f(&r); return r }

	tests := []struct {
		name  string
		reply Reply
		want  string
	}{
		{"text", with(func(r *Reply) { r.MsgType, r.Content = "text", "你好" }),
			replyHead + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>"},
		{"image", with(func(r *Reply) { r.MsgType, r.MediaID = "image", "media_id" }),
			replyHead + "<MsgType><![CDATA[image]]></MsgType><Image><MediaId><![CDATA[media_id]]></MediaId></Image></xml>"},
		{"voice", with(func(r *Reply) { r.MsgType, r.MediaID = "voice", "media_id" }),
			replyHead + "<MsgType><![CDATA[voice]]></MsgType><Voice><MediaId><![CDATA[media_id]]></MediaId></Voice></xml>"},
		{"video", with(func(r *Reply) {
			r.MsgType, r.MediaID, r.Title, r.Description = "video", "media_id", "title", "description"
		}),
			replyHead + "<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[media_id]]></MediaId>" +
				"<Title><![CDATA[title]]></Title><Description><![CDATA[description]]></Description></Video></xml>"},
		{"video without the optional title and description", with(func(r *Reply) { r.MsgType, r.MediaID = "video", "media_id" }),
			replyHead + "<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[media_id]]></MediaId></Video></xml>"},
		{"music", with(func(r *Reply) {
			r.MsgType, r.Title, r.Description = "music", "TITLE", "DESCRIPTION"
			r.MusicURL, r.HQMusicURL, r.ThumbMediaID = "MUSIC_Url", "HQ_MUSIC_Url", "media_id"
		}),
			replyHead + "<MsgType><![CDATA[music]]></MsgType><Music><Title><![CDATA[TITLE]]></Title>" +
				"<Description><![CDATA[DESCRIPTION]]></Description><MusicUrl><![CDATA[MUSIC_Url]]></MusicUrl>" +
				"<HQMusicUrl><![CDATA[HQ_MUSIC_Url]]></HQMusicUrl><ThumbMediaId><![CDATA[media_id]]></ThumbMediaId></Music></xml>"},
		{"news", with(func(r *Reply) {
			r.MsgType = "news"
			r.Articles = []Article{{"title1", "description1", "picurl", "url"}, {"title2", "", "", "url2"}}
		}),
			replyHead + "<MsgType><![CDATA[news]]></MsgType><ArticleCount>2</ArticleCount><Articles>" +
				"<item><Title><![CDATA[title1]]></Title><Description><![CDATA[description1]]></Description>" +
				"<PicUrl><![CDATA[picurl]]></PicUrl><Url><![CDATA[url]]></Url></item>" +
				"<item><Title><![CDATA[title2]]></Title><Description><![CDATA[]]></Description>" +
				"<PicUrl><![CDATA[]]></PicUrl><Url><![CDATA[url2]]></Url></item></Articles></xml>"},
		{"fields of other types are left out", with(func(r *Reply) {
			r.MsgType, r.Content, r.MediaID, r.Title, r.Articles = "text", "hi", "ignored", "ignored", []Article{{Title: "ignored"}}
		}),
			replyHead + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>"},
		{"unknown type gets the common fields", with(func(r *Reply) { r.MsgType, r.Content = "transfer_customer_service", "x" }),
			replyHead + "<MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>"},
		{"content containing the CDATA terminator", with(func(r *Reply) { r.MsgType, r.Content = "text", "a]]>b" }),
			replyHead + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[a]]]]><![CDATA[>b]]></Content></xml>"},
		{"carriage return kept as a reference", with(func(r *Reply) { r.MsgType, r.Content = "text", "a\r\nb" }),
			replyHead + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[a]]>&#xD;<![CDATA[\nb]]></Content></xml>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.reply.Marshal()
			require.Equal(t, tt.want, string(got))

			back, err := ParseReply(got)
			require.NoError(t, err)
			require.Equal(t, string(got), string(back.Marshal()), "parsing back loses nothing Marshal wrote")
		})
	}
}

func TestReplyRoundTripsEveryField(t *testing.T) {
	tricky := "]]> <![CDATA[ & < \r\n 中文 😀 ]]]]>"
	tests := []Reply{
		{MsgType: "text", Content: tricky},
		{MsgType: "image", MediaID: tricky},
		{MsgType: "voice", MediaID: tricky},
		{MsgType: "video", MediaID: tricky, Title: tricky + "t", Description: tricky + "d"},
		{MsgType: "music", Title: "t", Description: "d", MusicURL: "m", HQMusicURL: "hq", ThumbMediaID: tricky},
		{MsgType: "news", Articles: []Article{{tricky, "d", "p", "u"}, {"t2", tricky, "p2", "u2"}}},
	}
	for _, r := range tests {
		t.Run(r.MsgType, func(t *testing.T) {
			r.ToUserName, r.FromUserName, r.CreateTime = "o"+tricky, "gh"+tricky, 1700000000
			got, err := ParseReply(r.Marshal())
			require.NoError(t, err)
			require.Equal(t, &r, got)
		})
	}
}

func TestParseReplyWeChatSample(t *testing.T) {
	// The news sample of WeChat's reply documentation, indentation included.
	sample := `<xml>
  <ToUserName><![CDATA[toUser]]></ToUserName>
  <FromUserName><![CDATA[fromUser]]></FromUserName>
  <CreateTime>12345678</CreateTime>
  <MsgType><![CDATA[news]]></MsgType>
  <ArticleCount>1</ArticleCount>
  <Articles>
    <item>
      <Title><![CDATA[title1]]></Title>
      <Description><![CDATA[description1]]></Description>
      <PicUrl><![CDATA[picurl]]></PicUrl>
      <Url><![CDATA[url]]></Url>
    </item>
  </Articles>
</xml>`
	r, err := ParseReply([]byte(sample))
	require.NoError(t, err)
	require.Equal(t, &Reply{ToUserName: "toUser", FromUserName: "fromUser", CreateTime: 12345678, MsgType: "news",
		Articles: []Article{{"title1", "description1", "picurl", "url"}}}, r)
}

func TestParseReplyRejects(t *testing.T) {
	tests := []struct{ name, data string }{
		{"empty", ""},
		{"success is not XML", "success"},
		{"article count too high", replyHead + "<MsgType>news</MsgType><ArticleCount>2</ArticleCount><Articles><item><Title>t</Title></item></Articles></xml>"},
		{"article count missing", replyHead + "<MsgType>news</MsgType><Articles><item><Title>t</Title></item></Articles></xml>"},
		{"article count not a number", replyHead + "<MsgType>news</MsgType><ArticleCount>one</ArticleCount></xml>"},
		{"CreateTime not a number", "<xml><CreateTime>now</CreateTime></xml>"},
		{"doctype", "<!DOCTYPE xml><xml></xml>"},
		{"truncated", replyHead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseReply([]byte(tt.data))
			require.ErrorIs(t, err, ErrMalformedXML)
			require.Nil(t, r)
		})
	}
}

func TestCDATASanitizesWhatXMLCannotCarry(t *testing.T) {
	r := &Reply{MsgType: "text", Content: "a\x00b\x08c\x7fd\xc3\x28e\U0010FFFF\uFFFF"}
	out := r.Marshal()
	require.False(t, strings.ContainsRune(string(out), 0))
	got, err := ParseReply(out)
	require.NoError(t, err)
	require.Equal(t, "a\uFFFDb\uFFFDc\x7fd\uFFFD(e\U0010FFFF\uFFFD", got.Content)
}
